"""A single-producer, single-consumer ring buffer for audio samples.

The producer is an audio callback: :meth:`write` only copies into memory
allocated up front and advances a counter. The consumer (the render loop)
drains what has arrived. Indices only grow, so "how much is unread" is one
subtraction and a lapped reader is detected, counted, and skipped ahead.
"""

import numpy as np


class RingBuffer:
    """Mono float32 samples with the capture time of the newest block."""

    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self._data = np.zeros(self.capacity, np.float32)
        self._written = 0  # total samples written (producer only)
        self._read = 0     # total samples read (consumer only)
        self.capture_time = float("nan")  # perf_counter() of the newest block
        self.drained_time = float("nan")  # capture time of the newest block drain() returned
        self.overflows = 0  # blocks the consumer lost because it fell behind
        self._out = np.zeros(self.capacity, np.float32)

    def write(self, block: np.ndarray, capture_time: float) -> None:
        """Copy ``block`` (1-D, any float dtype) in. Called from the audio thread."""
        n = block.shape[0]
        if n > self.capacity:
            block = block[-self.capacity:]
            n = self.capacity
        start = self._written % self.capacity
        first = min(n, self.capacity - start)
        self._data[start:start + first] = block[:first]
        if first < n:
            self._data[:n - first] = block[first:]
        # Publish after the copy: the reader never sees a half-written block;
        # and the time after the count, so a reader that takes the time first
        # never credits a block it has not drained.
        self._written += n
        self.capture_time = capture_time

    @property
    def available(self) -> int:
        """Samples written but not yet read."""
        return self._written - self._read

    def drain(self) -> np.ndarray:
        """Every unread sample, oldest first, as a view of a kept array.

        The view is valid until the next call. If the producer lapped the
        reader, the lost samples are skipped and counted in ``overflows``.
        """
        self.drained_time = self.capture_time   # of the newest block drained, or older
        written = self._written
        if written - self._read > self.capacity:
            self.overflows += 1
            self._read = written - self.capacity
        n = written - self._read
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        self._out[:first] = self._data[start:start + first]
        if first < n:
            self._out[first:n] = self._data[:n - first]
        self._read = written
        return self._out[:n]

    def reset(self) -> None:
        """Forget unread samples (consumer side)."""
        self._read = self._written
