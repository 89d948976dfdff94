"""The show: what the controls asked for, applied to the engine once a frame.

Keys, MIDI, OSC, the setlist and the automatic mode all speak through the
control bus; :class:`Show` drains it on the render thread and turns each
command into an engine request or a change of the show's own state
(blackout, freeze, HUD, recording, automatic mode, master intensity). A
command that fails (an unknown scene, a parameter that does not exist) is
counted and shown, never raised into the render loop.
"""

import math

from visualizer.engine.core import Engine

from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.errors import ControlError
from visualizer.scenes.cues import Cue

FADE_SECONDS = 0.8
"""A blackout fades over this long, and so does the way back."""


class Show:
    """Show state plus the command handlers."""

    def __init__(self, engine: Engine, bus: ControlBus, *, setlist=None, director=None,
                 auto: bool = False):
        self.engine = engine
        self.bus = bus
        self.setlist = setlist      # visualizer.control.setlist.Setlist, or None
        self.director = director    # visualizer.control.auto.AutoDirector, or None
        self.auto = auto and director is not None
        self.blackout = False
        self.fade = 1.0             # picture gain: 1 shown, 0 black
        self.frozen = False
        self.hud = False
        self.recording = False      # what the controls want; the window acts on it
        self.intensity = 0.5        # the pedal: 0.5 leaves the intensity arc as it is
        self.last_action = ""
        self.applied: dict[str, int] = {}
        """Commands applied, by source ("key", "midi", "osc", ...): what a
        soak or chaos run compares with what it sent."""
        self.tap_offset = 0.0       # --av-offset: the analysis hears this much late
        self.stats = None           # the live loop's HudStats: its frame rate and latency
                                    # meters are kept every frame (remotes read them)
        self.on_tap = None          # called after each tap (Ableton Link: taps set its tempo)
        self._handlers = {
            "scene": self._scene, "scene_index": self._scene_index,
            "next_scene": lambda c, now: self._step_scene(1, now),
            "prev_scene": lambda c, now: self._step_scene(-1, now),
            "next_cue": self._next_cue, "prev_cue": self._prev_cue, "song": self._song,
            "param": self._param, "intensity": self._intensity,
            "look": lambda c, now: self.engine.look(c.target, scene=c.scene),
            "fx": self._fx, "fx_param": self._fx_param,
            "fx_look": lambda c, now: self.engine.effects.look(c.scene, c.target),
            "blackout": self._toggle("blackout"), "freeze": self._toggle("frozen"),
            "hud": self._toggle("hud"), "record": self._toggle("recording"),
            "auto": self._auto, "tap": self._tap,
        }

    def update(self, now: float, dt: float) -> None:
        """Apply every queued command, let the automatic mode decide, and
        advance the blackout fade. ``now``: the engine's clock time."""
        while (command := self.bus.pop()) is not None:
            try:
                self._handlers[command.action](command, now)
                self.applied[command.source] = self.applied.get(command.source, 0) + 1
                self.last_action = f"{command.source or 'control'}: {command.action} {command.target}".strip()
            except Exception as e:  # noqa: BLE001 -- one bad command must not stop the show
                self.bus.failed += 1
                self.bus.last_error = f"{command.action}: {e}"
        if self.auto and self.director is not None:
            engine = self.engine
            try:
                cue = self.director.update(engine.analyzer.frame.values, now,
                                           current=engine.switching or engine.current)
                if cue is not None:
                    engine.request(cue, now)
            except Exception as e:  # noqa: BLE001 -- the automatic mode is a control too
                self.bus.failed += 1
                self.bus.last_error = f"auto: {e}"
        target = 0.0 if self.blackout else 1.0
        step = dt / FADE_SECONDS if dt > 0 else 1.0
        self.fade = min(self.fade + step, target) if target > self.fade else max(self.fade - step, target)

    # Handlers: (command, now) -> None; raising counts as a failed command.

    def _switch(self, key: str, now: float) -> None:
        scene = self.engine.states[key].scene
        self.engine.request(Cue(0.0, key, scene.transition, beats=scene.transition_beats,
                                quantize="beat" if scene.transition_beats else "none"), now)

    def _scene(self, c: Command, now: float) -> None:
        self._switch(c.target, now)

    def _scene_index(self, c: Command, now: float) -> None:
        keys = self.engine.keys
        i = int(c.value)
        if not 0 <= i < len(keys):
            raise ControlError(f"no scene number {i + 1} (there are {len(keys)})")
        self._switch(keys[i], now)

    def _step_scene(self, step: int, now: float) -> None:
        keys = self.engine.keys
        here = self.engine.switching or self.engine.current
        self._switch(keys[(keys.index(here) + step) % len(keys)], now)

    def _cue(self, cue, now: float) -> None:
        if cue is not None:
            self.engine.request(cue, now)

    def _next_cue(self, c: Command, now: float) -> None:
        if self.setlist is None:
            return self._step_scene(1, now)
        self._cue(self.setlist.next(), now)

    def _prev_cue(self, c: Command, now: float) -> None:
        if self.setlist is None:
            return self._step_scene(-1, now)
        self._cue(self.setlist.prev(), now)

    def _song(self, c: Command, now: float) -> None:
        if self.setlist is None:
            raise ControlError("no setlist loaded (--setlist FILE)")
        self._cue(self.setlist.goto_song(c.target or int(c.value)), now)

    def _param(self, c: Command, now: float) -> None:
        key = c.scene or self.engine.current
        state = self.engine.states.get(key)
        if state is None:
            raise ControlError(f"unknown scene '{key}'")
        param = state.scene.params.get(c.target)
        if param is None:
            raise ControlError(f"scene '{key}' has no parameter '{c.target}'")
        if not math.isfinite(c.value):
            raise ControlError(f"{key}.{c.target}: value is not a number")
        value = c.value
        if param.type == "color":
            raise ControlError(f"{key}.{c.target} is a colour: set it in the scene file")
        if c.normalized:
            value = param.low + min(max(value, 0.0), 1.0) * (param.high - param.low)
        state.set(c.target, value)

    def _fx(self, c: Command, now: float) -> None:
        if c.scene and c.scene not in self.engine.states:
            raise ControlError(f"unknown scene '{c.scene}'")
        self.engine.effects.set(c.target, None if c.value == TOGGLE else c.value >= 0.5,
                                only=c.scene)

    def _fx_param(self, c: Command, now: float) -> None:
        if not math.isfinite(c.value):
            raise ControlError(f"{c.scene}.{c.target}: value is not a number")
        self.engine.effects.param(c.scene, c.target, c.value, normalized=c.normalized)

    def _tap(self, c: Command, now: float) -> None:
        analyzer = self.engine.analyzer
        analyzer.tap(analyzer.frame.time + self.tap_offset)  # when the player tapped
        if self.on_tap is not None:
            self.on_tap()

    def _intensity(self, c: Command, now: float) -> None:
        if not math.isfinite(c.value):
            raise ControlError("intensity: value is not a number")
        self.intensity = min(max(c.value, 0.0), 1.0)
        self.engine.intensity_gain = 2.0 * self.intensity

    def _toggle(self, name: str):
        def handler(c: Command, now: float) -> None:
            setattr(self, name, not getattr(self, name) if c.value == TOGGLE else bool(c.value))
        return handler

    def _auto(self, c: Command, now: float) -> None:
        if self.director is None:
            raise ControlError("automatic mode is not available (no scenes to choose from)")
        self.auto = not self.auto if c.value == TOGGLE else bool(c.value)
