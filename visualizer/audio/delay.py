"""A delay line: ``--av-offset`` delays the samples the analysis sees (the
picture follows later, to match a projector or a PA that lags behind the
sound), or, for a file, delays what is heard (the analysis runs ahead)."""

import numpy as np


class DelayLine:
    """Samples out ``delay`` samples after they went in; mono ``(n,)`` or
    ``(n, channels)`` blocks. A circular buffer allocated once (plus the
    largest block seen); :meth:`process` returns a view of a kept array."""

    def __init__(self, delay: int, *, channels: int = 0, block: int = 8192):
        self.delay = int(delay)
        tail = (channels,) if channels else ()
        self._buf = np.zeros((max(self.delay, 1),) + tail, np.float32)
        self._out = np.zeros((block,) + tail, np.float32)
        self._pos = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        n, d = block.shape[0], self.delay
        if d == 0:
            return block
        if n > self._out.shape[0]:  # a rare long gap; grow once
            self._out = np.zeros((n,) + self._out.shape[1:], np.float32)
        out = self._out[:n]
        buf, pos = self._buf, self._pos
        if n >= d:
            # All of the buffer comes out, then the start of the block; its end stays.
            first = d - pos
            out[:first] = buf[pos:]
            out[first:d] = buf[:pos]
            out[d:] = block[:n - d]
            buf[pos:] = block[n - d:n - d + first]
            buf[:pos] = block[n - d + first:]
            return out
        first = min(n, d - pos)
        out[:first] = buf[pos:pos + first]
        buf[pos:pos + first] = block[:first]
        if first < n:
            out[first:] = buf[:n - first]
            buf[:n - first] = block[first:]
        self._pos = (pos + n) % d
        return out
