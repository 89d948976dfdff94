"""Offline tempo and beats of a whole recording (zero lag).

The same tempo rule as the live tracker (:class:`~visualizer.analysis.tempo.PeriodPicker`)
on the autocorrelation of the whole beat ODF, then Ellis's (2007) dynamic
programme picks the beat sequence that best balances onset strength and
regular spacing, and the tempo is refined by a straight-line fit through the
beats.
"""

import math

import numpy as np

from visualizer.analysis.onsets import ODF_PEAK_DELAY_HOPS
from visualizer.analysis.tempo import (
    BEAT_ODF_MEAN_S, ODF_MAX, PRIOR_BPM, PeriodPicker, fold_period)


def track_beats(odf: np.ndarray, hop_seconds: float, *, min_bpm: float = 60.0,
                max_bpm: float = 200.0, odf_delay_hops: float = ODF_PEAK_DELAY_HOPS,
                tightness: float = 100.0) -> tuple[float, np.ndarray]:
    """Offline tempo and beats of a whole ODF (zero lag).

    ``odf``: (n_hops,) from :class:`OnsetDetector` (hop ``i`` ending at
    ``(i + 1) * hop_seconds``). Returns ``(tempo_bpm, beat_times_s)``, the
    times shifted back by the detector's delay to land on the sound.
    """
    odf = np.nan_to_num(np.asarray(odf, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    odf = np.clip(odf, 0.0, ODF_MAX)
    lag_min, lag_max = 60.0 / max_bpm / hop_seconds, 60.0 / min_bpm / hop_seconds
    default = 60.0 / (fold_period(60 / PRIOR_BPM / hop_seconds, lag_min, lag_max) * hop_seconds)
    n = odf.shape[0]
    if n < 2:
        return default, np.zeros(0)
    m = max(1, int(round(BEAT_ODF_MEAN_S / hop_seconds)))
    cs = np.concatenate([[0.0], np.cumsum(odf)])
    start = np.maximum(np.arange(n) - m, 0)
    past_mean = (cs[np.arange(n)] - cs[start]) / np.maximum(np.arange(n) - start, 1)
    o = np.maximum(odf - past_mean, 0.0)
    n_lags = int(math.ceil(2 * lag_max)) + 3
    size = 1 << int(math.ceil(math.log2(2 * n + n_lags)))
    spec = np.fft.rfft(o, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n_lags]
    if n < n_lags:
        acf[n:] = 0.0
    if acf[0] <= 1e-12:  # silence: no beats
        return default, np.zeros(0)
    # Fewer pairs at long lags: partly unbias (at most x2) for short files.
    acf *= n / np.maximum(n - np.arange(n_lags), n / 2)
    period, _ = PeriodPicker(n_lags, hop_seconds, lag_min, lag_max).pick(acf)
    beats = _dp_beats(o, period, tightness)
    tempo_period = period
    if beats.size >= 4:
        # Least-squares slope of beat hop against beat index.
        k = np.arange(beats.size)
        slope = np.polyfit(k, beats.astype(np.float64), 1)[0]
        if abs(slope / period - 1.0) < 0.05:
            tempo_period = min(max(slope, lag_min), lag_max)
    times = (beats - odf_delay_hops + 0.5) * hop_seconds
    return 60.0 / (tempo_period * hop_seconds), np.maximum(times, 0.0)


def _dp_beats(o: np.ndarray, period: float, tightness: float) -> np.ndarray:
    """Ellis (2007): beats maximising onset strength with regular spacing.

    Returns beat hops (ODF coordinates), sorted.
    """
    n = o.shape[0]
    sd = float(o.std())
    local = o / sd if sd > 0 else o.copy()
    lo, hi = max(1, int(round(period / 2))), int(round(2 * period))
    lags = np.arange(lo, hi + 1)
    penalty = -tightness * np.log(lags / period) ** 2
    score = local.copy()
    back = np.full(n, -1, np.int64)
    for t in range(lo, n):
        cand = lags if t >= hi else lags[lags <= t]
        prev = score[t - cand] + penalty[:cand.size]
        i = int(np.argmax(prev))
        if prev[i] > 0:
            score[t] += prev[i]
            back[t] = t - cand[i]
    # End on the best-scoring hop within the last period.
    tail = max(0, n - int(round(period)))
    t = tail + int(np.argmax(score[tail:]))
    beats = [t]
    while back[t] >= 0:
        t = int(back[t])
        beats.append(t)
    return np.array(beats[::-1], np.int64)
