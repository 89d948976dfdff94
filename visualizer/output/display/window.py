"""The live window: the only module that imports pyglet's windowing.

A display (``base.py``) for the live loop: the window owns the GL context,
which the renderer borrows. Each refresh pyglet's event loop asks for a
frame (``loop.frame()``), the window shows the program picture stretched to
its size and faded by a blackout, with the HUD and any error over it, and
once the frame is flipped to the screen the loop is told (``loop.shown()``):
the moment its audio-to-picture latency is measured.
"""

from pathlib import Path

import moderngl
import numpy as np

from visualizer.errors import OutputError
from visualizer.output.display.base import Display
from visualizer.output.display.hud import Hud
from visualizer.render.blit import Blit


class WindowDisplay(Display):
    """A pyglet window, or a fullscreen one on monitor ``screen``."""

    def __init__(self, size: tuple[int, int] = (1280, 720), *, size_given: bool = False,
                 fullscreen: bool = False, screen: int | None = None):
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
        self.pyglet, self._key, self.screen = pyglet, key, screen
        self.window = _open_window(pyglet, self, size, size_given, fullscreen)
        self.refresh = _refresh_rate(self.window)
        self.ctx = moderngl.create_context()
        self._blit = Blit(self.ctx)
        self._overlay = _ErrorOverlay(pyglet, self.window)
        # Made before any picture is drawn: pyglet's buffers made while a
        # moderngl vertex array is bound would be bound into it.
        self._hud = Hud(self.window)

    def size(self) -> tuple[int, int]:
        return tuple(self.window.get_framebuffer_size())

    def run(self, loop) -> bool:
        pyglet, window, key = self.pyglet, self.window, self._key

        @window.event
        def on_draw():
            try:
                loop.frame()
            except Exception as e:  # noqa: BLE001 -- the show goes on: last picture + the error
                loop.fault(e)

        @window.event
        def on_key_press(symbol, modifiers):
            name = key.symbol_string(symbol)
            bare = name.lstrip("_")
            if modifiers & key.MOD_SHIFT and bare[:1] == "F" and bare[1:].isdigit():
                name = "SHIFT+" + bare   # Shift+F1: the first effect's next look
            loop.key(name)
            return pyglet.event.EVENT_HANDLED

        window.after_flip = loop.shown
        try:
            pyglet.app.run(interval=1.0 / self.refresh)
        except KeyboardInterrupt:   # Ctrl-C: close as Esc does, and say so in the result
            return True
        return False

    def stop(self) -> None:
        self.pyglet.app.exit()

    def _screen(self) -> tuple[int, int]:
        screen = self.ctx.screen
        w, h = self.window.get_framebuffer_size()
        if screen.viewport != (0, 0, w, h):  # resized: moderngl keeps the old area
            screen.viewport = screen.scissor = (0, 0, w, h)
        screen.use()
        self.ctx.viewport = (0, 0, w, h)
        return w, h

    def present(self, texture, gain: float) -> None:
        self._blit.draw(texture, self._screen(), gain)

    def flash(self, shade: float) -> None:
        self._screen()
        self.ctx.clear(shade, shade, shade)

    def hud(self, stats) -> None:
        self._hud.draw(stats)

    def overlay(self, text: str) -> None:
        self._overlay.draw(text)

    def screenshot(self, path: Path) -> None:
        from visualizer.output.png import write_png
        w, h = self.window.get_framebuffer_size()
        pixels = np.frombuffer(self.ctx.screen.read(viewport=(0, 0, w, h), components=3),
                               np.uint8).reshape(h, w, 3)
        write_png(path, pixels[::-1])

    def close(self) -> None:
        self._hud.release()
        self._blit.release()
        self.window.close()


_WINDOW_CLASS = None


def _window_class(pyglet):
    """pyglet's window with a hook after each flip (the frame is on screen)."""
    global _WINDOW_CLASS
    if _WINDOW_CLASS is None:
        class _Window(pyglet.window.Window):
            after_flip = None

            def flip(self):
                super().flip()
                if self.after_flip is not None:
                    self.after_flip()
        _WINDOW_CLASS = _Window
    return _WINDOW_CLASS


def _open_window(pyglet, o: "WindowDisplay", size, size_given, fullscreen):
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
        fullscreen = fullscreen or screen is not None
        # Fullscreen keeps the monitor's own mode (a 1080p projector stays 1080p)
        # unless a size was asked for.
        w, h = (None, None) if fullscreen and not size_given else size
        return _window_class(pyglet)(
            width=w, height=h, caption="visualizer", resizable=True,
            fullscreen=fullscreen, screen=screen, vsync=True, config=config)
    except Exception as e:  # pyglet's display and config errors share no base class
        raise OutputError(f"cannot open a window with OpenGL 3.3 ({e}); "
                          "is there a display (DISPLAY) with OpenGL?") from None


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
