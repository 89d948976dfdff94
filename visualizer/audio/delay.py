"""A delay line for the samples the analysis sees: ``--av-offset`` delays the
picture to match a projector (or a PA) that lags behind the sound."""

import numpy as np


class DelayLine:
    """Mono float32 samples out ``delay`` samples after they went in.

    Memory is allocated once (the delay plus the largest block seen so far
    is kept); :meth:`process` returns a view of a kept array.
    """

    def __init__(self, delay: int, *, block: int = 8192):
        self.delay = int(delay)
        self._buf = np.zeros(self.delay + block, np.float32)
        self._out = np.zeros(block, np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        n = block.shape[0]
        if self.delay == 0:
            return block
        if n > self._out.shape[0]:  # a rare long gap; grow once
            self._out = np.zeros(n, np.float32)
            buf = np.zeros(self.delay + n, np.float32)
            buf[:self.delay] = self._buf[:self.delay]
            self._buf = buf
        buf = self._buf
        buf[self.delay:self.delay + n] = block
        out = self._out[:n]
        out[:] = buf[:n]
        buf[:self.delay] = buf[n:n + self.delay]
        return out
