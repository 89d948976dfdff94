"""The HUD's web remote badge: how a phone joins the show.

When the web remote listens beyond this machine (``--web-host``), the HUD
shows, in its top-right corner, a QR code of the remote's address with its
PIN (a phone's camera opens it and is in) and the same written out for
typing. Drawn with pyglet over the picture, like the rest of the HUD (so
never into a recording), and laid out again only when the window's size or
the text changes.
"""

import numpy as np

PANEL = (12, 14, 20, 215)
TITLE = (64, 200, 190, 255)
TEXT = (236, 239, 244, 255)
FONT = ["DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def qr_pixels(modules: np.ndarray, scale: int) -> np.ndarray:
    """(n, n) bool modules (True dark) as (n * scale, n * scale, 4) RGBA
    uint8, bottom row first (as GL and pyglet want)."""
    grey = np.where(modules, 0, 255).astype(np.uint8)
    big = np.repeat(np.repeat(grey, scale, axis=0), scale, axis=1)[::-1]
    out = np.empty(big.shape + (4,), np.uint8)
    out[..., :3] = big[..., None]
    out[..., 3] = 255
    return np.ascontiguousarray(out)


class RemoteBadge:
    """The badge of one pyglet window; :meth:`draw` on the window's thread."""

    def __init__(self, window):
        import pyglet
        self._pyglet, self._window = pyglet, window
        self._key = None
        self._parts: list = []
        self._batch = None

    def draw(self, text: str, modules: np.ndarray | None) -> None:
        """Draw ``text`` (lines) and the QR ``modules`` in the top-right corner."""
        window = self._window
        key = (window.width, window.height, text, None if modules is None else modules.shape)
        if key != self._key:
            self._layout(window.width, window.height, text, modules)
            self._key = key
        self._batch.draw()

    def _layout(self, width: int, height: int, text: str, modules) -> None:
        self.release()
        pyglet = self._pyglet
        self._batch = batch = pyglet.graphics.Batch()
        back, front = pyglet.graphics.Group(order=0), pyglet.graphics.Group(order=1)
        line = max(11.0, height / 28)
        pad = round(line * 0.5)
        lines = text.splitlines() or [""]
        font = line * 0.56 * 0.75
        side = 0
        if modules is not None:
            scale = max(2, int(min(height * 0.3, width * 0.25) // modules.shape[0]))
            side = modules.shape[0] * scale
        text_w = max(len(s) for s in lines) * line * 0.56 * 0.61
        panel_w = round(max(side, text_w) + 2 * pad)
        panel_h = round(side + (pad if side else 0) + len(lines) * line * 0.8 + 2 * pad)
        x, top = width - panel_w - round(line * 0.5), height - round(line * 0.5)
        self._parts.append(pyglet.shapes.RoundedRectangle(
            x, top - panel_h, panel_w, panel_h, round(line * 0.3), color=PANEL, batch=batch,
            group=back))
        y = top - pad
        if modules is not None:
            pixels = qr_pixels(modules, scale)
            image = pyglet.image.ImageData(side, side, "RGBA", pixels.tobytes(), pitch=side * 4)
            self._parts.append(pyglet.sprite.Sprite(image, x=x + (panel_w - side) // 2,
                                                    y=y - side, batch=batch, group=front))
            y -= side + pad
        for i, content in enumerate(lines):
            self._parts.append(pyglet.text.Label(
                content, x=x + pad, y=y - (i + 0.5) * line * 0.8, anchor_y="center",
                font_name=FONT, font_size=font, color=TITLE if i == 0 else TEXT,
                weight="bold" if i == 0 else "normal", batch=batch, group=front))

    def release(self) -> None:
        """Delete every shape, label and sprite."""
        for part in self._parts:
            part.delete()
        self._parts.clear()
        self._batch = None
        self._key = None
