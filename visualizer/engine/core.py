"""The engine: samples in, one picture out, the same for live and offline.

Each step the engine analyses the samples that arrived since the last step,
advances the scenes' parameter bindings, and draws the current scene (or a
transition between two) for the frame's timing into a target. Who supplies
the samples and the timing (a microphone and the wall clock, or a file and
the frame clock) and where the picture goes is the caller's business.
"""

from dataclasses import dataclass

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.engine.effects import Effects
from visualizer.errors import SceneError
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.cues import Cue, QUANTIZE
from visualizer.scenes.scene import Scene, TRANSITIONS_DIR
from visualizer.scenes.state import LOOK_SECONDS, SceneState

_MAX_WAIT_S = 4.0
_INTENSITY = FEATURE_INDEX["intensity"]  # a quantised switch waits no longer than this for a beat that never comes


@dataclass
class _Switch:
    cue: Cue
    requested: float          # audio time of the request
    start: float = -1.0       # audio time the transition began (-1: waiting)
    duration: float = 0.0


class Engine:
    """Analyzer + scenes + transitions + renderer, driven one frame at a time."""

    def __init__(self, renderer: Renderer, scenes: list[Scene], *, scene: str,
                 analyzer: Analyzer | None = None, backing: Analyzer | None = None,
                 transitions_dir=TRANSITIONS_DIR, effects: list[Scene] = (),
                 isf_transitions: list[Scene] = ()):
        self.renderer = renderer
        self.scenes = list(scenes)
        self.analyzer = analyzer or Analyzer(AnalyzerSettings(sample_rate=renderer.sample_rate))
        self.backing = backing
        """A second input's analyzer (a backing track): scenes with
        ``input = "backing"`` follow it, and quantised switches its beat."""
        self.backing_frame: FeatureFrame | None = None
        self.intensity_gain = 1.0
        self._gained: dict[int, int] = {}   # frame -> the hop count its gain was applied at
        """Scales the intensity arc (an expression pedal): 0 calms every
        scene, 2 pushes it toward the climax look."""
        for s in self.scenes:
            renderer.compile(s)
        for path in sorted(transitions_dir.glob("*.glsl")):
            renderer.compile_transition(path)
        for t in isf_transitions:
            renderer.compile_isf_transition(t)
        self.effects = Effects(renderer, list(effects))
        """The ISF filters the show can stack on its picture (all off at first)."""
        self.states = {s.key: SceneState(s) for s in self.scenes}
        self._previous: dict[str, tuple[Scene, SceneState]] = {}   # replace(keep_previous=True)
        self.current = ""
        self._switch: _Switch | None = None
        self._last_beats = 0.0
        self._last_bar = 0.0
        self.select(scene)

    @property
    def keys(self) -> list[str]:
        """Scene keys in order (keys 1-9 pick from this list)."""
        return [s.key for s in self.scenes]

    @property
    def transitions(self) -> list[str]:
        """Names of the transitions that can be used."""
        return self.renderer.transition_names

    def select(self, key: str) -> None:
        """Make ``key`` the scene that is drawn, at once."""
        self._check(key)
        self.current = key
        self._switch = None

    def replace(self, scene: Scene, *, keep_previous: bool = False) -> None:
        """Recompile ``scene`` (a new version of one of ours) and use it.

        Raises (ShaderError, SceneError) and keeps the old version if it
        fails. Values a person set (not the defaults) survive where the new
        version still has the parameter. With ``keep_previous`` the old
        version stays ready for :meth:`revert` until :meth:`settle`.
        """
        self.renderer.compile(scene, keep_previous=keep_previous)
        index = self.keys.index(scene.key)
        old = self.states[scene.key]
        if keep_previous:
            self._previous.setdefault(scene.key, (self.scenes[index], old))
        else:
            self._previous.pop(scene.key, None)
        self.scenes[index] = scene
        self.states[scene.key] = _carry(old, SceneState(scene))

    def revert(self, key: str) -> bool:
        """Put back the version ``replace(keep_previous=True)`` replaced (the
        new one could not be shown); False if none was kept."""
        kept = self._previous.pop(key, None)
        if kept is None or not self.renderer.revert(key):
            return False
        scene, state = kept
        self.scenes[self.keys.index(key)] = scene
        self.states[key] = _carry(self.states[key], state)
        return True

    def settle(self, key: str) -> None:
        """Keep the new version of ``key`` for good: the old one is released."""
        self._previous.pop(key, None)
        self.renderer.settle(key)

    def cancel_switch(self) -> None:
        """Drop the switch waiting or under way: the scene on screen stays."""
        self._switch = None

    def look(self, name: str, *, scene: str = "", seconds: float = LOOK_SECONDS) -> str:
        """Crossfade ``scene`` ('' the one on screen) to its look ``name``
        ('' the one after the last shown) over ``seconds``; the look's name.
        Raises SceneError for a look the scene does not have."""
        key = scene or self.current
        self._check(key)
        return self.states[key].wear(name, f"scene '{key}'", seconds)

    def request(self, cue: Cue, now: float) -> None:
        """Switch as ``cue`` says: with its transition, on the next beat or bar
        if quantised. A request during a transition finishes that one first."""
        self._check(cue.scene)
        if cue.transition and cue.transition not in self.renderer.transition_names:
            raise SceneError(f"unknown transition '{cue.transition}' "
                             f"(known: {', '.join(self.transitions)})")
        if cue.quantize not in QUANTIZE:
            raise SceneError(f"quantize must be one of {', '.join(QUANTIZE)}")
        if cue.look:   # the scene comes in wearing it
            self.look(cue.look, scene=cue.scene)
        if cue.fx is not None:
            self.effects.chain(cue.fx)
        if self._switch is not None and self._switch.start >= 0:
            self.current = self._switch.cue.scene
        self._switch = _Switch(cue, now)

    def _check(self, key: str) -> None:
        if key not in self.renderer.scenes:
            raise SceneError(f"unknown scene '{key}' (known: {', '.join(self.keys)})")

    def step(self, samples: np.ndarray, timing: FrameTiming, target,
             *, capture_time: float = float("nan"),
             size: tuple[int, int] | None = None,
             values: np.ndarray | None = None,
             backing: np.ndarray | None = None) -> FeatureFrame:
        """Analyse ``samples`` (mono, new since the last step) and draw one frame.

        ``values`` replaces the scalar features (offline: the zero-lag
        FeatureTrack's row for this frame's time). ``backing`` are the second
        input's new samples, when there is one.
        """
        frame = self.listen(samples, capture_time=capture_time, values=values, backing=backing)
        self.draw(frame, timing, target, size=size)
        return frame

    def listen(self, samples: np.ndarray, *, capture_time: float = float("nan"),
               values: np.ndarray | None = None,
               backing: np.ndarray | None = None) -> FeatureFrame:
        """Analyse new samples without drawing (a frozen picture still listens)."""
        frame = self.analyzer.process(samples, capture_time)
        if values is not None:
            frame.values[:] = values
        if self.backing is not None and backing is not None:
            self.backing_frame = self.backing.process(backing, capture_time)
        if self.intensity_gain != 1.0:
            # Once per analysed hop: the values persist between hops.
            for f in (frame, self.backing_frame):
                if f is not None and f.hops != self._gained.get(id(f)):
                    self._gained[id(f)] = f.hops
                    f.values[_INTENSITY] = min(1.0, float(f.values[_INTENSITY]) * self.intensity_gain)
        return frame

    def _frame_for(self, key: str, frame: FeatureFrame) -> FeatureFrame:
        if self.backing_frame is not None and self.states[key].scene.input == "backing":
            return self.backing_frame
        return frame

    def draw(self, frame: FeatureFrame, timing: FrameTiming, target,
             *, size: tuple[int, int] | None = None) -> None:
        """Draw the current scene, or the transition under way, for ``frame``
        (through the effects that are on)."""
        size = size or target.size
        now = timing.time
        self._advance(frame if self.backing_frame is None else self.backing_frame, now)
        dt = timing.delta if timing.delta > 0 else 1.0 / max(timing.fps, 1.0)
        switch = self._switch
        if switch is not None and switch.start >= 0:
            progress = (now - switch.start) / switch.duration if switch.duration > 0 else 1.0
            if progress >= 1.0:
                self.current, self._switch, switch = switch.cue.scene, None, None
        fx = self.effects.any_on
        if switch is None or switch.start < 0:
            own = self._frame_for(self.current, frame)
            params = self.states[self.current].update(own, dt)
            if not fx:
                self.renderer.draw(self.current, own, timing, target, size, params)
                return
            picture = self._picture(self.current, own, timing, size, params, dt)
        else:
            nxt = switch.cue.scene
            own, theirs = self._frame_for(self.current, frame), self._frame_for(nxt, frame)
            params = self.states[self.current].update(own, dt)
            start = self._picture(self.current, own, timing, size, params, dt)
            end = self._picture(nxt, theirs, timing, size, self.states[nxt].update(theirs, dt), dt)
            name = switch.cue.transition or "crossfade"
            if not fx:
                self.renderer.draw_transition(name, start, end, progress, frame, timing,
                                              target, size)
                return
            mixed = self.renderer.canvas("program", size)
            self.renderer.draw_transition(name, start, end, progress, frame, timing,
                                          mixed.fbo, size)
            picture = mixed.texture
        picture = self.effects.apply(picture, self.effects.on(), frame, timing, size, dt)
        self.renderer.blit(picture, target, size)

    def _picture(self, key: str, frame: FeatureFrame, timing: FrameTiming, size, params,
                 dt: float):
        """Scene ``key`` drawn into its own texture, through its own effects."""
        picture = self.renderer.picture(key, frame, timing, size, params)
        return self.effects.apply(picture, self.effects.on(key), frame, timing, size, dt)

    @property
    def on_screen(self) -> tuple[str, ...]:
        """The scenes a draw draws now: the current one, and the one a
        transition under way goes to (not one still waiting for its beat)."""
        switch = self._switch
        if switch is not None and switch.start >= 0:
            return (self.current, switch.cue.scene)
        return (self.current,)

    @property
    def switching(self) -> str:
        """The scene a switch under way or waiting for its beat goes to ('' none)."""
        return self._switch.cue.scene if self._switch is not None else ""

    def _advance(self, frame: FeatureFrame, now: float) -> None:
        """Start a waiting switch on its beat or bar."""
        beats = float(frame.values[FEATURE_INDEX["beat_count"]])
        bar = float(frame.values[FEATURE_INDEX["bar_phase"]])
        on_beat = beats > self._last_beats
        on_bar = bar < self._last_bar - 0.5
        self._last_beats, self._last_bar = beats, bar
        switch = self._switch
        if switch is None or switch.start >= 0:
            return
        q = switch.cue.quantize
        due = (q == "none" or (q == "beat" and on_beat) or (q == "bar" and on_bar)
               or now - switch.requested >= _MAX_WAIT_S)
        if not due:
            return
        cue = switch.cue
        tempo = float(frame.values[FEATURE_INDEX["tempo"]]) or 120.0
        switch.duration = cue.beats * 60.0 / tempo if cue.beats > 0 else cue.duration
        switch.start = now
        if switch.duration <= 0:  # a cut
            self.current, self._switch = cue.scene, None


def _carry(old: SceneState, new: SceneState) -> SceneState:
    """``new`` with the values a person set in ``old`` (not its defaults)."""
    for name, value in old.base.items():
        was = old.scene.params[name]
        now = new.scene.params.get(name)
        if value != was.default and now is not None and now.type == was.type:
            new.set(name, value)
    return new
