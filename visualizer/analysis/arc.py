"""The shape of a performance: dynamics, the intensity arc and its climax."""

import math
from collections import deque

import numpy as np

_SILENT_LUFS = -70.0
_LOUD_RANGE_LU = 16.0   # this far below the reference reads as not loud at all
_HEADROOM_LU = 8.0      # before a peak is heard, assume the first sound is this far below it


def raw_intensity(loud, density_per_s, brightness):
    """How much is happening: loudness against its slow peak (0..1), onsets
    per second (6 or more read full) and brightness, weighted."""
    return 0.55 * loud + 0.3 * np.minimum(density_per_s / 6.0, 1.0) + 0.15 * brightness


class ArcTracker:
    """Dynamics relative to the recent past, a slow intensity arc, and a
    climax event when the arc peaks after a build.

    ``process`` writes, per hop, the columns of ``names``.
    """

    names = ("dynamics", "intensity", "climax")

    def __init__(self, *, hop_seconds: float, dynamics_tau_s: float = 30.0,
                 intensity_tau_s: float = 8.0, build: float = 0.25,
                 refractory_s: float = 20.0):
        self.hop_seconds = hop_seconds
        self._k_dyn = 1.0 - math.exp(-hop_seconds / dynamics_tau_s)
        self._k_int = 1.0 - math.exp(-hop_seconds / intensity_tau_s)
        # The climax is timed on a quicker arc: the slow one peaks seconds late.
        self._k_fast = 1.0 - math.exp(-hop_seconds / 3.0)
        self._k_density = 1.0 - math.exp(-hop_seconds / 4.0)
        self._ref_decay = 0.1 * hop_seconds          # loudness reference falls 0.1 LU/s
        # Where the arc was before a build: its minimum over the last 30 s,
        # kept as one sample every half second.
        self._history_every = max(1, round(0.5 / hop_seconds))
        self._history_len = 60
        self._pulse_decay = math.exp(-hop_seconds / 1.5)
        self.build = build
        self._refractory_hops = int(refractory_s / hop_seconds)
        self.reset()

    def reset(self) -> None:
        self._avg = None          # 30 s loudness average (LUFS), gated
        self._ref = None          # slow peak of short-term loudness
        self._density = 0.0       # onsets per hop, smoothed
        self.intensity = 0.0
        self._fast = 0.0
        self._history = deque(maxlen=self._history_len)
        self._hops = 0
        self._lo = 0.0
        self._hi = 0.0
        self._pulse = 0.0
        self._since = self._refractory_hops
        self.climaxes = 0

    @staticmethod
    def raw_intensity(loud, density_per_s, brightness):
        """How much is happening right now, 0..1, before the slow smoothing
        (floats or arrays alike)."""
        return raw_intensity(loud, density_per_s, brightness)

    def process(self, short_term_lufs: np.ndarray, onsets: np.ndarray, brightness: np.ndarray,
                out: np.ndarray) -> None:
        """Inputs of shape (hops,); writes ``out`` (hops, 3).

        The smoothers are linear (one ``lfilter`` each over the batch); only
        the climax's small state machine steps hop by hop.
        """
        from scipy.signal import lfilter

        st = np.asarray(short_term_lufs, np.float64)
        h = st.shape[0]
        if h == 0:
            return
        sounding = st > _SILENT_LUFS
        if self._avg is None and sounding.any():
            first = int(np.argmax(sounding))
            if first:  # silence before the first sound: handle it on its own
                self.process(st[:first], onsets[:first], brightness[:first], out[:first])
            self._start(st[first], float(onsets[first]), float(brightness[first]))
            st, onsets, brightness, out = st[first:], onsets[first:], brightness[first:], out[first:]
            sounding = sounding[first:]
            h = st.shape[0]
        k = self._k_density
        density, _ = lfilter([k], [1.0, k - 1.0], np.asarray(onsets, np.float64),
                             zi=[self._density * (1.0 - k)])
        self._density = float(density[-1])
        if self._avg is None:  # nothing heard yet: the arc rests at zero
            out[:, :2] = 0.0
            out[:, 1] = self.intensity
        else:
            # The 30 s average moves only while something sounds.
            k = self._k_dyn
            heard = st[sounding]
            avg = np.full(h, self._avg)
            if heard.size:
                moved, _ = lfilter([k], [1.0, k - 1.0], heard, zi=[self._avg * (1.0 - k)])
                idx = np.where(sounding, np.cumsum(sounding) - 1, -1)
                np.maximum.accumulate(idx, out=idx)
                avg = np.where(idx >= 0, moved[np.maximum(idx, 0)], self._avg)
                self._avg = float(moved[-1])
            out[:, 0] = np.where(sounding, np.clip(0.5 + (st - avg) / 20.0, 0.0, 1.0), 0.0)
            # The loudness reference: a peak falling 0.1 LU/s (a running maximum).
            steps = self._ref_decay * np.arange(1, h + 1)
            ref = np.maximum.accumulate(np.maximum(st + steps, self._ref)) - steps
            self._ref = float(ref[-1])
            loud = np.where(sounding, np.clip((st - ref + _LOUD_RANGE_LU) / _LOUD_RANGE_LU,
                                              0.0, 1.0), 0.0)
            raw = raw_intensity(loud, density / self.hop_seconds, np.asarray(brightness, np.float64))
            k = self._k_int
            intensity, _ = lfilter([k], [1.0, k - 1.0], raw, zi=[self.intensity * (1.0 - k)])
            self.intensity = float(intensity[-1])
            out[:, 1] = intensity
            k = self._k_fast
            fast, _ = lfilter([k], [1.0, k - 1.0], raw, zi=[self._fast * (1.0 - k)])
            self._fast = float(fast[-1])
            for i in range(h):
                out[i, 2] = self._climax_step(float(fast[i]))
            return
        for i in range(h):
            out[i, 2] = self._climax_step(self._fast)

    def _start(self, st: float, onset: float, brightness: float) -> None:
        """The first sound: start the arc here rather than ramping up from
        zero, which would look like a build."""
        self._avg, self._ref = st, st + _HEADROOM_LU
        loud = 1.0 - _HEADROOM_LU / _LOUD_RANGE_LU
        self.intensity = self._fast = self._hi = self.raw_intensity(
            loud, self._density / self.hop_seconds, brightness)

    def _climax_step(self, x: float) -> float:
        if self._hops % self._history_every == 0:
            self._history.append(x)
            self._lo = min(self._history)  # only when the history moves
        self._hops += 1
        lo = min(self._lo, x)
        self._hi = max(self._hi, x)
        self._since += 1
        self._pulse *= self._pulse_decay
        # A build (the arc rose well above where it was) that has just turned over.
        if (self._hi - lo >= self.build and x < self._hi - 0.02
                and self._since >= self._refractory_hops):
            self._pulse = 1.0
            self._since = 0
            self.climaxes += 1
            self._hi = x
            self._history.clear()
            self._history.append(x)
            self._lo = x
        if self._hi - x > 0.1:  # a long fall without a build: start looking again from here
            self._hi = x
        return self._pulse


def arc_offline(short_term_lufs: np.ndarray, onsets: np.ndarray, brightness: np.ndarray, *,
                hop_seconds: float, build: float = 0.25, refractory_s: float = 20.0
                ) -> np.ndarray:
    """The arc with the whole performance known: zero-phase smoothing and the
    climaxes placed on the arc's peaks. Inputs (hops,), zero-lag; returns
    (hops, 3) with the columns of ``ArcTracker.names``."""
    from scipy.signal import lfilter

    n = short_term_lufs.shape[0]
    out = np.zeros((n, 3))
    if n == 0:
        return out
    st = np.asarray(short_term_lufs, np.float64)
    sounding = st > _SILENT_LUFS

    def zero_phase(x: np.ndarray, tau_s: float) -> np.ndarray:
        # A one-pole forward then backward: the lag cancels; each pass gets
        # half the time constant so the overall smoothing is similar.
        k = 1.0 - math.exp(-hop_seconds / (tau_s / 2))
        fwd = lfilter([k], [1, k - 1], x, zi=[x[0] * (1 - k)])[0]
        return lfilter([k], [1, k - 1], fwd[::-1], zi=[fwd[-1] * (1 - k)])[0][::-1]

    held = st.copy()  # the 30 s average ignores silence: hold the last sounding value
    if sounding.any():
        idx = np.where(sounding, np.arange(n), -1)
        np.maximum.accumulate(idx, out=idx)
        first = int(np.argmax(sounding))
        idx[:first] = first
        held = st[idx]
        avg = zero_phase(held, 30.0)
        out[:, 0] = np.where(sounding, np.clip(0.5 + (st - avg) / 20.0, 0.0, 1.0), 0.0)
    # The loudness reference: a slow peak, as live (0.1 LU/s fall), both ways.
    decay = 0.1 * hop_seconds * np.arange(n)
    ref_fwd = np.maximum.accumulate(st + decay) - decay
    ref_bwd = (np.maximum.accumulate((st - decay)[::-1]) + decay[::-1])[::-1]
    ref = np.maximum(np.maximum(ref_fwd, ref_bwd), st)
    loud = np.where(sounding, np.clip((st - ref + _LOUD_RANGE_LU) / _LOUD_RANGE_LU, 0.0, 1.0), 0.0)
    density = zero_phase(np.asarray(onsets, np.float64), 4.0) / hop_seconds
    raw = raw_intensity(loud, density, np.asarray(brightness, np.float64))
    intensity = np.clip(zero_phase(raw, 8.0), 0.0, 1.0)
    out[:, 1] = intensity
    peaks = _climaxes(intensity, zero_phase(raw, 1.0), hop_seconds=hop_seconds,
                      build=build, refractory_s=refractory_s)
    if peaks.size:
        hops_since = np.arange(n)[:, None] - peaks[None, :]
        hops_since = np.where(hops_since >= 0, hops_since, np.iinfo(np.int64).max // 2)
        since = hops_since.min(axis=1) * hop_seconds
        out[:, 2] = np.where(since < 60.0, np.exp(-since / 1.5), 0.0)
    return out


def _climaxes(intensity: np.ndarray, fine: np.ndarray, *, hop_seconds: float, build: float,
              refractory_s: float) -> np.ndarray:
    """Hops of the climaxes: peaks of the arc at least ``build`` above its
    minimum over the 30 s before, after which it falls a little (or the piece
    ends). Each is placed at the top of the lightly smoothed arc ``fine``
    nearby, since the slow arc's symmetric smoothing pulls a peak ahead of an
    abrupt drop."""
    from scipy.signal import find_peaks

    before, after = int(30.0 / hop_seconds), int(10.0 / hop_seconds)
    reach = int(6.0 / hop_seconds)
    candidates, _ = find_peaks(np.concatenate([intensity, [-1.0]]),
                               distance=max(1, int(refractory_s / hop_seconds)))
    found = []
    for p in candidates:
        rise = intensity[p] - intensity[max(0, p - before):p + 1].min()
        tail = intensity[p:p + after]
        falls = intensity[p] - tail.min() >= 0.05 or p + after >= intensity.size
        if rise >= build and falls:
            lo = max(0, p - reach)
            found.append(lo + int(np.argmax(fine[lo:p + reach])))
    return np.array(found, dtype=int)
