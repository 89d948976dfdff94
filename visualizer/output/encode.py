"""A render's pictures into a video file, on an encoder thread of its own.

The sink for offline renders: pictures come in order from the shared
read-back (``sink.py``) and go through a bounded queue to an encoder thread
(PyAV releases the GIL while x264 works), so drawing, read-back and encoding
overlap. The render waits when the encoder is behind; nothing is dropped.
"""

import queue
import threading

from visualizer.output.sink import Picture, Sink
from visualizer.output.video import VideoWriter

_STOP = object()


class VideoSink(Sink):
    """Every picture into ``writer`` (which it closes)."""

    def __init__(self, writer: VideoWriter, *, queued: int = 4):
        self.writer = writer
        self.size = writer.size
        self._work: queue.Queue = queue.Queue(maxsize=queued)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, name="encoder", daemon=True)
        self._thread.start()

    def picture(self, picture: Picture) -> None:
        self._put(picture)

    def audio(self, block, time: float) -> None:
        self._raise()

    def _put(self, item) -> None:
        while True:
            self._raise()
            try:
                self._work.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _encode(self) -> None:
        try:
            while (picture := self._work.get()) is not _STOP:
                try:
                    self.writer.write_video(picture.pixels)
                finally:
                    picture.release()
        except BaseException as e:  # handed to the render thread, which raises it
            self._error = e

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Encode what is queued and finish the file."""
        self._put(_STOP)
        self._thread.join()
        self._raise()
        self.writer.close()

    def abort(self) -> None:
        """Stop without finishing (after a failure); the caller removes the file."""
        if self._thread.is_alive():
            try:
                self._work.put(_STOP, timeout=1.0)
            except queue.Full:
                pass
            self._thread.join(timeout=5.0)
        self.writer.abort()
