"""A small live preview of the program: a JPEG a few times a second, for a
remote's page.

:class:`PreviewSink` is a sink (``output/sink.py``): it asks the shared
read-back for a small picture only when the last one has been encoded and
``1 / rate`` seconds have passed, and hands the pixels to its own thread,
which encodes them (Pillow) and gives the JPEG to ``deliver``. The render
thread never waits for it: a picture that arrives while one is still being
encoded is dropped and counted.
"""

import io
import threading
import time

import numpy as np

from visualizer.output.sink import Picture, Sink

PREVIEW_WIDTH = 320


def preview_size(size: tuple[int, int], width: int = PREVIEW_WIDTH) -> tuple[int, int]:
    """The preview's size for a program of ``size``: ``width`` wide, the
    same shape, even sides."""
    w, h = size
    return width, max(2, round(width * h / w / 2) * 2)


def jpeg(pixels: np.ndarray, quality: int = 70) -> bytes:
    """(h, w, 3) uint8 RGB as JPEG bytes."""
    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


class PreviewSink(Sink):
    """Pictures of ``size`` at most ``rate`` a second, as JPEG, to ``deliver``
    (called on the sink's thread). ``clock`` gives seconds (injected)."""

    def __init__(self, size: tuple[int, int], deliver, *, rate: float = 5.0, quality: int = 70,
                 clock=time.monotonic):
        self.size = (int(size[0]), int(size[1]))
        self.deliver, self.period, self.quality, self._clock = deliver, 1.0 / rate, quality, clock
        self._due = -float("inf")
        self._picture: Picture | None = None
        self._ready = threading.Condition()
        self._closed = False
        self.encoded = 0
        self.errors = 0
        self.last_error = ""
        self._thread = threading.Thread(target=self._encode, name="preview", daemon=True)
        self._thread.start()

    def wants(self, time: float) -> bool:
        # Our own clock: the sinks' time stands still while no sound comes in.
        now = self._clock()
        if self._picture is not None or now < self._due:
            return False
        self._due = now + self.period
        return True

    def picture(self, picture: Picture) -> None:
        with self._ready:
            if self._picture is not None or self._closed:   # still encoding the last: drop
                self.dropped += 1
                picture.release()
                return
            self._picture = picture
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(1.0)

    def _encode(self) -> None:
        while True:
            with self._ready:
                while self._picture is None and not self._closed:
                    self._ready.wait()
                picture = self._picture
                if picture is None:
                    return
            try:
                data = jpeg(picture.pixels, self.quality)
                picture.release()
                picture = None
                self.deliver(data)
                self.encoded += 1
            except Exception as e:  # noqa: BLE001 -- counted; the preview is not the show
                self.errors += 1
                self.last_error = str(e)
            finally:
                if picture is not None:
                    picture.release()
                with self._ready:
                    self._picture = None
