"""The frame guard: a scene far too slow to show is taken off, like one that
does not compile, and the last good one stays.

A shader that compiles but takes seconds a frame (a typo in a loop bound,
saved during the show) would freeze the picture. So a scene that has just
gone on, after a hot reload or a switch, is on probation:

* Before it goes on, one probe frame is drawn at 1/64 of the output's pixels
  with glFinish around it and extrapolated by the pixel count to the lowest
  render scale the adaptive scale can reach. (A 1x1 draw comes first: drivers
  build a shader's machine code at its first draw, llvmpipe for up to
  seconds, and that is no measure of its frames.) A scene that would blow
  twice the limit even there is refused before one frame of it is shown, for
  1/64 of such a frame. The margin is there because a tiny frame is a noisy
  measure: on a busy machine one preemption can triple it (llvmpipe, two
  cores), and a tiny frame keeps fewer cores busy, so it under-estimates as
  often. A scene's cost may also depend on time or size. So the probe only
  catches the hopeless and the rule below catches the rest.
* For ``probation`` seconds its frames are timed, draw to glFinish. A frame
  over the limit drops the adaptive render scale to its floor at once (a
  slow scene the scale can rescue is rescued; the smoothing would take a
  frame a second for dozens of frames to get there). If the first frame at
  the floor, scaled back up by the pixel count, is within the limit after
  all (a hiccup), the scale goes back where it was.
  ``strikes`` frames in a row over the limit at the floor take the scene
  off: a reload's previous version comes back (the renderer keeps it alive
  until probation ends, then releases it), a switch goes back to the scene
  before. The error is printed once and shown like a compile error. A
  hopeless scene the probe missed costs one frame at the scale it came in
  at and ``strikes`` at the floor.

The limit is ``factor`` frame budgets and at least ``min_limit`` seconds:
far past anything the adaptive scale is there for. Outside probation the
guard costs a string comparison a frame and no glFinish.
"""

import math
import sys
import time
from dataclasses import dataclass

from visualizer.engine.core import Engine
from visualizer.errors import SceneError
from visualizer.render.timing import FrameTiming


@dataclass(frozen=True)
class GuardSettings:
    """When a scene is too slow to show."""

    factor: float = 4.0        # a frame this many frame budgets long is far past it ...
    min_limit: float = 0.25    # ... and at least this many seconds (at 240 Hz 4 budgets are 17 ms)
    strikes: int = 2           # frames in a row over the limit, at the lowest scale
    probation: float = 3.0     # seconds a new scene or version is watched ...
    min_frames: int = 3        # ... and at least this many of its frames
    probe: bool = True         # draw a tiny probe frame before it goes on
    probe_fraction: int = 64   # the probe draws this fraction (1/n) of the pixels
    probe_margin: float = 2.0  # it refuses a scene at this many limits (a noisy measure)
    notice: float = 10.0       # seconds a switch taken back stays on screen


@dataclass
class _Probation:
    key: str
    fallback: str              # the scene to go back to ('' if none)
    scale: float               # the render scale when it went on
    started: float = -1.0      # when it was first drawn (a switch may wait for its beat)
    frames: int = 0
    strikes: int = 0
    forced: bool = False       # the guard dropped the scale to the floor last frame


class FrameGuard:
    """Watches the scenes that just went on; takes off the ones far too slow.

    The live loop calls :meth:`begin` before drawing and :meth:`end` with
    the frame's draw time (to glFinish) while :attr:`watching`; a
    :class:`~visualizer.engine.watch.SceneWatcher` puts reloaded versions on
    through :meth:`replace`.
    """

    def __init__(self, engine: Engine, *, period: float, adaptive=None,
                 settings: GuardSettings = GuardSettings(), keep=None, stream=sys.stderr,
                 clock=time.perf_counter):
        self.engine = engine
        self.period = period
        """The frame budget (s): one display refresh."""
        self.adaptive = adaptive
        """The live AdaptiveScale, or None for a fixed scale (its floor is where it is)."""
        self.settings = settings
        self.keep = keep
        """callable(key, message): a reloaded version taken off (SceneWatcher.keep
        shows and prints it like a compile error); None prints it here."""
        self.stream = stream
        self.clock = clock
        self.limit = max(settings.factor * period, settings.min_limit)
        """Seconds a frame may take before it counts as far too slow."""
        self.size = (1280, 720)
        """The output size the probe extrapolates to (updated by :meth:`begin`)."""
        self.probes = 0
        self.refused = 0          # by the probe, before a frame was shown
        self.taken_off = 0        # by the rule, after frames were shown
        self.last_probe = 0.0     # seconds the last probe took, warm-up draw included
        self._timing = FrameTiming()
        self._target = engine.switching or engine.current
        self._probation: _Probation | None = None
        self._told: set[str] = set()   # keys whose slowness was printed (once)
        self._notice = ("", -math.inf)

    @property
    def watching(self) -> bool:
        """True while a scene is on probation: time its frames (glFinish)."""
        return self._probation is not None

    @property
    def notice(self) -> str:
        """A switch taken back, for the screen for a while ('' none)."""
        text, until = self._notice
        return text if self.clock() < until else ""

    # -- the ways in ----------------------------------------------------------

    def replace(self, scene) -> None:
        """Put a new version of one of the engine's scenes on (the watcher's
        way in): probed first, then on probation while on screen. Raises
        SceneError and keeps the old version if the probe finds it hopeless."""
        engine, key = self.engine, scene.key
        engine.replace(scene, keep_previous=True)
        self._told.discard(key)
        cost = self._probe(key)
        if cost > self.settings.probe_margin * self.limit:
            engine.revert(key)
            self.refused += 1
            raise SceneError(self._too_slow(key, cost, self._floor(), probed=True))
        if key not in (engine.current, engine.switching):
            engine.settle(key)   # not on screen: a switch to it is watched then
            return
        p = self._probation
        if p is not None and p.key != key:
            self._end()
        if self._probation is None:
            self._probation = _Probation(key, "", self._scale())
        else:   # a newer version of the one on probation: watch this one from now
            p.started, p.frames, p.strikes = -1.0, 0, 0

    def begin(self, timing: FrameTiming, size: tuple[int, int]) -> None:
        """Before the frame's draw: a switch to a new scene (waiting for its
        beat or under way) is probed and put on probation."""
        self._timing, self.size = timing, size
        engine = self.engine
        target = engine.switching or engine.current
        if target == self._target:
            return
        fallback = engine.current if engine.current != target else self._target
        self._target = target
        if self._probation is not None:
            if self._probation.key == target:
                return
            self._end()
        cost = self._probe(target)
        if cost > self.settings.probe_margin * self.limit:
            self.refused += 1
            self._back(target, fallback)
            self._tell(target, f"{self._too_slow(target, cost, self._floor(), probed=True)} "
                               f"(staying on '{engine.current}')")
            return
        self._probation = _Probation(target, fallback, self._scale())

    def end(self, seconds: float) -> None:
        """After the frame: ``seconds`` its draw took, to glFinish."""
        p = self._probation
        if p is None or p.key not in self.engine.on_screen:
            return   # still waiting for its beat: this frame was the old scene's
        if p.started < 0:
            p.started = self.clock()
        p.frames += 1
        scale = self._scale()
        at_floor = scale <= self._floor() + 1e-6
        if seconds > self.limit:
            if not at_floor:   # give the adaptive scale its chance, now
                self._set_scale(self.adaptive.floor())
                p.forced = True
                return
            p.strikes += 1
            if p.strikes >= self.settings.strikes:
                self._take_off(p, seconds, scale)
            return
        if p.forced and self.adaptive is not None and seconds * (p.scale / scale) ** 2 < self.limit:
            # A hiccup: back where it was; ordinary overshoot is the adaptive scale's job.
            self._set_scale(self.adaptive.reset(p.scale))
        p.forced, p.strikes = False, 0
        if p.frames >= self.settings.min_frames and self.clock() - p.started >= self.settings.probation:
            self._end()

    # -- the verdicts ---------------------------------------------------------

    def _take_off(self, p: _Probation, seconds: float, scale: float) -> None:
        engine = self.engine
        self._probation = None
        self.taken_off += 1
        message = self._too_slow(p.key, seconds, scale)
        if engine.revert(p.key):   # a reload: its last good version comes back
            if self.keep is not None:
                self.keep(p.key, message)
            else:
                self._tell(p.key, f"{message} (keeping the last good '{p.key}')")
        else:
            self._back(p.key, p.fallback)
            self._tell(p.key, f"{message} (back to '{engine.current}')")
        self._target = engine.switching or engine.current
        if self.adaptive is not None:
            self._set_scale(self.adaptive.reset(p.scale))
        else:
            self._set_scale(p.scale)

    def _back(self, key: str, fallback: str) -> None:
        """Undo the switch to ``key``: cancelled if still waiting or under
        way, else a cut back to ``fallback``."""
        engine = self.engine
        if engine.switching == key:
            engine.cancel_switch()
        elif engine.current == key and fallback and fallback in engine.renderer.scenes:
            engine.select(fallback)
        self._target = engine.switching or engine.current

    def _end(self) -> None:
        """Probation passed: the new version is kept and the old one released."""
        p, self._probation = self._probation, None
        self.engine.settle(p.key)
        self._told.discard(p.key)

    def _tell(self, key: str, text: str) -> None:
        self._notice = (text, self.clock() + self.settings.notice)
        if key not in self._told:
            self._told.add(key)
            print(f"visualizer: {text}", file=self.stream, flush=True)

    def _too_slow(self, key: str, seconds: float, scale: float, *, probed: bool = False) -> str:
        path = self.engine.states[key].scene.path
        how = (f"about {_seconds(seconds)} a frame at render scale {scale:.2f}, from a probe "
               f"at 1/{self.settings.probe_fraction} of the pixels" if probed
               else f"{_seconds(seconds)} a frame at render scale {scale:.2f}")
        return f"{path}: too slow: {how} (budget {self.period * 1000:.1f} ms)"

    # -- measuring ------------------------------------------------------------

    def _probe(self, key: str) -> float:
        """Seconds a frame of ``key`` would take at the output size and the
        lowest scale, extrapolated from a tiny one (0 without probing)."""
        if not self.settings.probe:
            return 0.0
        engine = self.engine
        renderer = engine.renderer
        start = self.clock()
        self.probes += 1
        w, h = self.size
        shrink = math.sqrt(self.settings.probe_fraction)
        small = (max(1, round(w / shrink)), max(1, round(h / shrink)))
        own = engine.states[key].scene.render_scale
        probe_px = _pixels(small, own * self._scale())
        frame_px = _pixels((w, h), own * self._floor())
        frame = engine.analyzer.frame
        params = engine.states[key].values
        renderer.timed_draw(key, frame, self._timing, (1, 1), params)   # the driver's first-draw compile
        cost = renderer.timed_draw(key, frame, self._timing, small, params) * frame_px / probe_px
        if cost > self.settings.probe_margin * self.limit:   # a hiccup must not refuse a good scene
            cost = min(cost, renderer.timed_draw(key, frame, self._timing, small, params)
                       * frame_px / probe_px)
        self.last_probe = self.clock() - start
        return cost

    def _scale(self) -> float:
        return self.engine.renderer.render_scale

    def _floor(self) -> float:
        return self.adaptive.low if self.adaptive is not None else self._scale()

    def _set_scale(self, scale: float) -> None:
        self.engine.renderer.render_scale = scale


def _pixels(size: tuple[int, int], scale: float) -> int:
    # As the renderer rounds a scaled size.
    return max(1, round(size[0] * scale)) * max(1, round(size[1] * scale))


def _seconds(s: float) -> str:
    return f"{s:.2g} s" if s >= 1.0 else f"{s * 1000:.0f} ms"
