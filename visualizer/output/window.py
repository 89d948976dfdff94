"""The live window: the only module that imports pyglet's windowing.

The window owns the GL context; the renderer borrows it. Each redraw drains
the live input's ring buffer, lets the engine analyse every new hop, and
draws, so audio reaches the picture within about one hop plus one frame.
"""

from pathlib import Path

import moderngl

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.clock import WallClock
from visualizer.engine import Cue, Engine
from visualizer.errors import OutputError
from visualizer.hot_reload import SceneWatcher
from visualizer.render.renderer import Renderer
from visualizer.scene import Scene


def run_live(source, scenes: list[Scene], *, scene: str, size: tuple[int, int],
             fullscreen: bool = False, max_frames: int = 0,
             screenshot: Path | None = None, settings: AnalyzerSettings | None = None,
             render_scale: float = 1.0) -> int:
    """Open the window and run until Esc, the window closes or ``max_frames``.

    ``source`` is a started-on-demand live input (MicSource or FilePlayer).
    Returns the number of frames drawn.
    """
    import pyglet
    # pyglet checks glGetError after its own calls and would raise on errors
    # that belong to moderngl's calls; moderngl checks its own.
    pyglet.options["debug_gl"] = False
    pyglet.options["vsync"] = True
    from pyglet.window import key

    config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True,
                              double_buffer=True, depth_size=0)
    try:
        window = pyglet.window.Window(
            width=size[0], height=size[1], caption="visualizer", resizable=True,
            fullscreen=fullscreen, vsync=True, config=config)
    except Exception as e:  # pyglet's display and config errors share no base class
        raise OutputError(f"cannot open a window with OpenGL 3.3 ({e}); "
                          "is there a display (DISPLAY) with OpenGL?") from None
    refresh = _refresh_rate(window)
    ctx = moderngl.create_context()
    renderer = Renderer(ctx, owns_context=False, sample_rate=source.sample_rate,
                        render_scale=render_scale)
    state = {"frames": 0}
    try:
        settings = settings or AnalyzerSettings(sample_rate=source.sample_rate)
        engine = Engine(renderer, scenes, scene=scene, analyzer=Analyzer(settings))
    except BaseException:
        renderer.release()
        window.close()
        raise
    clock = WallClock(fps=refresh)
    watcher = SceneWatcher(engine)
    overlay = _ErrorOverlay(pyglet, window)

    @window.event
    def on_draw():
        watcher.poll()
        samples = source.ring.drain()
        timing = clock.tick()
        size = window.get_framebuffer_size()
        engine.step(samples, timing, ctx.screen, capture_time=source.ring.capture_time, size=size)
        overlay.draw(watcher.error)
        state["frames"] += 1
        if max_frames and state["frames"] >= max_frames:
            if screenshot is not None:
                _save_screenshot(ctx.screen, size, screenshot)
            pyglet.app.exit()

    @window.event
    def on_key_press(symbol, modifiers):
        if key._1 <= symbol <= key._9:
            index = symbol - key._1
            if index < len(engine.keys):
                # A one-beat crossfade that starts on the next beat.
                engine.request(Cue(0.0, engine.keys[index], "crossfade", beats=1.0,
                                   quantize="beat"), clock.timing.time)
        elif symbol == key.SPACE:
            engine.analyzer.tap()  # tap tempo, at the audio time of the newest sample
        elif symbol == key.ESCAPE:
            pyglet.app.exit()
        return pyglet.event.EVENT_HANDLED

    source.start()
    try:
        pyglet.app.run(interval=1.0 / refresh)
    finally:
        source.stop()
        renderer.release()
        window.close()
    return state["frames"]


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


def _save_screenshot(screen: moderngl.Framebuffer, size: tuple[int, int], path: Path) -> None:
    import numpy as np
    from visualizer.png import write_png
    w, h = size
    pixels = np.frombuffer(screen.read(viewport=(0, 0, w, h), components=3),
                           np.uint8).reshape(h, w, 3)
    write_png(path, pixels[::-1])
