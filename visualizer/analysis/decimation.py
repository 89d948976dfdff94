"""The pitch tracker's input: the analyzer's frames turned back into one
continuous stream, low-passed and decimated to about 12 kHz.

The analyzer hands over one frame per hop (the last ``n_fft`` samples, each
frame with its own mean removed, taken *before* the analyzer's Hann window).
Two consecutive frames share all but ``hop`` samples, so ``frame[i-1][hop] -
frame[i][0]`` is the change of mean, and the newest ``hop`` samples of each
frame plus a running offset are the continuous input (up to a constant, to
which YIN is blind; the next shared sample is checked too, so windowed or
non-consecutive frames raise ValueError). It goes through a 40-tap Kaiser
low-pass (-6 dB at 3 kHz, -55 dB and below from 5 kHz: a sax fundamental is
at most ~1400 Hz) evaluated in polyphase form at every 4th sample only:
48 kHz -> 12 kHz, 64 samples per hop. The low-pass also keeps YIN's dip
smooth, so parabolic interpolation is good to a few cents up to 1.4 kHz.
"""

import numpy as np

_AS_STRIDED = np.lib.stride_tricks.as_strided


def decimation_factor(sample_rate: int) -> int:
    """The integer factor that brings ``sample_rate`` nearest 12 kHz (at least 1)."""
    return max(1, round(sample_rate / 12000))


def _kaiser_lowpass(n_taps: int, cutoff: float, sample_rate: float, beta: float) -> np.ndarray:
    n = np.arange(n_taps) - (n_taps - 1) / 2
    h = np.sinc(2 * cutoff / sample_rate * n) * np.kaiser(n_taps, beta)
    return h / h.sum()


class StreamDecimator:
    """Rebuilds the stream from consecutive mean-removed frames and decimates it.

    :attr:`stream` holds ``history`` decimated samples followed by room for
    ``max_batch`` hops: :meth:`push` writes a batch after the history, and
    :meth:`advance` makes the newest ``history`` samples the next history.
    """

    def __init__(self, *, sample_rate: int, hop: int, max_batch: int, history: int):
        dec = decimation_factor(sample_rate)
        self.sample_rate, self.hop, self.dec = sample_rate, hop, dec
        self.hop_out = hop // dec
        """Decimated samples per hop."""
        self.history = history
        self.stream = np.zeros(history + self.hop_out * max_batch)
        """(history + hop_out * max_batch,) float64: the decimated stream."""
        # Polyphase: with S = stream.reshape(-1, dec) and Z = S @ H,
        # H[p, j] = h[dec (K-1-j) + dec-1-p], output n = sum_j Z[n+j, j].
        k = max(2, round(40 / dec))
        fs = sample_rate / dec
        h = _kaiser_lowpass(dec * k, min(3000.0, 0.25 * fs), sample_rate, 5.0)
        self._hpoly = np.array([[h[dec * (k - 1 - j) + dec - 1 - p] for j in range(k)]
                                for p in range(dec)])
        self._hist48 = dec * (k - 1)
        self._buf48 = np.zeros(self._hist48 + hop * max_batch)
        self._z = np.empty((k - 1 + self.hop_out * max_batch, k))
        n_out = self.hop_out * max_batch
        self._zdiag = _AS_STRIDED(self._z, shape=(n_out, k), strides=(k * 8, (k + 1) * 8))
        self._deltas = np.empty(max_batch)
        self._check = np.empty(max_batch)
        self._offs = np.empty(max_batch)
        self._offset = 0.0
        self._prev_shared = 0.0
        self._prev_shared2 = 0.0
        self._have_prev = False

    def push(self, frames: np.ndarray, hops: int) -> None:
        """Append ``hops`` hops of the rebuilt stream, decimated, after ``stream[:history]``."""
        n48 = hops * self.hop
        offs = self._offsets(frames, hops)
        hist = self._hist48
        np.add(frames[:, frames.shape[1] - self.hop:], offs[:, None],
               out=self._buf48[hist:hist + n48].reshape(hops, self.hop))
        m = (hist + n48) // self.dec
        np.matmul(self._buf48[:hist + n48].reshape(m, self.dec), self._hpoly, out=self._z[:m])
        n_out = hops * self.hop_out
        L = self.history
        new12 = self.stream[L:L + n_out]
        self._zdiag[:n_out].sum(axis=1, out=new12)
        self._buf48[:hist] = self._buf48[n48:n48 + hist]
        # Input is expected finite and within -1..1 (the analyzer sanitises it);
        # if NaN, inf or absurd values get through anyway, drop them here so
        # that they cannot poison the running state.
        energy = float(np.dot(new12, new12))
        if not energy < 1e6 * n_out:
            for buf in (self._buf48, self.stream):
                np.nan_to_num(buf, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
                np.clip(buf, -4.0, 4.0, out=buf)
            if not abs(self._offset) < 4.0:
                self._offset = 0.0
            self._have_prev = False                    # start the rebuilt stream afresh

    def advance(self, hops: int) -> None:
        """After a batch of ``hops``: its newest ``history`` samples become the history."""
        L, n = self.history, hops * self.hop_out
        self.stream[:L] = self.stream[n:n + L]

    def _offsets(self, frames: np.ndarray, hops: int) -> np.ndarray:
        """(hops,) the running offset that puts each frame's mean back."""
        hop = self.hop
        deltas, offs = self._deltas[:hops], self._offs[:hops]
        # mean_i - mean_(i-1) = frame_(i-1)[hop] - frame_i[0]: one sample, two means.
        np.subtract(frames[:hops - 1, hop], frames[1:hops, 0], out=deltas[1:])
        deltas[0] = (self._prev_shared - frames[0, 0]) if self._have_prev else 0.0
        # The next shared sample must give the same difference, or these are
        # not consecutive raw frames (windowed ones, say): fail loudly.
        check = self._check[:hops]
        np.subtract(frames[:hops - 1, hop + 1], frames[1:hops, 1], out=check[1:])
        check[0] = (self._prev_shared2 - frames[0, 1]) if self._have_prev else 0.0
        check -= deltas
        np.abs(check, out=check)
        # (NaN, inf and absurd values fail this test: they are dropped below.)
        if 1e-6 < check.max() < 100.0:
            raise ValueError("PitchTracker.process needs consecutive hops of one stream: each "
                             "frame the last n_fft samples with its mean removed, not windowed")
        np.cumsum(deltas, out=offs)
        offs += self._offset
        self._offset = float(offs[hops - 1])
        self._prev_shared = float(frames[hops - 1, hop])
        self._prev_shared2 = float(frames[hops - 1, hop + 1])
        self._have_prev = True
        return offs
