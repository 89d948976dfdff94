"""A noise gate that keeps quiet bleed out of the analysis.

A backing track leaking into the sax microphone sits well below the sax; the
gate passes the sax and silences the bleed between phrases. The level is the
RMS of the last 10 ms in dBFS (a full-scale sine reads -3 dB). The gate opens
when the level reaches ``threshold_db`` and closes once it has stayed 6 dB
below that for ``hold`` seconds. The gain follows over ``attack`` (opening)
or ``release`` (closing) seconds along a smoothstep curve, so neither edge
clicks. Set the threshold a few dB above the bleed: with the default -50 dB,
bleed must stay under -56 dB RMS to be gated.

Every step is vectorised over the block with its state carried to the next
call, so the output is the same however the signal is cut into blocks.
"""

import math

import numpy as np

HYSTERESIS_DB = 6.0
_WINDOW = 0.010  # seconds of signal in the level


class NoiseGate:
    """Gate float32 mono blocks in place; ``open`` says whether it is open."""

    def __init__(self, threshold_db: float = -50.0, hold: float = 0.15, attack: float = 0.002,
                 release: float = 0.08, sample_rate: int = 48000, *, max_block: int = 4096):
        if attack <= 0 or release <= 0 or hold < 0:
            raise ValueError("noise gate: attack and release must be > 0, hold >= 0")
        self.threshold_db = float(threshold_db)
        self.sample_rate = sample_rate
        self._window = max(1, round(_WINDOW * sample_rate))
        # Compared with the sum of squares over the window (no division per sample).
        self._open_sum = 10.0 ** (threshold_db / 10.0) * self._window
        self._close_sum = 10.0 ** ((threshold_db - HYSTERESIS_DB) / 10.0) * self._window
        self._hold = max(1, round(hold * sample_rate))
        self._up = 1.0 / max(1.0, attack * sample_rate)
        self._down = 1.0 / max(1.0, release * sample_rate)
        self.open = False      # the gate's decision at the last sample (for the HUD)
        self._next = 0         # index of the next sample in the whole signal
        self._total = 0.0      # sum of squares of every sample so far
        self._history = np.zeros(self._window)  # running sums of the last window
        self._last_loud = -1   # last sample not below the close threshold
        self._last_open = -2   # last sample that opened the gate (-2, -1: closed)
        self._last_close = -1  # last sample that closed it
        self._phase = 0.0      # gain before shaping: 0 closed .. 1 open
        self._target = False   # where the phase is heading
        self._run_start = 0.0  # phase when the current attack or release began
        self._run_count = 0    # samples since then
        self._level_sum = 0.0
        self._capacity = 0
        self._grow(max_block)

    @property
    def level_db(self) -> float:
        """RMS of the last 10 ms in dBFS (for a meter)."""
        return 10.0 * math.log10(max(self._level_sum / self._window, 1e-20))

    @property
    def gain(self) -> float:
        """The gain applied to the last sample, 0..1."""
        p = self._phase
        return p * p * (3.0 - 2.0 * p)

    def _grow(self, n: int) -> None:
        # Sized for the largest block seen: allocation happens only when a
        # block is bigger than any before.
        self._capacity = n
        self._sums = np.zeros(self._window + n)
        self._level = np.zeros(n)
        self._ramp = np.arange(n, dtype=np.float64)
        self._iramp = np.arange(n, dtype=np.int64)
        self._index = np.zeros(n, np.int64)
        self._a = np.zeros(n, np.int64)
        self._b = np.zeros(n, np.int64)
        self._above = np.zeros(n, bool)
        self._below = np.zeros(n, bool)
        self._closing = np.zeros(n, bool)
        self._state = np.zeros(n, bool)
        self._p = np.zeros(n)
        self._g = np.zeros(n)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Gate ``block`` (float32, shape (n,)) in place and return it."""
        n = block.shape[0]
        if n == 0:
            return block
        if n > self._capacity:
            self._grow(n)
        state = self._decide(block, n)
        self._shape_gain(state, n)
        p = self._p[:n]
        if p[0] == 1.0 and state.all():
            return block  # open all block: unchanged, bit for bit
        if p[0] == 0.0 and not state.any():
            block[:] = 0.0
            return block
        g = self._g[:n]
        np.multiply(p, -2.0, out=g)  # smoothstep: p * p * (3 - 2p)
        g += 3.0
        g *= p
        g *= p
        block *= g
        return block

    def _decide(self, block: np.ndarray, n: int) -> np.ndarray:
        """Open (True) or closed per sample, with hysteresis and hold."""
        w = self._window
        sums = self._sums[:w + n]
        sums[:w] = self._history
        squares = sums[w:]
        np.copyto(squares, block)
        squares *= squares
        squares[0] += self._total  # carry first, so the sums match one long cumsum
        np.cumsum(squares, out=squares)
        self._total = float(squares[-1])
        level = self._level[:n]
        np.subtract(sums[w:], sums[:n], out=level)  # sum of squares over the window
        self._history[:] = sums[n:]
        self._level_sum = float(level[-1])

        index = self._index[:n]
        np.add(self._iramp[:n], self._next, out=index)
        above = np.greater_equal(level, self._open_sum, out=self._above[:n])
        below = np.less(level, self._close_sum, out=self._below[:n])
        # How long the level has been below the close threshold, per sample.
        loud = self._a[:n]
        np.copyto(loud, index)
        np.copyto(loud, -1, where=below)
        loud[0] = max(loud[0], self._last_loud)
        np.maximum.accumulate(loud, out=loud)
        self._last_loud = int(loud[-1])
        quiet = self._b[:n]
        np.subtract(index, loud, out=quiet)
        closing = np.greater_equal(quiet, self._hold, out=self._closing[:n])
        # Open where the latest opening event is later than the latest closing one.
        last_open, last_close = self._a[:n], self._b[:n]
        for last, events, carried in ((last_open, above, self._last_open),
                                      (last_close, closing, self._last_close)):
            last.fill(-3)
            np.copyto(last, index, where=events)
            last[0] = max(last[0], carried)
            np.maximum.accumulate(last, out=last)
        self._last_open, self._last_close = int(last_open[-1]), int(last_close[-1])
        state = np.greater(last_open, last_close, out=self._state[:n])
        self._next += n
        self.open = bool(state[-1])
        return state

    def _shape_gain(self, state: np.ndarray, n: int) -> None:
        """The gain phase per sample: linear ramps toward the state, clamped."""
        p = self._p[:n]
        i = 0
        while i < n:
            target = bool(state[i])
            # The run of equal states from i (argmax/argmin find the first change).
            k = int(np.argmin(state[i:]) if target else np.argmax(state[i:]))
            j = n if bool(state[i + k]) == target else i + k
            if target != self._target:
                self._run_start, self._run_count = self._phase, 0
            seg = p[i:j]
            if self._phase == (1.0 if target else 0.0) and self._run_count > 0:
                seg.fill(self._phase)  # saturated: what the ramp below would give
            else:
                np.add(self._ramp[:j - i], self._run_count + 1, out=seg)
                if target:
                    seg *= self._up
                    seg += self._run_start
                    np.minimum(seg, 1.0, out=seg)
                else:
                    seg *= -self._down
                    seg += self._run_start
                    np.maximum(seg, 0.0, out=seg)
            self._run_count += j - i
            self._phase = float(seg[-1])
            self._target = target
            i = j
