"""The live show, one frame at a time, knowing no windowing toolkit.

Each frame drains the live input's ring buffer, lets the show apply what the
controls asked for, lets the engine analyse every new hop, and draws the
program picture into a texture of its own. That picture goes to the sinks
(a recording) through one read-back, and to the display, which shows it
faded by a blackout with the HUD and any error over it. So audio reaches the
picture within about one hop plus one frame. The display (a pyglet window,
or none: ``--headless``) drives the loop; see ``output/display/base.py``.
"""

import math
import sys
import time

import numpy as np

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.audio.delay import DelayLine
from visualizer.control.keys import Keys
from visualizer.engine.adaptive import AdaptiveScale
from visualizer.engine.clock import WallClock
from visualizer.engine.guard import FrameGuard
from visualizer.engine.live_options import LiveOptions, LiveResult
from visualizer.engine.recording import Recording
from visualizer.engine.show import Show
from visualizer.engine.watch import SceneWatcher
from visualizer.output.display.stats import FrameStats, HudStats, LatencyMeter
from visualizer.render.renderer import OffscreenTarget

_ONSET_COUNT = FEATURE_INDEX["onset_count"]
_LEVEL_DB = FEATURE_INDEX["level_db"]


class LiveLoop:
    """Input, controls, analysis, picture, sinks and display, each frame."""

    def __init__(self, renderer, engine, source, o: LiveOptions, display, result: LiveResult):
        self.renderer, self.engine, self.source, self.o = renderer, engine, source, o
        self.display, self.result = display, result
        refresh = display.refresh
        self.clock = WallClock(fps=refresh)
        self.adaptive = AdaptiveScale(1.0 / refresh, high=o.render_scale) if o.adaptive else None
        # A new version or scene far too slow to show is refused or taken back.
        self.watcher = SceneWatcher(engine)
        self.guard = FrameGuard(engine, period=1.0 / refresh, adaptive=self.adaptive,
                                keep=self.watcher.keep)
        self.watcher.admit = self.guard.replace
        self.show = Show(engine, o.bus, setlist=o.setlist, director=o.director, auto=o.auto)
        self.show.hud = o.hud
        self.show.recording = o.record is not None
        self.show.tap_offset = o.av_offset
        if o.link is not None:   # a tap sets the shared session's tempo
            self.show.on_tap = o.link.tap
        self.keys = Keys(o.bus, o.learn, scenes=len(engine.keys),
                         effects=tuple(engine.effects.names), knobs=engine.effects.knobs())
        self.latency = LatencyMeter()
        self.frames = FrameStats(240, target_fps=refresh)
        self.stats = HudStats(frames=self.frames, latency=self.latency)
        self.show.stats = self.stats   # remotes show the frame rate and latency too
        delay = round(o.av_offset * source.sample_rate) if o.av_offset > 0 else 0
        self.delay = DelayLine(delay) if delay else None
        self.backing_delay = DelayLine(delay) if delay and o.backing is not None else None
        self.size = display.size()
        self.program = OffscreenTarget(renderer.ctx, self.size, renderer.activate)
        self.recording = Recording(renderer.ctx, source.sample_rate, refresh, o, result)
        self._last_onsets = 0.0
        self._flash = 0
        self._capture = float("nan")
        self._last_start = 0.0
        self._fault = ""
        self._logged = time.perf_counter()

    # -- the display's calls -------------------------------------------------

    def begin(self) -> None:
        if self.show.recording:   # --record: a file that cannot be written stops us here
            self.recording.start(self.size, strict=True)

    def key(self, name: str) -> None:
        """A key pressed on the display, by name (``LEFT``, ``B``, ``1``, ``ESCAPE``)."""
        engine = self.engine
        params = tuple(engine.states[engine.current].scene.params)
        if not self.keys.press(name, engine.current, params):
            self.display.stop()

    def shown(self) -> None:
        """The frame is on screen: its audio-to-picture latency is known."""
        if self._capture == self._capture:  # not NaN
            self.latency.add(time.perf_counter() - self._capture + self.o.av_offset)
        if self.o.link is not None:   # it reads the beat ahead by this frame-to-screen time
            self.o.link.shown()

    def frame(self) -> None:
        t0 = time.perf_counter()
        self._capture = float("nan")
        engine, show, guard = self.engine, self.show, self.guard
        probes = guard.probes
        self.watcher.poll()
        self._follow_display_size()
        timing = self.clock.tick()
        samples, capture, lost = self._lead_input()
        backing = self._backing_input()
        for control in self.o.controls:   # a footswitch's held and single presses come due
            control.poll()
        show.update(timing.time, timing.delta)
        frame = engine.listen(samples, capture_time=capture, backing=backing)
        if self.o.link is not None:   # the band's beat clock decides tempo and phase
            self.o.link.apply(frame, show, timing)
        watched = False
        if not show.frozen:
            guard.begin(timing, self.size)
            watched = guard.watching
            if watched:
                self.renderer.ctx.finish()   # time this frame's draw alone
            drawn = time.perf_counter()
            engine.draw(frame, timing, self.program.fbo, size=self.size)
        show.recording = self.recording.follow(show.recording, self.size)
        self.recording.picture(self.program.texture)
        self._to_display(frame, samples, lost)
        self.result.frames += 1
        self._log_latency(t0)
        if self.adaptive is not None or watched:
            self.renderer.ctx.finish()   # the work includes the GPU's; it also keeps latency low
            done = time.perf_counter()
            # A transition draws two scenes, a probe a third: not the scene's cost.
            if self.adaptive is not None and not engine.switching and guard.probes == probes:
                self.renderer.render_scale = self.adaptive.update(done - t0)
            if watched:   # last: taking a scene off resets the adaptive scale
                guard.end(done - drawn)
        self._capture = capture if samples.shape[0] else float("nan")
        if t0 - self._last_start > 0 and self._last_start:
            self.frames.add(t0 - self._last_start)
        self._last_start = t0
        self._maybe_end(self.result.frames)

    def fault(self, error: Exception) -> None:
        """A frame failed (a bug, a driver error): keep the last good picture
        on screen with the error over it, log it once, and carry on."""
        import traceback
        self.result.faults += 1
        self._capture = float("nan")   # this frame shows no new sound
        text = f"{type(error).__name__}: {error}"
        if text != self._fault:
            self._fault = text
            print(f"visualizer: a frame failed and the last picture is held: {text}",
                  file=sys.stderr)
            traceback.print_exc()
        try:
            self.display.present(self.program.texture, self.show.fade)
            self.display.overlay(f"a frame failed, the last picture is held: {text}")
        except Exception:  # noqa: BLE001 -- nothing more can be done for this frame
            pass
        self._maybe_end(self.result.frames + self.result.faults)

    def close(self) -> None:
        self.recording.close()
        o, result = self.o, self.result
        result.latency = self.latency.summary()
        result.scene = self.engine.current
        result.late = self.frames.late
        result.failed_commands = o.bus.failed
        result.rejected_messages = o.bus.rejected
        result.last_error = o.bus.last_error
        result.applied = dict(self.show.applied)
        self.program.release()

    # -- each frame's parts ----------------------------------------------------

    def _lead_input(self) -> tuple[np.ndarray, float, str]:
        """The lead input's new samples (delayed, recorded, then gated), their capture time."""
        source = self.source
        samples = source.ring.drain()
        capture = source.ring.drained_time
        lost = source.status_text
        if lost and samples.shape[0] == 0:  # the show goes on, hearing silence
            samples, capture = source.silence_due(), float("nan")
        if self.delay is not None:
            samples = self.delay.process(samples)
        self.recording.sound(samples)   # the sound as the picture hears it, before the gate
        if self.o.gate is not None:
            samples = self.o.gate.process(samples)
        return samples, capture, lost

    def _backing_input(self) -> np.ndarray | None:
        o = self.o
        if o.backing is None:
            return None
        backing = o.backing.ring.drain()
        if o.backing.status_text and backing.shape[0] == 0:
            backing = o.backing.silence_due()
        if self.backing_delay is not None:
            backing = self.backing_delay.process(backing)
        if o.backing_gate is not None:
            backing = o.backing_gate.process(backing)
        return backing

    def _follow_display_size(self) -> None:
        """The program picture follows the display (a resize, a window manager)."""
        size = tuple(self.display.size())
        if size == self.size or min(size) < 1:
            return
        self.program.release()
        self.size = size
        self.program = OffscreenTarget(self.renderer.ctx, size, self.renderer.activate)

    def _to_display(self, frame, samples: np.ndarray, lost: str) -> None:
        display, o = self.display, self.o
        if o.calibrate:
            onsets = float(frame.values[_ONSET_COUNT])
            if onsets > self._last_onsets:
                self._flash = 3
                self.result.flashes += int(onsets - self._last_onsets)
            self._last_onsets = onsets
            display.flash(1.0 if self._flash > 0 else 0.0)
            self._flash -= 1
        else:
            display.present(self.program.texture, self.show.fade)
        self._level(samples, frame)
        if self.show.hud:
            self._fill_stats(frame, lost)
            display.hud(self.stats)
        display.overlay(self.watcher.error or self.guard.notice)
        if o.on_frame is not None:
            o.on_frame(self.show, frame)

    def _maybe_end(self, frames: int) -> None:
        o = self.o
        if o.max_frames and frames >= o.max_frames:
            if o.screenshot is not None:
                self.display.screenshot(o.screenshot)
            self.display.stop()

    def _log_latency(self, now: float) -> None:
        """A line on stderr every 30 s for whoever watches the console."""
        if now - self._logged >= 30.0 and self.latency.count:
            self._logged = now
            print(f"visualizer: {self.latency.summary()}, {self.frames.fps:.0f} fps, "
                  f"{self.frames.late} late, {self.source.overflows} input overflows",
                  file=sys.stderr)

    # -- the HUD ---------------------------------------------------------------

    def _level(self, samples: np.ndarray, frame) -> None:
        """The input meter and its clipping lamp (lit for a while after a peak)."""
        peak = max(float(samples.max()), -float(samples.min())) if samples.shape[0] else 0.0
        self.stats.set_level(float(frame.values[_LEVEL_DB]),
                             20.0 * math.log10(max(peak, 1e-9)), time.perf_counter())

    def _fill_stats(self, frame, lost: str) -> None:
        s, show, engine = self.stats, self.show, self.engine
        values = frame.values
        s.tempo = float(values[FEATURE_INDEX["tempo"]])
        s.beat_phase = float(values[FEATURE_INDEX["beat_phase"]])
        voiced = values[FEATURE_INDEX["voiced"]] > 0.5
        note = int(round(float(values[FEATURE_INDEX["note"]]))) + self.o.transpose
        s.note = note if voiced else -1
        s.cents = float(values[FEATURE_INDEX["cents"]])
        scale = self.renderer.render_scale
        s.scene = engine.current if scale >= 1.0 else f"{engine.current} (at {scale:.2f})"
        look = engine.states[engine.current].look_name
        if look:
            s.scene += f" ({look})"
        if engine.effects.any_on:
            s.scene += " + " + "+".join(engine.effects.active)
        if self.keys.banks > 1:
            s.scene += f" · {self.keys.bank_text()}"
        setlist = show.setlist
        s.next_cue = setlist.upcoming() if setlist is not None else (engine.switching or "")
        s.input_overflows = self.source.overflows
        s.dropped_frames = self.result.dropped + self.recording.dropped
        s.recording = self.recording.ok
        s.blackout, s.freeze, s.auto = show.blackout, show.frozen, show.auto
        s.link = self.o.link.hud_text() if self.o.link is not None else ""
        backing = self.o.backing
        problems = [lost, backing.status_text if backing is not None else "",
                    self.recording.problem, self.o.bus.summary(), self.keys.hint()]
        # the HUD redraws text a few times a second, not per frame
        s.warnings = " | ".join(p for p in problems if p)


def run_live(source, scenes, *, scene: str, display,
             options: LiveOptions | None = None) -> LiveResult:
    """Run the show on ``display`` until it ends (Esc, the window closes,
    Ctrl-C, ``max_frames``). ``source`` is a live input, started here."""
    from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
    from visualizer.engine.core import Engine
    from visualizer.render.renderer import Renderer

    o = options or LiveOptions()
    sr = source.sample_rate
    if display.ctx is not None:
        renderer = Renderer(display.ctx, owns_context=False, sample_rate=sr,
                            render_scale=o.render_scale)
    else:
        renderer = Renderer.headless(sample_rate=sr, render_scale=o.render_scale)
    result = LiveResult()
    try:
        settings = o.settings or AnalyzerSettings(sample_rate=sr)
        backing = Analyzer(settings) if o.backing is not None else None
        engine = Engine(renderer, scenes, scene=scene, analyzer=Analyzer(settings),
                        backing=backing, effects=o.effects, isf_transitions=o.isf_transitions)
        o.setup(engine)
        loop = LiveLoop(renderer, engine, source, o, display, result)
    except BaseException:
        renderer.release()
        display.close()
        raise
    started = []
    try:
        for control in o.controls:   # OSC servers, MIDI inputs
            control.start()
            started.append(control)
        source.start()
        if o.backing is not None:
            o.backing.start()
        loop.begin()
        result.interrupted = display.run(loop)
    finally:
        for stop in [source.stop] + ([o.backing.stop] if o.backing is not None else []) \
                + [c.stop for c in started]:
            try:
                stop()
            except Exception:  # noqa: BLE001 -- closing must finish whatever failed
                pass
        loop.close()
        renderer.release()
        display.close()
    return result
