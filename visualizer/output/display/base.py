"""The display contract: where a live show is seen.

The live loop (``engine/live.py``) knows no windowing toolkit. It asks its
display for a GL context and a size, hands it the program picture every
frame, and is driven by it: the display's :meth:`Display.run` calls
``loop.frame()`` once per refresh, puts the frame on screen, then calls
``loop.shown()`` (the moment the audio-to-picture latency is measured),
until ``loop`` asks to stop, the viewer closes it (Esc, the window's close
button) or Ctrl-C. Two displays exist: the pyglet window (``window.py``)
and none at all (``headless.py``: a box in the rack that records).

A new display (a second window on the projector, a web preview) is one
class with these methods.
"""


class Display:
    """What the live loop needs from a display."""

    ctx = None
    """The moderngl context to draw with; None: the loop makes its own (EGL)."""

    refresh: float = 60.0
    """Frames per second the show runs at."""

    def size(self) -> tuple[int, int]:
        """The program picture's size in pixels now (the window's, after a resize)."""
        raise NotImplementedError

    def run(self, loop) -> bool:
        """Call ``loop.frame()`` (or ``loop.fault(error)`` when it raises) each
        refresh, and ``loop.shown()`` once the frame is on screen, until
        :meth:`stop`. Also passes key presses to ``loop.key(name)``. Returns
        True if Ctrl-C ended it."""
        raise NotImplementedError

    def stop(self) -> None:
        """End :meth:`run` after the frame under way."""

    def present(self, texture, gain: float) -> None:
        """Show the program picture (``gain`` < 1 dims it: a blackout's fade)."""

    def flash(self, shade: float) -> None:
        """Calibration: the whole screen one grey ``shade`` (0 black, 1 white)."""

    def hud(self, stats) -> None:
        """Draw the heads-up display over the picture (a HudStats)."""

    def overlay(self, text: str) -> None:
        """An error over the picture (a broken shader: the last good picture stays)."""

    def screenshot(self, path) -> None:
        """Save what is on screen now as a PNG."""

    def close(self) -> None:
        """Release what the display holds."""
