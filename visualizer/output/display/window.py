"""The live window: the only module that imports pyglet's windowing.

The window owns the GL context; the renderer borrows it. Each redraw drains
the live input's ring buffer, lets the show apply what the controls asked
for, lets the engine analyse every new hop, and draws the program picture
into a framebuffer of its own. That picture is what a recording gets; the
screen gets it faded by a blackout, with the HUD and any error over it.
So audio reaches the picture within about one hop plus one frame.
"""

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import moderngl
import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import FEATURE_INDEX
from visualizer.audio.delay import DelayLine
from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.engine.adaptive import AdaptiveScale
from visualizer.engine.clock import WallClock
from visualizer.engine.core import Engine
from visualizer.engine.guard import FrameGuard
from visualizer.engine.latency import FrameStats, LatencyMeter
from visualizer.engine.show import Show
from visualizer.engine.watch import SceneWatcher
from visualizer.errors import OutputError
from visualizer.render.renderer import Renderer
from visualizer.render.shader_source import BLIT_FRAGMENT, link_program
from visualizer.scenes.scene import Scene

_ONSET_COUNT = FEATURE_INDEX["onset_count"]
_MODIFIERS = set()   # filled with pyglet's modifier keys when a window opens


@dataclass
class LiveOptions:
    """Everything about a live run besides its input and scenes."""

    size: tuple[int, int] = (1280, 720)
    size_given: bool = False          # --size named: fullscreen switches the monitor to it
    fullscreen: bool = False
    screen: int | None = None         # fullscreen on this monitor
    max_frames: int = 0               # quit after this many (tests, soak)
    screenshot: Path | None = None    # with max_frames: the last frame as PNG
    settings: AnalyzerSettings | None = None
    render_scale: float = 1.0
    adaptive: bool = True             # lower the scale to hold the frame rate
    av_offset: float = 0.0            # seconds the picture is delayed (negative: a played
                                      # file is heard that much after it is analysed)
    record: Path | None = None        # start recording at once to this file
    hud: bool = False
    calibrate: bool = False           # `visualizer latency`: flash on every click
    bus: ControlBus = field(default_factory=ControlBus)
    setlist: object = None
    director: object = None
    auto: bool = False
    controls: list = field(default_factory=list)   # started with the window, stopped after
    learn: object = None              # MidiLearn: L, then a key, binds the next control
    backing: object = None            # a second live source (a backing track)
    gate: object = None               # NoiseGate for the lead input
    backing_gate: object = None
    on_frame: object = None           # callable(show, hud_stats) each frame (tests, OSC out)
    on_record: object = None          # callable(recorder) as each recording starts (its notes)
    transpose: int = 0                # --transpose: the HUD names notes as the player reads them


@dataclass
class LiveResult:
    frames: int = 0
    latency: str = ""
    late: int = 0
    dropped: int = 0
    failed_commands: int = 0
    rejected_messages: int = 0
    recordings: list = field(default_factory=list)
    scene: str = ""                   # the scene on screen at the end
    flashes: int = 0                  # calibration: clicks flashed
    faults: int = 0                   # frames that failed (the last picture was held)
    interrupted: bool = False         # ended by Ctrl-C (SIGINT), not Esc or max_frames
    last_error: str = ""              # why the last control message was ignored or failed
    applied: dict = field(default_factory=dict)   # commands applied, by source


def run_live(source, scenes: list[Scene], *, scene: str,
             options: LiveOptions | None = None) -> LiveResult:
    """Open the window and run until Esc, the window closes or ``max_frames``.

    ``source`` is a started-on-demand live input (MicSource or FilePlayer).
    """
    import pyglet
    # pyglet checks glGetError after its own calls and would raise on errors
    # that belong to moderngl's calls; moderngl checks its own.
    pyglet.options["debug_gl"] = False
    pyglet.options["vsync"] = True
    try:   # importing pyglet's windowing connects to the display
        from pyglet.window import key
    except Exception as e:  # noqa: BLE001 -- pyglet's display errors share no base class
        raise OutputError(f"cannot open a window: no display ({e}); run it on a desktop "
                          "or set DISPLAY") from None

    o = options or LiveOptions()
    _MODIFIERS.update((key.LSHIFT, key.RSHIFT, key.LCTRL, key.RCTRL, key.LALT, key.RALT,
                       key.LMETA, key.RMETA, key.CAPSLOCK))
    window = _open_window(pyglet, o)
    refresh = _refresh_rate(window)
    ctx = moderngl.create_context()
    renderer = Renderer(ctx, owns_context=False, sample_rate=source.sample_rate,
                        render_scale=o.render_scale)
    result = LiveResult()
    try:
        settings = o.settings or AnalyzerSettings(sample_rate=source.sample_rate)
        backing = Analyzer(settings) if o.backing is not None else None
        engine = Engine(renderer, scenes, scene=scene, analyzer=Analyzer(settings),
                        backing=backing)
    except BaseException:
        renderer.release()
        window.close()
        raise
    live = _Live(pyglet, window, ctx, renderer, engine, source, o, refresh, result)

    @window.event
    def on_draw():
        try:
            live.frame()
        except Exception as e:  # noqa: BLE001 -- the show goes on: last picture + the error
            live.fault(e)

    keymap = {key.LEFT: ("prev_scene",), key.RIGHT: ("next_scene",),
              key.UP: ("prev_cue",), key.DOWN: ("next_cue",), key.PAGEUP: ("prev_cue",),
              key.PAGEDOWN: ("next_cue",), key.SPACE: ("tap",),
              key.B: ("blackout", TOGGLE), key.F: ("freeze", TOGGLE), key.H: ("hud", TOGGLE),
              key.R: ("record", TOGGLE), key.A: ("auto", TOGGLE)}

    @window.event
    def on_key_press(symbol, modifiers):
        if live.learning:
            live.learn_key(symbol, key)
        elif symbol == key.L and o.learn is not None:
            live.learning = True
            o.learn.listen()   # a control moved now is bound by the key that follows
        elif key._1 <= symbol <= key._9:
            o.bus.post(Command("scene_index", value=symbol - key._1, source="key"))
        elif symbol in keymap:
            action, *value = keymap[symbol]
            o.bus.post(Command(action, value=value[0] if value else 0.0, source="key"))
        elif symbol == key.ESCAPE:
            pyglet.app.exit()
        return pyglet.event.EVENT_HANDLED

    started = []
    try:
        for control in o.controls:  # OSC servers start(); MIDI inputs open()
            (getattr(control, "start", None) or control.open)()
            started.append(control)
        source.start()
        if o.backing is not None:
            o.backing.start()
        live.begin()
        try:
            pyglet.app.run(interval=1.0 / refresh)
        except KeyboardInterrupt:   # Ctrl-C: close as Esc does, and say so in the result
            result.interrupted = True
    finally:
        for stop in [source.stop] + ([o.backing.stop] if o.backing is not None else []) \
                + [getattr(c, "stop", None) or c.close for c in started]:
            try:
                stop()
            except Exception:  # noqa: BLE001 -- closing must finish whatever failed
                pass
        live.close()
        renderer.release()
        window.close()
    return result


def _open_window(pyglet, o: LiveOptions):
    config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True,
                              double_buffer=True, depth_size=0)
    screen = None
    if o.screen is not None:
        screens = pyglet.display.get_display().get_screens()
        if not 0 <= o.screen < len(screens):
            raise OutputError(f"--screen {o.screen}: no such screen (there are {len(screens)}: "
                              f"0..{len(screens) - 1}; `visualizer devices` lists them)")
        screen = screens[o.screen]
    try:
        fullscreen = o.fullscreen or screen is not None
        # Fullscreen keeps the monitor's own mode (a 1080p projector stays 1080p)
        # unless a size was asked for.
        w, h = (None, None) if fullscreen and not o.size_given else o.size
        return pyglet.window.Window(
            width=w, height=h, caption="visualizer", resizable=True,
            fullscreen=fullscreen, screen=screen, vsync=True, config=config)
    except Exception as e:  # pyglet's display and config errors share no base class
        raise OutputError(f"cannot open a window with OpenGL 3.3 ({e}); "
                          "is there a display (DISPLAY) with OpenGL?") from None


class _Live:
    """One frame at a time: input, controls, analysis, picture, HUD, record."""

    def __init__(self, pyglet, window, ctx, renderer, engine, source, o: LiveOptions,
                 refresh: float, result: LiveResult):
        from visualizer.output.display.hud import Hud, HudStats
        self.pyglet, self.window, self.ctx = pyglet, window, ctx
        self.renderer, self.engine, self.source, self.o = renderer, engine, source, o
        self.result = result
        self.refresh = refresh
        self.clock = WallClock(fps=refresh)
        self.adaptive = AdaptiveScale(1.0 / refresh, high=o.render_scale) if o.adaptive else None
        # A new version or scene far too slow to show is refused or taken back.
        self.watcher = SceneWatcher(engine)
        self.guard = FrameGuard(engine, period=1.0 / refresh, adaptive=self.adaptive,
                                keep=self.watcher.keep)
        self.watcher.admit = self.guard.replace
        self.overlay = _ErrorOverlay(pyglet, window)
        self.show = Show(engine, o.bus, setlist=o.setlist, director=o.director, auto=o.auto)
        self.show.hud = o.hud
        self.learning = False     # L pressed: the next key picks what MIDI learn binds
        self._polled = [c for c in o.controls if hasattr(c, "poll")]
        self.show.recording = o.record is not None
        self.latency = LatencyMeter()
        self.frames = FrameStats(240, target_fps=refresh)
        self.hud = Hud(window)
        self.stats = HudStats(frames=self.frames, latency=self.latency)
        delay = round(o.av_offset * source.sample_rate) if o.av_offset > 0 else 0
        self.delay = DelayLine(delay) if delay else None
        self.backing_delay = DelayLine(delay) if delay and o.backing is not None else None
        self.show.tap_offset = o.av_offset
        w, h = window.get_framebuffer_size()
        self.size = (w, h)
        self.program = ctx.texture(self.size, 4)
        self.program.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.program_fbo = ctx.framebuffer(color_attachments=[self.program])
        self._present = link_program(ctx, BLIT_FRAGMENT)
        self._present["image"].value = 0
        self._vao = ctx.vertex_array(self._present, [])
        self.recorder = None
        self._recorded = 0   # samples given to the recorder: its clock
        self._last_onsets = 0.0
        self._flash = 0
        self._capture = float("nan")
        self._last_start = 0.0
        self._fault = ""
        self._logged = time.perf_counter()
        flip = window.flip

        def timed_flip():  # the moment the frame goes to the display
            flip()
            if self._capture == self._capture:  # not NaN
                self.latency.add(time.perf_counter() - self._capture + o.av_offset)
        window.flip = timed_flip

    _LEARN_ACTIONS = {"I": "intensity", "N": "next_cue", "P": "prev_cue", "T": "tap",
                      "B": "blackout", "F": "freeze", "R": "record", "A": "auto", "H": "hud"}

    def learn_key(self, symbol: int, key) -> None:
        """In learn mode: 1-9 pick a parameter of the current scene, S the
        scene itself, a letter an action (I intensity, N/P next/previous cue,
        T tap, B blackout, F freeze, R record, A auto, H HUD); Esc cancels.
        The control moved since L, or else the next one, is bound to it and
        saved."""
        if symbol in _MODIFIERS:
            return   # Shift and friends: still waiting for the key
        learn, self.learning = self.o.learn, False
        params = list(self.engine.states[self.engine.current].scene.params)
        name = key.symbol_string(symbol).lstrip("_")
        target = None
        if name.isdigit() and 1 <= int(name) <= len(params):
            target = ("param", self.engine.current, params[int(name) - 1])
        elif name == "S":
            target = ("scene", self.engine.current)
        elif name in self._LEARN_ACTIONS:
            target = self._LEARN_ACTIONS[name]
        try:
            if target is None:   # Esc, or a key that names nothing: MIDI works as before
                learn.cancel()
            else:
                learn.arm(target)
        except Exception as e:  # noqa: BLE001 -- a target that cannot be bound is shown, not fatal
            learn.cancel()
            self.o.bus.failed += 1
            self.o.bus.last_error = f"MIDI learn: {e}"

    def begin(self) -> None:
        if self.show.recording:   # --record: a file that cannot be written stops us here
            self._start_recording(strict=True)

    def _follow_window_size(self) -> None:
        """The program picture follows the window (a resize, a window manager)."""
        size = tuple(self.window.get_framebuffer_size())
        if size == self.size or min(size) < 1:
            return
        self.program_fbo.release()
        self.program.release()
        self.size = size
        self.program = self.ctx.texture(size, 4)
        self.program.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.program_fbo = self.ctx.framebuffer(color_attachments=[self.program])

    def frame(self) -> None:
        t0 = time.perf_counter()
        self._capture = float("nan")
        o, engine, show = self.o, self.engine, self.show
        guard, probes = self.guard, self.guard.probes
        self.watcher.poll()
        self._follow_window_size()
        timing = self.clock.tick()
        samples = self.source.ring.drain()
        capture = self.source.ring.drained_time
        lost = getattr(self.source, "status_text", "")
        if lost and samples.shape[0] == 0:  # the show goes on, hearing silence
            samples, capture = self.source.silence_due(), float("nan")
        if self.delay is not None:
            samples = self.delay.process(samples)
        if self.recorder is not None:   # the sound as the picture hears it, before the gate
            self.recorder.write_audio(samples)
            self._recorded += samples.shape[0]
        if o.gate is not None:
            samples = o.gate.process(samples)
        backing = None
        if o.backing is not None:
            backing = o.backing.ring.drain()
            if getattr(o.backing, "status_text", "") and backing.shape[0] == 0:
                backing = o.backing.silence_due()
            if self.backing_delay is not None:
                backing = self.backing_delay.process(backing)
            if o.backing_gate is not None:
                backing = o.backing_gate.process(backing)
        for control in self._polled:   # a footswitch's held and single presses come due
            control.poll()
        show.update(timing.time, timing.delta)
        frame = engine.listen(samples, capture_time=capture, backing=backing)
        watched = False
        if not show.frozen:
            guard.begin(timing, self.size)
            watched = guard.watching
            if watched:
                self.ctx.finish()   # time this frame's draw alone
            drawn = time.perf_counter()
            engine.draw(frame, timing, self.program_fbo, size=self.size)
        self._record()
        self._draw_screen(frame)
        self._level(samples, frame)
        if show.hud:
            self._fill_stats(frame, lost)
            self.hud.draw(self.stats)
        self.overlay.draw(self.watcher.error or guard.notice)
        if o.on_frame is not None:
            o.on_frame(show, frame)
        self.result.frames += 1
        self._log_latency(t0)
        if self.adaptive is not None or watched:
            self.ctx.finish()   # the work includes the GPU's; it also keeps latency low
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
        if o.max_frames and self.result.frames >= o.max_frames:
            if o.screenshot is not None:
                _save_screenshot(self.ctx.screen, self.window.get_framebuffer_size(), o.screenshot)
            self.pyglet.app.exit()

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
            self._present_program()
            self.overlay.draw(f"a frame failed, the last picture is held: {text}")
        except Exception:  # noqa: BLE001 -- nothing more can be done for this frame
            pass
        if self.o.max_frames and self.result.frames + self.result.faults >= self.o.max_frames:
            self.pyglet.app.exit()

    def _log_latency(self, now: float) -> None:
        """A line on stderr every 30 s for whoever watches the console."""
        if now - self._logged >= 30.0 and self.latency.count:
            self._logged = now
            print(f"visualizer: {self.latency.summary()}, {self.frames.fps:.0f} fps, "
                  f"{self.frames.late} late, {self.source.overflows} input overflows",
                  file=sys.stderr)

    def _present_program(self) -> None:
        screen = self.ctx.screen
        w, h = self.window.get_framebuffer_size()
        screen.use()
        self.ctx.viewport = (0, 0, w, h)
        self.program.use(0)
        self._present["size"].value = (float(w), float(h))
        self._present["gain"].value = self.show.fade
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def _draw_screen(self, frame) -> None:
        screen = self.ctx.screen
        w, h = self.window.get_framebuffer_size()
        if screen.viewport != (0, 0, w, h):  # resized: moderngl keeps the old area
            screen.viewport = screen.scissor = (0, 0, w, h)
        screen.use()
        self.ctx.viewport = (0, 0, w, h)
        if self.o.calibrate:
            onsets = float(frame.values[_ONSET_COUNT])
            if onsets > self._last_onsets:
                self._flash = 3
                self.result.flashes += int(onsets - self._last_onsets)
            self._last_onsets = onsets
            shade = 1.0 if self._flash > 0 else 0.0
            self._flash -= 1
            self.ctx.clear(shade, shade, shade)
            return
        self._present_program()

    # -- recording -----------------------------------------------------------

    def _record(self) -> None:
        want = self.show.recording
        if want and self.recorder is None:
            self._start_recording()
        elif not want and self.recorder is not None:
            self._stop_recording()
        if self.recorder is not None:
            # The picture is timed by the sound it shows (the samples recorded
            # so far), so the two cannot drift apart however long the set.
            self.recorder.submit(self.program, self._recorded / self.source.sample_rate)

    def _start_recording(self, strict: bool = False) -> None:
        from visualizer.output.recorder import LiveRecorder, next_path
        base = self.o.record or Path(time.strftime("visualizer-%Y%m%d-%H%M%S.mp4"))
        path = next_path(base)   # never over an earlier recording
        try:
            self.recorder = LiveRecorder(self.ctx, self.size, path, fps=_record_fps(self.refresh),
                                         sample_rate=self.source.sample_rate)
        except Exception as e:  # noqa: BLE001 -- a recording that cannot start is not fatal live
            if strict:
                raise
            self.show.recording = False
            self.o.bus.last_error = f"record: {e}"
            self.o.bus.failed += 1
            print(f"visualizer: record: {e}", file=sys.stderr)
            return
        self._recorded = 0
        self.result.recordings.append(path)
        if self.o.on_record is not None:
            self.o.on_record(self.recorder)

    def _stop_recording(self, wait: bool = False) -> None:
        """Stop recording; the file is finished on a thread of its own unless
        ``wait`` (at exit), so the show does not stall on R."""
        recorder, self.recorder = self.recorder, None
        try:
            recorder.stop(wait=wait)
        except Exception as e:  # noqa: BLE001 -- a failed file must not stop the show
            self.o.bus.failed += 1
            self.o.bus.last_error = f"record: {e}"
            print(f"visualizer: record: {e}", file=sys.stderr)
        finally:
            self.result.dropped += recorder.dropped
            recorder.release()

    # -- the HUD ---------------------------------------------------------------

    def _level(self, samples: np.ndarray, frame) -> None:
        """The input meter and its clipping lamp (lit for a while after a peak)."""
        peak = max(float(samples.max()), -float(samples.min())) if samples.shape[0] else 0.0
        self.stats.set_level(float(frame.values[FEATURE_INDEX["level_db"]]),
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
        setlist = show.setlist
        s.next_cue = setlist.upcoming() if setlist is not None else (engine.switching or "")
        s.input_overflows = self.source.overflows
        s.dropped_frames = self.result.dropped + (self.recorder.dropped if self.recorder else 0)
        rec = self.recorder
        s.recording = rec is not None and rec.error is None
        s.blackout, s.freeze, s.auto = show.blackout, show.frozen, show.auto
        bus, learn = self.o.bus, self.o.learn
        problems = [lost, getattr(self.o.backing, "status_text", ""),
                    f"record: {rec.error}" if rec is not None and rec.error else "",
                    bus.summary()]   # the HUD redraws text a few times a second, not per frame
        if self.learning:
            problems.append("MIDI learn: 1-9 a parameter, S the scene, I N P T B F R A H an action")
        elif learn is not None and (learn.armed or learn.last):
            problems.append(f"MIDI learn: {learn.last or 'move a control'}")
        s.warnings = " | ".join(p for p in problems if p)

    def close(self) -> None:
        if self.recorder is not None:
            self._stop_recording(wait=True)
        self.result.latency = self.latency.summary()
        self.result.scene = self.engine.current
        self.result.late = self.frames.late
        self.result.failed_commands = self.o.bus.failed
        self.result.rejected_messages = self.o.bus.rejected
        self.result.last_error = self.o.bus.last_error
        self.result.applied = dict(self.show.applied)
        self.hud.release()
        for obj in (self._vao, self._present, self.program_fbo, self.program):
            obj.release()


def _record_fps(refresh: float) -> int:
    """Record at the display rate when it is a video rate, else 30."""
    for fps in (60, 50, 30, 25, 24):
        if abs(refresh - fps) < 1.0:
            return fps
    return 30


class _ErrorOverlay:
    """A scene's compile error, drawn over the last good picture."""

    def __init__(self, pyglet, window):
        self._pyglet, self._window = pyglet, window
        self._text = None
        self._label = self._box = None

    def draw(self, text: str) -> None:
        if not text:
            return
        pyglet, window = self._pyglet, self._window
        if text != self._text:
            self._text = text
            width = window.width - 40
            self._label = pyglet.text.Label(
                text, font_size=max(10, window.height // 48), x=20, y=20, width=width,
                multiline=True, anchor_y="bottom", color=(255, 210, 160, 255))
            h = self._label.content_height + 20
            self._box = pyglet.shapes.Rectangle(10, 10, window.width - 20, h,
                                                color=(40, 0, 0, 200))
        self._box.draw()
        self._label.draw()


def _refresh_rate(window) -> float:
    try:
        rate = window.screen.get_mode().rate
    except Exception:  # not every platform (or Xvfb) reports modes
        rate = 0
    return float(rate) if rate and rate > 0 else 60.0


def list_screens() -> list[str]:
    """The monitors a fullscreen window can go to (``--screen N``)."""
    import pyglet
    screens = pyglet.display.get_display().get_screens()
    lines = []
    for i, s in enumerate(screens):
        try:
            rate = s.get_mode().rate
        except Exception:  # noqa: BLE001 -- not every platform reports modes
            rate = 0
        hz = f", {rate} Hz" if rate else ""
        lines.append(f"{i:3d}  {s.width}x{s.height} at ({s.x}, {s.y}){hz}")
    return lines


def _save_screenshot(screen: moderngl.Framebuffer, size: tuple[int, int], path: Path) -> None:
    from visualizer.output.png import write_png
    w, h = size
    pixels = np.frombuffer(screen.read(viewport=(0, 0, w, h), components=3),
                           np.uint8).reshape(h, w, 3)
    write_png(path, pixels[::-1])
