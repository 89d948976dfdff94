"""The program at a constant frame rate, with its sound, through a writer on a
thread of its own: what the live recorder, the network stream and NDI share.

A sink (``output/sink.py``): the render thread hands over the samples it
drained and, through the shared read-back, the pictures, and never waits.
Output frame k is at k / fps from ``origin``: a picture is asked for only
when a frame is due (a 60 Hz display sent at 30 fps takes every other one),
repeated over gaps, and dropped, counted, when the writer is behind (the
read-back's pool has no free array, or more than ``max_backlog`` pictures
wait); the next picture then fills its frames, so the picture never drifts
from the sound. Audio goes through a ring buffer of several seconds and is
lost only if that overruns (then replaced by silence, so the sync holds).

The writer is anything with ``write_video(rgb)``, ``write_audio(stereo)``,
``frames``, ``samples``, ``close()`` and ``abort()``: a
:class:`~visualizer.output.video.VideoWriter` (a file, a network stream) or
an NDI sender. Only the writer's thread calls it.
"""

import math
import queue
import sys
import threading
from collections import deque

import numpy as np

from visualizer.audio.ring import RingBuffer
from visualizer.errors import OutputError, VisualizerError
from visualizer.output.sink import Picture, Sink

_STOP = object()


class EncoderSink(Sink):
    """Hands the pictures and sound of the render thread to ``writer`` at a
    constant ``fps``, on a thread named ``name``.

    ``label`` names it in messages (``recording show.mp4``, ``stream
    udp://...``). ``max_backlog``: pictures that may wait for the writer
    before a new one is dropped (None: as many as the read-back's pool holds).
    Call :meth:`stop` (or ``close``) once the ProgramOut has flushed.
    """

    lets_go = False
    """Whether the program may end before ``stop(wait=False)`` has finished
    (a stream: nothing is left to keep), rather than wait for it (a file)."""

    def __init__(self, writer, size: tuple[int, int], *, fps: int, sample_rate: int,
                 label: str, name: str = "encoder", audio_seconds: float = 8.0,
                 origin: float = 0.0, max_backlog: int | None = None):
        self.writer, self.size, self.fps, self.sample_rate = writer, size, int(fps), sample_rate
        self.label, self.origin, self.max_backlog = label, origin, max_backlog
        self.frames = 0          # output frames given a picture so far; after stop, written
        self.dropped = 0         # output frames whose own picture was lost: writer behind
        self.audio_dropped = 0   # samples lost to an overrun audio ring (written as silence)
        self.error: str | None = None  # why the writer stopped, if it failed
        self._lost_until = 0
        self._carry = 0          # output frames of pictures dropped from the backlog
        self._stopped = False
        self._failure: BaseException | None = None
        self._counts: deque = deque()   # output frames each asked-for picture fills
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._audio = RingBuffer(int(audio_seconds * sample_rate))
        self._stereo = np.zeros((self._audio.capacity, 2), np.float32)
        self._silenced = 0
        self._heard = 0          # samples handed to write_audio
        self._thread = threading.Thread(target=self._encode, name=name, daemon=True)
        self._thread.start()

    @property
    def encoded(self) -> int:
        """Frames the writer has written so far."""
        return self.writer.frames

    @property
    def backlog(self) -> int:
        """Pictures read back and waiting for the writer."""
        return self._work.qsize()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    # -- render thread ----------------------------------------------------

    def wants(self, now: float) -> bool:
        """Is the picture of the show's time ``now`` needed?"""
        if self._stopped or self._failure is not None:
            return False
        due = math.floor((now - self.origin) * self.fps) + 1  # frames 0 .. due-1 are at or before now
        if due <= self.frames:
            return False               # not needed: no read-back at all
        self._counts.append((due - self.frames, due))
        self.frames = due
        return True

    def lost(self, now: float) -> None:
        """No array was free for the picture just asked for: the next one fills in."""
        count, due = self._counts.pop()   # asked for just now, by wants()
        self.frames -= count
        self.dropped += due - max(self.frames, self._lost_until)
        self._lost_until = due

    def picture(self, picture: Picture) -> None:
        count, _ = self._counts.popleft()
        if self._stopped or self._failure is not None:
            picture.release()
            return
        if self.max_backlog is not None and self._work.qsize() >= self.max_backlog:
            picture.release()          # the writer is behind: the next picture fills in
            self._carry += count
            self.dropped += count
            return
        self._work.put((picture, count + self._carry))
        self._carry = 0

    def audio(self, block: np.ndarray, time: float) -> None:
        self.write_audio(block)

    def write_audio(self, block: np.ndarray) -> None:
        """Mono float32 samples drained from the input this frame. Never waits."""
        if self._stopped or self._failure is not None:
            return
        n = block.shape[0]
        self._heard += n   # lost samples are written as silence: the clock counts them
        if self._audio.available + n > self._audio.capacity:
            self.audio_dropped += n
            return
        self._audio.write(block, 0.0)

    # -- writer thread ----------------------------------------------------

    def _encode(self) -> None:
        last = None
        try:
            while True:
                try:
                    item = self._work.get(timeout=0.05)
                except queue.Empty:
                    item = None
                self._write_audio()
                if item is _STOP:
                    break
                if item is not None:
                    picture, frames = item
                    for _ in range(frames):
                        self.writer.write_video(picture.pixels)
                    if last is not None:
                        last.release()
                    last = picture   # kept for padding at the end
            self._pad(last)
        except BaseException as e:  # kept for stop(), which raises it
            self._failure = e
            self.error = str(e)
            print(f"visualizer: {self.label}: {self.error}", file=sys.stderr)
        finally:
            if last is not None:
                last.release()
            self._drain()

    def _drain(self) -> None:
        """Hand back the pictures still queued (after a failure nobody writes them)."""
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                item[0].release()

    def _write_audio(self) -> None:
        lost = self.audio_dropped
        block = self._audio.drain()
        n = block.shape[0]
        if n:
            self._stereo[:n, 0] = block
            self._stereo[:n, 1] = block
            self.writer.write_audio(self._stereo[:n])
        if lost > self._silenced:  # where the loss was is approximate; its length is exact
            self._write_silence(lost - self._silenced)
            self._silenced = lost

    def _write_silence(self, n: int) -> None:
        while n > 0:
            k = min(n, self._stereo.shape[0])
            self._stereo[:k] = 0.0
            self.writer.write_audio(self._stereo[:k])
            n -= k

    def _pad(self, last) -> None:
        """Make the picture and the sound end together, within a frame."""
        writer, fps, sr = self.writer, self.fps, self.sample_rate
        needed = -(-writer.samples * fps // sr)
        while last is not None and writer.frames < needed:
            writer.write_video(last.pixels)
        self._write_silence(round(writer.frames * sr / fps) - writer.samples)

    # -- lifetime ---------------------------------------------------------

    def stop(self, *, wait: bool = True) -> None:
        """Write what is in flight and finish the writer.

        Idempotent; safe in a ``finally:`` after KeyboardInterrupt. Raises
        OutputError if the writer failed on the way (``error`` says why).
        With ``wait=False`` the queue and the writer are finished on a thread
        of their own, so the render thread does not stall (errors then go to
        ``error``).
        """
        if self._stopped:
            return
        self._stopped = True
        if not wait:
            # A file's closer is no daemon: the program waits for the file to be whole.
            self._closer = threading.Thread(target=self._finish_quietly, daemon=self.lets_go,
                                            name=f"{self._thread.name}-close")
            self._closer.start()
        else:
            self._finish()
            self._raise_failure()

    def close(self) -> None:
        self.stop()

    def _finish(self) -> None:
        self._work.put(_STOP)
        self._thread.join()
        self._drain()   # a picture handed over as the writer failed
        self.frames = self.writer.frames  # the end was padded to the sound's length
        if self._failure is None:
            self.writer.close()
        else:
            self.writer.abort()  # what was written already still plays

    def _finish_quietly(self) -> None:
        try:
            self._finish()
        except Exception as e:  # noqa: BLE001 -- reported through error, on no one's stack
            if self._failure is None:   # a failure on the writer's thread was told already
                self._failure = e
                self.error = str(e)
                print(f"visualizer: {self.label}: {self.error}", file=sys.stderr)

    def _raise_failure(self) -> None:
        if isinstance(self._failure, VisualizerError):
            raise OutputError(str(self._failure)) from None
        if self._failure is not None:
            raise self._failure

    def release(self) -> None:
        """Stop (if need be); kept for callers that release what they made."""
        self.stop()
