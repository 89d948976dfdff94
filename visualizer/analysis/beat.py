"""Tempo and beat from the onset detection function: live (causal, predictive)
and offline (whole file, dynamic programming).

Live, :class:`BeatTracker`, per batch of hops:

* The ODF minus its mean over the previous 0.2 s, half-wave rectified, is
  the *beat ODF* (steady noise adds nothing).
* Its autocorrelation (lags up to two beat periods at ``min_bpm``) has an
  exponential memory of 4 s (so the last ~6-8 s weigh in) and is updated
  for a whole batch with one product.
* Tempo, re-estimated every ``update_hops`` hops (64 = 0.34 s) by
  :class:`PeriodPicker`: a metrical salience (the lag plus its half and its
  double) under a broad prior (log-normal, 120 BPM, one octave), then the
  *faster* related lag (half, third) whenever it has real support (50 % /
  70 % of the chosen peak): a 180 BPM click track is not read as 90, and a
  70 BPM one (no energy at 140's lag) stays 70. Parabolic interpolation,
  refined by the peak at twice the lag, gives sub-hop precision. A tempo
  more than 4 % away must be seen on two estimates in a row; after the
  first 4 s, a tempo related by 2:1, 3:1 or 3:2 must also beat the current
  one by a margin (hysteresis: no octave flip-flop).
* Phase: a comb of impulses one period apart over the last 6 s of beat ODF
  (recent beats weigh more, time constant 2.5 s), slid over one period. The
  best offset, less the detector's ODF delay, says where the beats really
  were, and the next beat is scheduled a whole number of periods later.
  Once locked, the schedule follows the comb's peak near the current grid
  (half way each estimate) and moves to another grid only when that one is
  25 % stronger on two estimates in a row, or when the current grid has
  lost its support (below 30 % of the best).
* The beat fires on the hop of the *predicted* beat time, not when an
  onset is detected: ``beat_pulse`` is 1 on that hop and decays with a
  0.1 s time constant. When the last second is (near) silent, neither tempo
  nor phase is updated: the beat free-runs at the last tempo through rests.
  Before the first estimate it free-runs at 120 BPM.
* Downbeat heuristic: each beat's accent (the beat ODF's peak around it,
  read once the ODF has arrived) is added, with a slow decay, to one of four
  bins by beat number mod 4; the strongest bin is beat one of the bar
  (another bin takes over only when 20 % stronger). ``bar_phase`` runs 0..1
  over the four beats from there.
* Tap tempo (:meth:`BeatTracker.tap`): from the second tap, tempo = median
  interval of the last (up to 8) taps, folded by octaves into the tempo
  range, and the beat grid is aligned to the taps. Taps override the audio
  until :meth:`~BeatTracker.clear_taps` or until 8 s pass without a tap; a
  gap of more than 2 s between taps starts a new tap sequence.

Times: hop ``i`` is the hop whose window ends at sample ``(i + 1) * hop``.
An onset in hop ``i`` peaks in the ODF at hop ``i + odf_delay_hops``; the
tracker subtracts that delay, so beats fire on the hop of the sound itself.
Re-estimation happens at fixed hop counts, so any batching gives the same
output.

Offline, :func:`track_beats`: the same tempo rule on the autocorrelation of
the whole beat ODF, then Ellis's (2007) dynamic programme picks the beat
sequence that best balances onset strength and regular spacing, and the
tempo is refined by a straight-line fit through the beats.
"""

import math

import numpy as np

from visualizer.analysis.onsets import ODF_PEAK_DELAY_HOPS

OUT_COLUMNS = ("tempo_bpm", "beat_phase", "beat_pulse", "bar_phase", "beat_count")

_MEAN_WINDOW_S = 0.2  # beat ODF: ODF minus its mean over this much past
_ACF_TAU_S = 4.0  # autocorrelation memory
_PRIOR_BPM = 120.0
_PRIOR_OCTAVES = 1.0
_FASTER_SUPPORT = ((2, 0.5), (3, 0.7))  # (divisor, share of the peak the faster lag needs)
_OCTAVE_BAND = 0.1  # hysteresis around those shares once a tempo is held
_KEEP_3_2 = 0.8  # keep a tempo against a 3:2 relative up to 1 / 0.8 its salience
_SETTLE_S = 4.0  # no hysteresis before this much audio: early picks must not stick
_PHASE_SPAN_S = 6.0
_PHASE_TAU_S = 2.5
_PHASE_SWITCH = 1.25  # another beat grid must be this much stronger...
_PHASE_LOOKS = 2  # ...on this many estimates in a row
_PHASE_LOST = 0.3  # below this share of the best, the current grid is lost: jump
_PULSE_TAU_S = 0.1
_TAP_TIMEOUT_S = 8.0
_TAP_RESET_S = 2.0
_MAX_TAPS = 8
_ODF_MAX = 1e4  # the SuperFlux ODF stays below ~500 (137 bands x log10(1 + 2048))


def _parabolic(y_left: float, y_mid: float, y_right: float) -> float:
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
        period = best + _parabolic(acf[best - 1], acf[best], acf[best + 1])
        # Refine with the peak at twice the lag, where a hop is half the error.
        n = acf.shape[0]
        if 2 * period + 3 < n:
            c2 = _local_peak(acf, 2 * period, 2)
            if acf[c2] - base >= 0.5 * (acf[best] - base):
                p2 = (c2 + _parabolic(acf[c2 - 1], acf[c2], acf[c2 + 1])) / 2.0
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


def _lag_prior(n: int, hop_seconds: float) -> np.ndarray:
    lags = np.maximum(np.arange(n, dtype=np.float64), 1e-9)
    centre = 60.0 / _PRIOR_BPM / hop_seconds
    return np.exp(-0.5 * (np.log2(lags / centre) / _PRIOR_OCTAVES) ** 2)


def _fold_period(period: float, lag_min: float, lag_max: float) -> float:
    while period > lag_max and period / 2 >= lag_min:
        period /= 2
    while period < lag_min and period * 2 <= lag_max:
        period *= 2
    return min(max(period, lag_min), lag_max)


class BeatTracker:
    """Live, causal, predictive tempo and beat tracker (see module docstring).

    ``process(odf, out)``: ``odf`` (hops,) from :class:`OnsetDetector`,
    ``out`` (hops, 5) float64 receives per hop ``tempo_bpm, beat_phase,
    beat_pulse, bar_phase, beat_count`` (see ``OUT_COLUMNS``).
    """

    def __init__(self, *, hop_seconds: float = 256 / 48000, min_bpm: float = 60.0,
                 max_bpm: float = 200.0, max_batch: int = 64, update_hops: int = 64,
                 odf_delay_hops: float = ODF_PEAK_DELAY_HOPS):
        if not 0 < min_bpm < max_bpm:
            raise ValueError("need 0 < min_bpm < max_bpm")
        self.hop_seconds = hop_s = float(hop_seconds)
        self.min_bpm, self.max_bpm = float(min_bpm), float(max_bpm)
        self.max_batch = max_batch
        self.update_hops = update_hops
        self.odf_delay = float(odf_delay_hops)
        self.lag_min = 60.0 / max_bpm / hop_s
        self.lag_max = 60.0 / min_bpm / hop_s
        self._n_lags = int(math.ceil(2 * self.lag_max)) + 3  # lags 0..n_lags-1
        self._picker = PeriodPicker(self._n_lags, hop_s, self.lag_min, self.lag_max)
        self._alpha_neg = np.exp(np.arange(self._n_lags) * hop_s / _ACF_TAU_S)  # alpha ** -lag
        self._acf = np.empty(self._n_lags)
        self._norm = np.empty(self._n_lags)
        self._alpha = math.exp(-hop_s / _ACF_TAU_S)
        self._alpha_pow = self._alpha ** np.arange(max_batch + 1)
        self._mean_n = max(1, int(round(_MEAN_WINDOW_S / hop_s)))
        self._pulse_decay = hop_s / _PULSE_TAU_S
        # Raw ODF history (for the mean) and beat-ODF history (ACF, comb).
        self._raw = np.zeros(self._mean_n + max_batch)
        self._rcs = np.zeros(self._mean_n + max_batch + 1)
        span = int(math.ceil(_PHASE_SPAN_S / hop_s + self.lag_max)) + 2
        self._keep = max(self._n_lags, span)
        self._h = np.zeros(self._keep + max_batch)
        self._acf_rev = np.zeros(self._n_lags)  # acf_rev[j] = acf(n_lags - 1 - j)
        self._acf_new = np.zeros(self._n_lags)
        self._v = np.empty(max_batch)
        self._lagview = np.lib.stride_tricks.sliding_window_view(self._h, self._n_lags)
        # Phase comb buffers.
        self._kmax = int(math.ceil(_PHASE_SPAN_S / hop_s / self.lag_min)) + 1
        phi_max = int(math.ceil(self.lag_max)) + 1
        self._phi = np.arange(phi_max, dtype=np.int64)
        self._kidx = np.arange(self._kmax, dtype=np.float64)
        self._koff = np.empty(self._kmax, np.int64)
        self._kw = np.empty(self._kmax)
        self._idx = np.empty((phi_max, self._kmax), np.int64)
        self._gather = np.empty((phi_max, self._kmax))
        self._comb = np.empty(phi_max)
        # Per-hop work arrays.
        b = max_batch
        self._j = np.arange(b, dtype=np.float64)
        self._u = np.empty(b)
        self._fl = np.empty(b)
        self._cnt = np.empty(b)
        self._fired = np.empty(b, bool)
        self._last = np.empty(b)
        self._notfired = np.empty(b, bool)
        self._energy_floor = 1e-12
        self._recent_n = int(round(1.0 / hop_s))
        # No hysteresis between related tempi in the first seconds: early
        # picks come from little data and must not stick.
        self._settle_n = int(round(_SETTLE_S / hop_s))
        self.reset()

    def reset(self) -> None:
        """Forget everything: tempo back to 120 BPM, no beats, no taps."""
        self._raw[:] = 0.0
        self._h[:] = 0.0
        self._acf_rev[:] = 0.0
        self._n = 0  # hops processed
        self.period = 60.0 / _PRIOR_BPM / self.hop_seconds
        self._next_beat = self.period  # hop (true time) of the next beat
        self._count = 0
        self._last_fire = -1e9
        self._locked = False
        self._pending_period = 0.0
        self._have_tempo = False
        self._challenger = -1.0
        self._challenges = 0
        self._accent = np.zeros(4)
        self._downbeat = 1
        self._unscored: list[tuple[int, int]] = []  # (beat hop, beat number)
        self._taps: list[float] = []
        self._tap_dirty = False
        self.confidence = 0.0

    @property
    def tempo_bpm(self) -> float:
        """Current tempo estimate in beats per minute."""
        return 60.0 / (self.period * self.hop_seconds)

    # -- tap tempo ---------------------------------------------------------

    def tap(self, time_s: float) -> None:
        """A tap at audio time ``time_s`` (seconds since the first sample).

        Call from the thread that calls :meth:`process`; it takes effect on
        the next batch.
        """
        x = float(time_s) / self.hop_seconds - 1.0  # the hop whose window ends then
        if self._taps and not 0 < x - self._taps[-1] <= _TAP_RESET_S / self.hop_seconds:
            self._taps.clear()  # a long pause (or time going back): a new sequence
        self._taps.append(x)
        del self._taps[:-_MAX_TAPS]
        self._tap_dirty = len(self._taps) >= 2

    def clear_taps(self) -> None:
        """Drop the taps: tempo and phase follow the audio again."""
        self._taps.clear()
        self._tap_dirty = False

    def _taps_active(self) -> bool:
        if len(self._taps) < 2:
            return False
        if (self._n - 1) - self._taps[-1] > _TAP_TIMEOUT_S / self.hop_seconds:
            self._taps.clear()
            return False
        return True

    def _apply_taps(self) -> None:
        self._tap_dirty = False
        taps = self._taps
        intervals = [b - a for a, b in zip(taps, taps[1:])]
        p = _fold_period(float(np.median(intervals)), self.lag_min, self.lag_max)
        self.period = p
        # Anchor the grid on the taps: mean offset of each tap from the last.
        last = taps[-1]
        off = sum(((t - last + p / 2) % p) - p / 2 for t in taps) / len(taps)
        anchor = last + off
        self._schedule_near(anchor)
        self._locked = True

    def _schedule_near(self, beat: float) -> None:
        """Move the next beat onto the grid through ``beat`` (period self.period)."""
        p = self.period
        now = self._n - 1  # last hop output
        m = math.ceil((now + 0.5 - beat) / p)
        nb = beat + m * p  # first grid point not yet output
        if nb - self._last_fire < 0.5 * p:
            nb += p
        self._next_beat = nb

    # -- processing --------------------------------------------------------

    def process(self, odf: np.ndarray, out: np.ndarray) -> None:
        """Track a batch: ``odf`` (hops,) >= 0, ``out`` (hops, 5) float64."""
        hops = odf.shape[0]
        if hops > self.max_batch:
            raise ValueError(f"batch of {hops} hops exceeds max_batch={self.max_batch}")
        pos = 0
        while pos < hops:
            seg = min(hops - pos, self.update_hops - self._n % self.update_hops)
            self._segment(odf[pos:pos + seg], out[pos:pos + seg])
            pos += seg

    def _segment(self, odf: np.ndarray, out: np.ndarray) -> None:
        h = odf.shape[0]
        # Beat ODF: ODF minus its past mean, half-wave rectified.
        m, raw, cs = self._mean_n, self._raw, self._rcs
        new_raw = raw[m:m + h]
        np.copyto(new_raw, odf)
        np.nan_to_num(new_raw, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        np.clip(new_raw, 0.0, _ODF_MAX, out=new_raw)  # bad input must not overflow the ACF
        np.cumsum(raw[:m + h], out=cs[1:m + h + 1])
        k = self._keep
        hb = self._h
        new = hb[k:k + h]
        np.subtract(cs[m:m + h], cs[:h], out=new)
        new *= -1.0 / m
        new += new_raw
        np.maximum(new, 0.0, out=new)
        raw[:m] = raw[h:h + m]
        # Exponential-memory autocorrelation, a whole segment at once.
        v = self._v[:h]
        np.multiply(new, self._alpha_pow[h - 1::-1], out=v)
        nl = self._n_lags
        np.matmul(v, self._lagview[k - nl + 1:k - nl + 1 + h], out=self._acf_new)
        self._acf_rev *= self._alpha_pow[h]
        self._acf_rev += self._acf_new

        if self._tap_dirty:
            self._apply_taps()
        self._emit(out, h)
        self._n += h
        if self._n % self.update_hops == 0:
            self._score_accents(k + h)
            if not self._taps_active():
                self._estimate(k + h)
        hb[:k] = hb[h:h + k]

    def _emit(self, out: np.ndarray, h: int) -> None:
        """Per-hop outputs from the scheduled grid (no Python loop)."""
        p, nb, n0 = self.period, self._next_beat, self._n
        u, fl, cnt = self._u[:h], self._fl[:h], self._cnt[:h]
        np.add(self._j[:h], n0 + 0.5 - nb, out=u)
        u *= 1.0 / p
        np.floor(u, out=fl)
        np.add(fl, self._count + 1.0, out=cnt)
        np.maximum(cnt, float(self._count), out=cnt)
        out[:, 0] = 60.0 / (p * self.hop_seconds)
        np.subtract(u, fl, out=out[:, 1])
        fired, last, nf = self._fired[:h], self._last[:h], self._notfired[:h]
        out[:, 4] = cnt
        np.greater(cnt[1:], cnt[:-1], out=fired[1:])
        fired[0] = cnt[0] > self._count
        # Hop of the latest fired beat, for the pulse's decay.
        np.add(self._j[:h], float(n0), out=last)
        np.logical_not(fired, out=nf)
        np.copyto(last, -1e18, where=nf)
        last[0] = max(last[0], self._last_fire)
        np.maximum.accumulate(last, out=last)
        pulse = out[:, 2]
        np.add(self._j[:h], float(n0), out=pulse)
        pulse -= last
        pulse *= -self._pulse_decay
        np.exp(pulse, out=pulse)
        # Bar phase: beat number's place in the bar plus the beat phase.
        bar = out[:, 3]
        np.subtract(cnt, float(self._downbeat), out=bar)
        np.mod(bar, 4.0, out=bar)
        bar += out[:, 1]
        bar *= 0.25
        new_count = int(cnt[-1])
        if new_count > self._count:
            for i in np.flatnonzero(fired):
                self._unscored.append((n0 + int(i), int(cnt[i])))
            self._last_fire = float(last[-1])
            self._next_beat = nb + (float(fl[-1]) + 1.0) * p
            self._count = new_count

    def _score_accents(self, end: int) -> None:
        """Accent of each fired beat whose ODF has arrived -> downbeat bin."""
        if not self._unscored:
            return
        d = int(round(self.odf_delay))
        newest = self._n - 1
        keep = []
        for hop, number in self._unscored:
            if hop + d + 3 > newest:
                keep.append((hop, number))
                continue
            at = end - 1 - (newest - (hop + d))  # index in the history buffer
            if at - 3 < 0:
                continue
            self._accent *= 0.97
            self._accent[number % 4] += float(self._h[at - 3:at + 4].max())
        self._unscored = keep
        best = int(np.argmax(self._accent))
        if best != self._downbeat and self._accent[best] > 1.2 * self._accent[self._downbeat]:
            self._downbeat = best

    def _estimate(self, end: int) -> None:
        """Re-estimate tempo and phase from the history ending at ``end``."""
        hs = self.hop_seconds
        acf = self._acf_rev[::-1]
        energy = float(acf[0])
        if energy <= self._energy_floor or self._n < 1.0 / hs:
            return
        # Rest: the last second's mean beat-ODF power far below the long-term
        # mean (acf[0] is an exponentially weighted sum of squares).
        recent = self._h[end - self._recent_n:end]
        if float(np.dot(recent, recent)) / self._recent_n < 0.05 * energy * (1.0 - self._alpha):
            return
        # Early on, long lags have had fewer pairs: scale each lag by the
        # weight its pairs could have had, relative to lag 0 (capped).
        acf_c, norm = self._acf, self._norm
        a_n = self._alpha ** self._n
        np.multiply(self._alpha_neg, -a_n, out=norm)
        norm += 1.0
        np.maximum(norm, (1.0 - a_n) / 3.0, out=norm)
        np.divide(1.0 - a_n, norm, out=norm)
        np.multiply(acf, norm, out=acf_c)
        period, support = self._picker.pick(acf_c)
        p_old = self.period
        if self._have_tempo and abs(period / p_old - 1.0) < 0.04:
            self.period = p_old + 0.5 * (period - p_old)
            self._pending_period = 0.0
        elif (self._have_tempo and self._n >= self._settle_n
              and self._keep_current(acf_c, p_old, period)):
            self._pending_period = 0.0
        elif self._pending_period and abs(period / self._pending_period - 1.0) < 0.04:
            self.period = period
            self._pending_period = 0.0
            self._have_tempo = True
            self._locked = False
        else:
            self._pending_period = period
        self._phase(end)

    def _keep_current(self, acf: np.ndarray, current: float, new: float) -> bool:
        """Hysteresis between metrically related tempi: keep the current
        period while it keeps enough support against a slower multiple
        (the same rule that prefers the faster level) or a 3:2 neighbour."""
        ratio = new / current
        h_cur, h_new = self._picker.height(acf, current), self._picker.height(acf, new)
        # A band around the faster-level rule, so that a half-supported
        # level does not flip back and forth.
        for div, share in _FASTER_SUPPORT:
            if abs(ratio / div - 1.0) < 0.04:  # new is slower
                return h_cur >= (share - _OCTAVE_BAND) * h_new
            if abs(ratio * div - 1.0) < 0.04:  # new is faster
                return h_new < (share + _OCTAVE_BAND) * h_cur
        if abs(ratio / 1.5 - 1.0) < 0.04 or abs(ratio * 1.5 - 1.0) < 0.04:
            pk = self._picker
            return pk.salience(current) >= _KEEP_3_2 * pk.salience(new)
        return False

    def _phase(self, end: int) -> None:
        """Comb over the recent beat ODF at the current period -> next beat."""
        p = self.period
        hs = self.hop_seconds
        nk = max(1, min(self._kmax, int(_PHASE_SPAN_S / hs / p)))
        koff, kw = self._koff[:nk], self._kw[:nk]
        np.multiply(self._kidx[:nk], p, out=kw)
        np.rint(kw, out=kw)
        np.copyto(koff, kw, casting="unsafe")
        kw *= -hs / _PHASE_TAU_S  # recent beats weigh more
        np.exp(kw, out=kw)
        nphi = int(math.ceil(p))
        idx = self._idx[:nphi, :nk]
        np.add(self._phi[:nphi, None], koff[None, :], out=idx)
        np.subtract(end - 1, idx, out=idx)
        g = self._gather[:nphi, :nk]
        np.take(self._h, idx, out=g)
        comb = self._comb[:nphi]
        np.matmul(g, kw, out=comb)
        best = int(np.argmax(comb))
        cmax = float(comb[best])
        if cmax <= 0.0:
            return
        self.confidence = 1.0 - float(comb.mean()) / cmax
        if self.confidence < 0.2:
            return
        newest = self._n - 1
        radius = max(2.0, 0.06 * p)
        # Where the schedule puts the last beat, as a comb offset.
        cur = (newest - self._next_beat - self.odf_delay) % p
        near = _circular_peak(comb, cur, radius)
        if not self._locked or float(comb[near]) < _PHASE_LOST * cmax:
            pick, gain = best, 1.0  # no grid yet, or nothing left on it
            self._challenger = -1.0
        elif cmax <= _PHASE_SWITCH * float(comb[near]) or _circ_dist(best, cur, p) <= radius:
            pick, gain = near, 0.5  # fine tracking of the current grid
            self._challenger = -1.0
        elif self._challenger >= 0 and _circ_dist(best, self._challenger, p) <= radius:
            self._challenges += 1
            self._challenger = float(best)
            pick, gain = near, 0.5
            if self._challenges >= _PHASE_LOOKS:
                pick, gain = best, 1.0  # a better grid, seen again and again: move to it
                self._challenger = -1.0
        else:
            self._challenger = float(best)  # wait for more looks
            self._challenges = 1
            pick, gain = near, 0.5
        frac = _parabolic(float(comb[pick - 1]), float(comb[pick]), float(comb[(pick + 1) % nphi]))
        beat = newest - (pick + frac) - self.odf_delay  # a beat, in true-time hops
        nb = self._next_beat
        target = beat + round((nb - beat) / p) * p
        nb += gain * (target - nb)
        if nb < newest + 0.5:
            nb = newest + 1.0 if (newest + 1.0 - self._last_fire) >= 0.5 * p else nb + p
        self._next_beat = nb
        self._locked = True


def _circ_dist(a: float, b: float, period: float) -> float:
    d = abs(a - b) % period
    return min(d, period - d)


def _circular_peak(comb: np.ndarray, centre: float, radius: float) -> int:
    """Index of the largest comb value within ``centre +- radius``, wrapping."""
    n = comb.shape[0]
    best, best_v = int(round(centre)) % n, -1.0
    for i in range(int(math.floor(centre - radius)), int(math.ceil(centre + radius)) + 1):
        v = float(comb[i % n])
        if v > best_v:
            best, best_v = i % n, v
    return best


def track_beats(odf: np.ndarray, hop_seconds: float, *, min_bpm: float = 60.0,
                max_bpm: float = 200.0, odf_delay_hops: float = ODF_PEAK_DELAY_HOPS,
                tightness: float = 100.0) -> tuple[float, np.ndarray]:
    """Offline tempo and beats of a whole ODF (zero lag).

    ``odf``: (n_hops,) from :class:`OnsetDetector` (hop ``i`` ending at
    ``(i + 1) * hop_seconds``). Returns ``(tempo_bpm, beat_times_s)``, the
    times shifted back by the detector's delay to land on the sound.
    """
    odf = np.nan_to_num(np.asarray(odf, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    odf = np.clip(odf, 0.0, _ODF_MAX)
    lag_min, lag_max = 60.0 / max_bpm / hop_seconds, 60.0 / min_bpm / hop_seconds
    default = 60.0 / (_fold_period(60 / _PRIOR_BPM / hop_seconds, lag_min, lag_max) * hop_seconds)
    n = odf.shape[0]
    if n < 2:
        return default, np.zeros(0)
    m = max(1, int(round(_MEAN_WINDOW_S / hop_seconds)))
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
