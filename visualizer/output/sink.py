"""Where the program picture goes: the sink contract, and the one read-back
that feeds every sink that needs pixels.

A sink is anything that takes the program (the picture the show or the
render makes, frame by frame) with its timing and its sound: the live
recorder, the video file of a render, a PNG sequence, and next a network
stream or a web preview. Writing one is writing one small class:

.. code-block:: python

    class MySink(Sink):
        size = (1280, 720)              # the pixels it wants (None: no pixels)

        def wants(self, time):          # does it need the picture of this frame?
            return True
        def picture(self, picture):     # render thread: hand it on, never wait long
            queue.put(picture)          # ... and picture.release() when done with it
        def audio(self, block, time):   # the sound heard with this frame
            ...
        def close(self):                # finish (the file plays); raise if it failed
            ...

Every call comes from the render thread, in this order for each frame:
``audio(block, time)``, ``wants(time)``, then later (when the read-back of
that frame is done, a few frames on) ``picture(...)``; and ``close()`` or,
after a failure, ``abort()`` once at the end. ``picture`` and ``audio`` must
not block a live show: queue the work for a thread of your own. The
picture's ``pixels`` are shared by every sink and come from a fixed pool:
read them, copy them if you keep them, and call ``picture.release()`` when
done (from any thread), or the pool runs dry and frames are dropped (live)
or the render waits (offline). A live sink that goes wrong while the show
goes on (a stream whose connection dropped) says so in ``problem``, which
the HUD shows; ``output/encoder_sink.py`` is the base of the sinks that
encode at a constant frame rate on a thread of their own.
"""

import queue
import threading
from dataclasses import dataclass, field

import numpy as np

from visualizer.render.readback import ReadBack


@dataclass
class Picture:
    """One frame of the program, read back."""

    index: int                     # frame number in the program
    time: float                    # seconds: the program time it shows
    pixels: np.ndarray             # (h, w, 3) uint8 RGB, top row first: read-only, shared
    _pool: "_Pool | None" = field(default=None, repr=False)
    _users: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def release(self) -> None:
        """Done with ``pixels``: when every sink is, they go back to the pool."""
        with self._lock:
            self._users -= 1
            last = self._users == 0
        if last and self._pool is not None:
            self._pool.put(self.pixels)


class Sink:
    """The contract (see the module's text). Defaults: wants every frame,
    ignores the sound, and aborts by closing."""

    size: tuple[int, int] | None = None
    """The picture size it takes as pixels; None for a sink that takes none."""

    dropped: int = 0
    """Frames it lost because the read-back had no free array (live only)."""

    @property
    def problem(self) -> str:
        """What is wrong with it, in a few words for the HUD; "" when nothing is."""
        return ""

    def wants(self, time: float) -> bool:
        return True

    def picture(self, picture: Picture) -> None:
        picture.release()

    def lost(self, time: float) -> None:
        """The picture of ``time`` could not be read back (the pool was dry)."""
        self.dropped += 1

    def audio(self, block: np.ndarray, time: float) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.close()


class _Pool:
    def __init__(self, shape: tuple[int, int, int], count: int):
        self._free: queue.Queue = queue.Queue()
        for _ in range(count):
            self._free.put(np.empty(shape, np.uint8))

    def get(self, wait: bool) -> np.ndarray | None:
        try:
            return self._free.get() if wait else self._free.get_nowait()
        except queue.Empty:
            return None

    def put(self, array: np.ndarray) -> None:
        self._free.put(array)


class ProgramOut:
    """The program picture to every sink: one read-back per picture size,
    shared by the sinks of that size.

    ``wait`` (offline renders): when the pool is dry, wait for a sink to
    release an array, so no frame is ever dropped. Live (``wait=False``):
    the frame is dropped for the sinks that wanted it, and counted, and the
    show goes on.
    """

    def __init__(self, ctx, *, supersample: int = 1, in_flight: int = 3, pool: int = 8,
                 wait: bool = False):
        self.ctx, self.supersample, self.in_flight = ctx, supersample, in_flight
        self.pool_size, self.wait = pool, wait
        self.sinks: list[Sink] = []
        self._lanes: dict[tuple[int, int], tuple[ReadBack, _Pool]] = {}

    def add(self, sink: Sink) -> None:
        if sink.size is not None and sink.size not in self._lanes:
            w, h = sink.size
            self._lanes[sink.size] = (ReadBack(self.ctx, sink.size, supersample=self.supersample,
                                               in_flight=self.in_flight),
                                      _Pool((h, w, 3), self.pool_size))
        self.sinks.append(sink)

    def remove(self, sink: Sink) -> None:
        """Stop feeding ``sink`` (pictures in flight for it are released unseen)."""
        self.sinks.remove(sink)

    def sound(self, block: np.ndarray, time: float) -> None:
        """The sound of the frame about to be drawn (its samples up to ``time``)."""
        for sink in self.sinks:
            sink.audio(block, time)

    def frame(self, texture, index: int, time: float) -> None:
        """The picture drawn into ``texture`` for frame ``index`` at ``time``."""
        for size, (readback, pool) in self._lanes.items():
            # A read started in_flight frames ago is done: hand it over now, not
            # at the next submit (a preview wants a picture only a few times a second).
            while readback.pending and index - readback.tag_of_oldest()[0] >= self.in_flight:
                self._collect(readback, pool)
            takers = [s for s in self.sinks if s.size == size and s.wants(time)]
            if not takers:
                continue
            if readback.full:
                self._collect(readback, pool)
            pixels = pool.get(self.wait)
            if pixels is None:             # live, and every array is still with a sink
                for sink in takers:
                    sink.lost(time)
                continue
            readback.submit(texture, (index, time, takers, pixels))

    def _collect(self, readback: ReadBack, pool: _Pool) -> None:
        index, time, takers, pixels = readback.tag_of_oldest()
        readback.collect(pixels)
        takers = [s for s in takers if s in self.sinks]
        if not takers:
            pool.put(pixels)
            return
        picture = Picture(index, time, pixels, pool, len(takers))
        for sink in takers:
            sink.picture(picture)

    def flush(self) -> None:
        """Hand over every picture still being read back."""
        for readback, pool in self._lanes.values():
            while readback.pending:
                self._collect(readback, pool)

    def release(self) -> None:
        for readback, _ in self._lanes.values():
            readback.release()
        self._lanes.clear()
