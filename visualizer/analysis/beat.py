"""Live tempo and beat from the onset detection function: causal and
predictive. (Offline, whole file: :mod:`~visualizer.analysis.beat_offline`;
the tempo rule and tap tempo: :mod:`~visualizer.analysis.tempo`.)

:class:`BeatTracker`, per batch of hops:

* The ODF minus its mean over the previous 0.2 s, half-wave rectified, is
  the *beat ODF* (steady noise adds nothing).
* Its autocorrelation (lags up to two beat periods at ``min_bpm``) has an
  exponential memory of 4 s (so the last ~6-8 s weigh in) and is updated
  for a whole batch with one product.
* Tempo, re-estimated every ``update_hops`` hops (64 = 0.34 s) by
  :class:`~visualizer.analysis.tempo.PeriodPicker` (metrical salience under
  a broad prior, preferring the faster related level when it has support).
  A tempo more than 4 % away must be seen on two estimates in a row; after
  the first 4 s, a tempo related by 2:1, 3:1 or 3:2 must also beat the
  current one by a margin (hysteresis: no octave flip-flop).
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
* Tap tempo (:meth:`BeatTracker.tap`, :class:`~visualizer.analysis.tempo.TapTempo`):
  from the second tap, tempo and the beat grid follow the taps. Taps
  override the audio until :meth:`~BeatTracker.clear_taps` or until 8 s
  pass without a tap.

Times: hop ``i`` is the hop whose window ends at sample ``(i + 1) * hop``.
An onset in hop ``i`` peaks in the ODF at hop ``i + odf_delay_hops``; the
tracker subtracts that delay, so beats fire on the hop of the sound itself.
Re-estimation happens at fixed hop counts, so any batching gives the same
output.
"""

import math

import numpy as np

from visualizer.analysis.onsets import ODF_PEAK_DELAY_HOPS
from visualizer.analysis.tempo import (
    BEAT_ODF_MEAN_S, ODF_MAX, PRIOR_BPM, PeriodPicker, TapTempo, parabolic)

OUT_COLUMNS = ("tempo_bpm", "beat_phase", "beat_pulse", "bar_phase", "beat_count")

_ACF_TAU_S = 4.0  # autocorrelation memory
_SETTLE_S = 4.0  # no hysteresis before this much audio: early picks must not stick
_PHASE_SPAN_S = 6.0
_PHASE_TAU_S = 2.5
_PHASE_SWITCH = 1.25  # another beat grid must be this much stronger...
_PHASE_LOOKS = 2  # ...on this many estimates in a row
_PHASE_LOST = 0.3  # below this share of the best, the current grid is lost: jump
_PULSE_TAU_S = 0.1


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
        self._taps = TapTempo(hop_seconds=hop_s, lag_min=self.lag_min, lag_max=self.lag_max)
        self._alpha_neg = np.exp(np.arange(self._n_lags) * hop_s / _ACF_TAU_S)  # alpha ** -lag
        self._acf = np.empty(self._n_lags)
        self._norm = np.empty(self._n_lags)
        self._alpha = math.exp(-hop_s / _ACF_TAU_S)
        self._alpha_pow = self._alpha ** np.arange(max_batch + 1)
        self._mean_n = max(1, int(round(BEAT_ODF_MEAN_S / hop_s)))
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
        self.period = 60.0 / PRIOR_BPM / self.hop_seconds
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
        self._taps.clear()
        self.confidence = 0.0

    @property
    def tempo_bpm(self) -> float:
        """Current tempo estimate in beats per minute."""
        return 60.0 / (self.period * self.hop_seconds)

    @property
    def settled(self) -> bool:
        """Whether the tempo was heard (seen on two estimates in a row), not
        still the 120 BPM prior. Read-only, for whoever publishes the tempo."""
        return self._have_tempo

    @property
    def tapped(self) -> bool:
        """Whether taps rule tempo and phase now: from the second tap, once
        taken up by a batch, until they time out."""
        return not self._taps.pending and self._taps.active(self._n - 1)

    # -- tap tempo ---------------------------------------------------------

    def tap(self, time_s: float) -> None:
        """A tap at audio time ``time_s`` (seconds since the first sample).

        Call from the thread that calls :meth:`process`; it takes effect on
        the next batch.
        """
        self._taps.tap(float(time_s) / self.hop_seconds - 1.0)  # the hop whose window ends then

    def clear_taps(self) -> None:
        """Drop the taps: tempo and phase follow the audio again."""
        self._taps.clear()

    def _apply_taps(self) -> None:
        self.period, beat = self._taps.grid()
        self._schedule_near(beat)
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
        np.clip(new_raw, 0.0, ODF_MAX, out=new_raw)  # bad input must not overflow the ACF
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

        if self._taps.pending:
            self._apply_taps()
        self._emit(out, h)
        self._n += h
        if self._n % self.update_hops == 0:
            self._score_accents(k + h)
            if not self._taps.active(self._n - 1):
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
              and self._picker.keeps(acf_c, p_old, period)):
            self._pending_period = 0.0
        elif self._pending_period and abs(period / self._pending_period - 1.0) < 0.04:
            self.period = period
            self._pending_period = 0.0
            self._have_tempo = True
            self._locked = False
        else:
            self._pending_period = period
        self._phase(end)

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
        frac = parabolic(float(comb[pick - 1]), float(comb[pick]), float(comb[(pick + 1) % nphi]))
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
