"""The beat period from the onset detection function: the tempo rule shared
by the live tracker and the offline one, and tap tempo.

* The ODF minus its mean over the previous 0.2 s, half-wave rectified, is
  the *beat ODF* (steady noise adds nothing); its autocorrelation is what
  the period is read from.
* :class:`PeriodPicker`: a metrical salience (the lag plus its half and its
  double) under a broad prior (log-normal, 120 BPM, one octave), then the
  *faster* related lag (half, third) whenever it has real support (50 % /
  70 % of the chosen peak): a 180 BPM click track is not read as 90, and a
  70 BPM one (no energy at 140's lag) stays 70. Parabolic interpolation,
  refined by the peak at twice the lag, gives sub-hop precision.
  :meth:`PeriodPicker.keeps` is the hysteresis between related tempi once
  one is held (no octave flip-flop).
* :class:`TapTempo`: from the second tap, tempo = median interval of the
  last (up to 8) taps, folded by octaves into the tempo range, and a beat
  grid aligned to the taps. Taps are dropped after 8 s without one; a gap
  of more than 2 s between taps starts a new tap sequence.

Periods and times here are in hops of the ODF.
"""

import math

import numpy as np

BEAT_ODF_MEAN_S = 0.2
"""The beat ODF is the ODF minus its mean over this much past."""
PRIOR_BPM = 120.0
"""The centre of the tempo prior, and the tempo before any estimate."""
ODF_MAX = 1e4
"""The ODF is clipped to this: the SuperFlux ODF stays below ~500
(137 bands x log10(1 + 2048)), and bad input must not overflow the ACF."""
_PRIOR_OCTAVES = 1.0
_FASTER_SUPPORT = ((2, 0.5), (3, 0.7))  # (divisor, share of the peak the faster lag needs)
_OCTAVE_BAND = 0.1  # hysteresis around those shares once a tempo is held
_KEEP_3_2 = 0.8  # keep a tempo against a 3:2 relative up to 1 / 0.8 its salience
_TAP_TIMEOUT_S = 8.0
_TAP_RESET_S = 2.0
_MAX_TAPS = 8


def parabolic(y_left: float, y_mid: float, y_right: float) -> float:
    """Offset in (-0.5, 0.5) of the vertex of the parabola through three points."""
    den = y_left - 2.0 * y_mid + y_right
    if den >= 0.0:
        return 0.0
    return max(-0.5, min(0.5, 0.5 * (y_left - y_right) / den))


def _local_peak(a: np.ndarray, centre: float, radius: float) -> int:
    """Index of the largest value of ``a`` within ``centre +- radius`` (clipped)."""
    lo = max(1, int(math.floor(centre - radius)))
    hi = min(a.shape[0] - 1, int(math.ceil(centre + radius)) + 1)
    if hi <= lo:
        return min(max(int(round(centre)), 1), a.shape[0] - 2)
    return lo + int(np.argmax(a[lo:hi]))


class PeriodPicker:
    """Chooses the beat period (in hops) from an autocorrelation.

    Metrical salience of lag ``l``: ``acf(l) + (acf(l/2) + acf(2l)) / 2``
    (each read as the largest value within 2 hops), times a broad
    log-normal prior. A beat level sits in a duple relation to its
    subdivision and to the bar, so a lag three grid steps long (a dotted
    grouping, 2/3 or 4/3 of the beat) gets no help from its half and loses
    to the real beat. From the best lag the *faster* related lag (half,
    third) is then taken while its own peak holds enough of the chosen
    peak's value. Buffers are kept: picking allocates nothing.
    """

    def __init__(self, n_lags: int, hop_seconds: float, lag_min: float, lag_max: float):
        self.n_lags = n_lags
        self.lag_min, self.lag_max = lag_min, lag_max
        self.lo = max(2, int(math.floor(lag_min)))
        self.hi = min(n_lags - 3, int(math.ceil(lag_max)))
        self.base = 0.0
        lags = np.arange(self.lo, self.hi + 1)
        self._prior = _lag_prior(n_lags, hop_seconds)[self.lo:self.hi + 1]
        self._half = np.rint(lags / 2).astype(np.int64)
        self._double = np.minimum(2 * lags, n_lags - 1)
        self._double_ok = (2 * lags + 2 <= n_lags - 1).astype(np.float64)
        self._peak = np.empty(n_lags)  # acf's running max over +-2 lags
        self._score = np.empty(lags.size)
        self._tmp = np.empty(lags.size)

    def pick(self, acf: np.ndarray) -> tuple[float, float]:
        """``(period_hops, support)`` from ``acf`` (lags 0..n_lags-1).

        Sub-hop precise (parabolic, refined by the peak at twice the lag);
        support is the chosen peak's share of the zero-lag value.
        """
        lo, hi = self.lo, self.hi
        base = self.base = float(acf[lo:hi + 1].min())
        pk = self._peak
        np.copyto(pk, acf)
        for s in (1, 2):
            np.maximum(pk[s:], acf[:-s], out=pk[s:])
            np.maximum(pk[:-s], acf[s:], out=pk[:-s])
        pk -= base
        np.maximum(pk, 0.0, out=pk)
        score, tmp = self._score, self._tmp
        np.take(pk, self._double, out=score)
        score *= self._double_ok
        np.take(pk, self._half, out=tmp)
        score += tmp
        score *= 0.5
        np.subtract(acf[lo:hi + 1], base, out=tmp)
        score += tmp
        score *= self._prior
        best = _local_peak(acf, lo + int(np.argmax(score)), 2)
        changed = True
        while changed:
            changed = False
            peak = float(acf[best]) - base
            for div, share in _FASTER_SUPPORT:
                cand = best / div
                if cand < self.lag_min - 1:
                    continue
                c = _local_peak(acf, cand, max(2.0, 0.04 * cand))
                if peak > 0 and float(acf[c]) - base >= share * peak:
                    best, changed = c, True
                    break
        period = best + parabolic(acf[best - 1], acf[best], acf[best + 1])
        # Refine with the peak at twice the lag, where a hop is half the error.
        n = acf.shape[0]
        if 2 * period + 3 < n:
            c2 = _local_peak(acf, 2 * period, 2)
            if acf[c2] - base >= 0.5 * (acf[best] - base):
                p2 = (c2 + parabolic(acf[c2 - 1], acf[c2], acf[c2 + 1])) / 2.0
                if abs(p2 - period) < 1.0:
                    period = (period + 2.0 * p2) / 3.0
        support = float(acf[best] / acf[0]) if acf[0] > 0 else 0.0
        return float(min(max(period, self.lag_min), self.lag_max)), support

    def salience(self, lag: float) -> float:
        """The last pick's metrical salience (prior included) near ``lag`` (+-2 hops)."""
        i = int(round(lag)) - self.lo
        lo, hi = max(0, i - 2), min(self._score.shape[0], i + 3)
        return float(self._score[lo:hi].max()) if hi > lo else 0.0

    def height(self, acf: np.ndarray, lag: float) -> float:
        """The acf's peak near ``lag`` (+-2 hops) above the last pick's floor."""
        return float(acf[_local_peak(acf, lag, 2)]) - self.base

    def keeps(self, acf: np.ndarray, current: float, new: float) -> bool:
        """Hysteresis between metrically related tempi: keep the ``current``
        period against a ``new`` pick while it keeps enough support against a
        slower multiple (the same rule that prefers the faster level) or a
        3:2 neighbour. ``acf`` as given to the last :meth:`pick`."""
        ratio = new / current
        h_cur, h_new = self.height(acf, current), self.height(acf, new)
        # A band around the faster-level rule, so that a half-supported
        # level does not flip back and forth.
        for div, share in _FASTER_SUPPORT:
            if abs(ratio / div - 1.0) < 0.04:  # new is slower
                return h_cur >= (share - _OCTAVE_BAND) * h_new
            if abs(ratio * div - 1.0) < 0.04:  # new is faster
                return h_new < (share + _OCTAVE_BAND) * h_cur
        if abs(ratio / 1.5 - 1.0) < 0.04 or abs(ratio * 1.5 - 1.0) < 0.04:
            return self.salience(current) >= _KEEP_3_2 * self.salience(new)
        return False


def _lag_prior(n: int, hop_seconds: float) -> np.ndarray:
    """(n,) the log-normal tempo prior at each lag (hops)."""
    lags = np.maximum(np.arange(n, dtype=np.float64), 1e-9)
    centre = 60.0 / PRIOR_BPM / hop_seconds
    return np.exp(-0.5 * (np.log2(lags / centre) / _PRIOR_OCTAVES) ** 2)


def fold_period(period: float, lag_min: float, lag_max: float) -> float:
    """``period`` moved by octaves into ``lag_min..lag_max`` (clipped if none fits)."""
    while period > lag_max and period / 2 >= lag_min:
        period /= 2
    while period < lag_min and period * 2 <= lag_max:
        period *= 2
    return min(max(period, lag_min), lag_max)


class TapTempo:
    """The beat period and grid from taps, in hops (see the module docstring).

    :meth:`tap` records a tap; while :attr:`pending`, :meth:`grid` gives the
    period and a beat of the grid the taps make.
    """

    def __init__(self, *, hop_seconds: float, lag_min: float, lag_max: float):
        self.hop_seconds, self.lag_min, self.lag_max = hop_seconds, lag_min, lag_max
        self._taps: list[float] = []
        self.pending = False
        """New taps not yet taken up by :meth:`grid`."""

    def tap(self, hop: float) -> None:
        """A tap at (fractional) hop ``hop``."""
        if self._taps and not 0 < hop - self._taps[-1] <= _TAP_RESET_S / self.hop_seconds:
            self._taps.clear()  # a long pause (or time going back): a new sequence
        self._taps.append(hop)
        del self._taps[:-_MAX_TAPS]
        self.pending = len(self._taps) >= 2

    def clear(self) -> None:
        """Drop the taps."""
        self._taps.clear()
        self.pending = False

    def active(self, newest: int) -> bool:
        """Whether the taps still rule at hop ``newest`` (they time out)."""
        if len(self._taps) < 2:
            return False
        if newest - self._taps[-1] > _TAP_TIMEOUT_S / self.hop_seconds:
            self._taps.clear()
            return False
        return True

    def grid(self) -> tuple[float, float]:
        """``(period, beat)``: the median interval folded into the tempo range,
        and a beat (hop) of the grid through the taps."""
        self.pending = False
        taps = self._taps
        intervals = [b - a for a, b in zip(taps, taps[1:])]
        p = fold_period(float(np.median(intervals)), self.lag_min, self.lag_max)
        # Anchor the grid on the taps: mean offset of each tap from the last.
        last = taps[-1]
        off = sum(((t - last + p / 2) % p) - p / 2 for t in taps) / len(taps)
        return p, last + off
