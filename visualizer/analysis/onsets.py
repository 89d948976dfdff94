"""SuperFlux onset detection, streaming and causal.

SuperFlux (Böck & Widmer, "Maximum filter vibrato suppression for onset
detection", DAFx 2013) is spectral flux on a log-frequency, log-magnitude
spectrogram, where the *reference* (earlier) frame is first maximum-filtered
across frequency. A pitch that glides by less than a band (vibrato, bends)
then finds its own energy in the widened reference and adds no flux; a new
note adds energy where there was none and does.

Per hop, on the analyzer's magnitude spectrum ``mag`` (|rfft| of the
Hann-windowed frame, unscaled, as :class:`~visualizer.analysis.analyzer.Analyzer`
computes it):

1. triangular filterbank, 24 bands per octave, 30 Hz - 17 kHz, each filter
   normalised to unit area (madmom's ``LogarithmicFilterbank``; low bands
   that would be narrower than an FFT bin are merged into one per bin);
2. ``log10(1 + x)`` (madmom's ``mul=1``: same scale as madmom on float audio);
3. reference = the frame ``lag_hops`` earlier (about 10 ms) maximum-filtered
   over 3 bands;
4. ODF = sum over bands of the half-wave rectified difference.

Peak picking is causal: a hop is an onset when its ODF is at least
``(1 + ratio / sensitivity)`` times the mean of the previous ~100 ms plus
``delta / sensitivity``, not below the 2 hops before it, and above the next
hop (so it is confirmed, and reported, one hop after the peak); onsets
closer than ~30 ms to the previous one are dropped. Higher sensitivity,
more onsets.

Everything works on a batch of hops at once with preallocated buffers; the
only Python loop runs over the (rare) peak candidates.
"""

import math
from collections.abc import Iterator

import numpy as np

_LN10 = float(np.log(10.0))

# madmom's SuperFlux threshold for its ODF scale (which this ODF matches).
DEFAULT_DELTA = 1.1
# Beyond madmom: the threshold also scales with the recent mean, so steady
# noise (breath, room, a noisy mic) whose ODF fluctuates around a high mean
# does not fire. Threshold = mean * (1 + ratio / s) + delta / s.
DEFAULT_RATIO = 0.5
# Measured with clicks and sharp note attacks at the default settings (see
# tests): the ODF peaks 2 hops after the hop whose window first holds the
# onset (the frame lag: the reference must be 2 hops before the attack), and
# the peak picker reports one hop later.
ODF_PEAK_DELAY_HOPS = 2
DEFAULT_LATENCY_HOPS = ODF_PEAK_DELAY_HOPS + 1


def log_filterbank(*, sample_rate: int, n_fft: int, bands_per_octave: int = 24,
                   fmin: float = 30.0, fmax: float = 17000.0) -> tuple[np.ndarray, int]:
    """Triangular log-frequency filters over FFT bins.

    Returns ``(weights, first_bin)``: weights of shape (n_used_bins, n_bands),
    float64, each column summing to 1, to be applied to
    ``mag[:, first_bin:first_bin + n_used_bins]``. Centre frequencies are
    ``fmin * 2**(k / bands_per_octave)`` rounded to FFT bins; duplicates are
    merged so that low bands become single bins (madmom's unique filters).
    """
    fmax = min(fmax, sample_rate / 2)
    n_bins = n_fft // 2 + 1
    df = sample_rate / n_fft
    n_freqs = int(np.floor(np.log2(fmax / fmin) * bands_per_octave)) + 1
    freqs = fmin * 2.0 ** (np.arange(n_freqs) / bands_per_octave)
    bins = np.unique(np.clip(np.rint(freqs / df).astype(int), 0, n_bins - 1))
    if bins.size < 3:
        raise ValueError("frequency range too narrow for a filterbank")
    first, last = int(bins[0]), int(bins[-1])
    weights = np.zeros((last - first + 1, bins.size - 2))
    for j, (start, centre, stop) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:])):
        tri = np.zeros(last - first + 1)
        rise = np.linspace(0.0, 1.0, centre - start, endpoint=False)
        fall = np.linspace(1.0, 0.0, stop - centre, endpoint=False)
        tri[start - first:centre - first] = rise
        tri[centre - first:stop - first] = fall
        weights[:, j] = tri / tri.sum()
    return weights, first


def _group_bands(weights: np.ndarray, max_batch: int) -> list[tuple[int, int, int, int]]:
    """Split the banded filter matrix into column groups, each multiplied only
    over the bins it touches: (bin_lo, bin_hi, band_lo, band_hi) per group.

    A small dynamic programme minimises a cost model of one matmul per group
    (a fixed overhead plus bins x bands multiply-adds); the dense product
    would spend ~5x more time multiplying zeros.
    """
    n_bands = weights.shape[1]
    nz = weights != 0
    lo = nz.argmax(axis=0)  # first and one past the last bin of each band
    hi = weights.shape[0] - nz[::-1].argmax(axis=0)
    overhead = 2.0  # microseconds per matmul call (measured)
    per_mac = 3e-5  # microseconds per multiply-add (measured)
    best = [0.0] + [math.inf] * n_bands
    cut = [0] * (n_bands + 1)
    for end in range(1, n_bands + 1):
        bin_lo, bin_hi = int(lo[end - 1]), int(hi[end - 1])
        for start in range(end - 1, -1, -1):  # widen the group downwards
            bin_lo, bin_hi = min(bin_lo, int(lo[start])), max(bin_hi, int(hi[start]))
            cost = best[start] + overhead + per_mac * max_batch * (bin_hi - bin_lo) * (end - start)
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups = []
    end = n_bands
    while end > 0:
        start = cut[end]
        groups.append((int(lo[start:end].min()), int(hi[start:end].max()), int(start), int(end)))
        end = start
    return groups[::-1]


class OnsetDetector:
    """Streaming SuperFlux onset detector (see the module docstring).

    ``process(mag, odf_out, onset_out)`` takes a batch of consecutive hops'
    magnitude spectra and writes the onset detection function and the hops
    on which onsets are reported. State carries over between calls, so any
    batching gives the same result as one hop at a time.

    ``latency_hops``: hops between the hop whose window first contains an
    onset and the hop on which it is reported (ODF peak delay plus the one
    hop of peak confirmation). Offline code subtracts it to land on the onset.
    """

    def __init__(self, *, sample_rate: int = 48000, n_fft: int = 2048, hop: int = 256,
                 sensitivity: float = 1.0, max_batch: int = 64, bands_per_octave: int = 24,
                 fmin: float = 30.0, fmax: float = 17000.0, delta: float = DEFAULT_DELTA,
                 ratio: float = DEFAULT_RATIO):
        if sensitivity <= 0:
            raise ValueError("sensitivity must be > 0")
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop = hop
        self.max_batch = max_batch
        self.sensitivity = float(sensitivity)
        self.hop_seconds = hop / sample_rate
        self.delta = float(delta)
        self.ratio = float(ratio)
        weights, first = log_filterbank(sample_rate=sample_rate, n_fft=n_fft,
                                        bands_per_octave=bands_per_octave, fmin=fmin, fmax=fmax)
        self.n_bands = weights.shape[1]
        self._groups = [(first + b0, first + b1, c0, c1,
                         np.ascontiguousarray(weights[b0:b1, c0:c1]))
                        for b0, b1, c0, c1 in _group_bands(weights, max_batch)]
        # Frame lag ~10 ms; the 3-band maximum filter on the reference.
        self.lag_hops = max(1, int(round(0.010 / self.hop_seconds)))
        self.pre_avg = max(1, int(round(0.100 / self.hop_seconds)))
        self.min_ioi = max(1, int(round(0.030 / self.hop_seconds)))
        self.latency_hops = DEFAULT_LATENCY_HOPS
        # The first window compares the stream's first sound with the silence
        # padded before it began: that is not an event, so no onset there.
        self.warmup_hops = n_fft // hop
        self._mean_gain = (1.0 + self.ratio / self.sensitivity) / self.pre_avg
        b, lag = max_batch, self.lag_hops
        self._bands = np.zeros((b + lag, self.n_bands))  # log bands: lag past rows, then this batch
        self._ref = np.empty((b, self.n_bands))
        # ODF history: pre_avg + 1 past values, then this batch; its running sum.
        self._past = self.pre_avg + 1
        self._odf = np.zeros(self._past + b)
        self._csum = np.zeros(self._past + b + 1)
        self._mean = np.empty(b)
        self._cond = np.empty(b, bool)
        self._tmp = np.empty(b, bool)
        self._hops = 0  # hops processed so far
        self._last_onset = -(10 ** 9)  # hop index of the last reported onset's peak
        self.count = 0
        self.last_odf = 0.0

    def reset(self) -> None:
        """Forget all history (as if just constructed)."""
        self._bands[:] = 0.0
        self._odf[:] = 0.0
        self._hops = 0
        self._last_onset = -(10 ** 9)
        self.count = 0
        self.last_odf = 0.0

    def process(self, mag: np.ndarray, odf_out: np.ndarray, onset_out: np.ndarray) -> None:
        """Analyse a batch of hops.

        ``mag``: (hops, n_fft // 2 + 1) float64, hops <= max_batch, oldest first.
        ``odf_out``: (hops,) float64, receives the ODF (>= 0, finite).
        ``onset_out``: (hops,) bool, True on each hop an onset is reported.
        """
        h = mag.shape[0]
        if h == 0:
            return
        if h > self.max_batch:
            raise ValueError(f"batch of {h} hops exceeds max_batch={self.max_batch}")
        lag = self.lag_hops
        bands = self._bands
        cur = bands[lag:lag + h]
        for b0, b1, c0, c1, w in self._groups:
            np.matmul(mag[:, b0:b1], w, out=cur[:, c0:c1])
        np.log1p(cur, out=cur)  # lambda = 1 (madmom); magnitudes and weights are >= 0
        # Reference: the frame lag hops earlier, maximum-filtered over 3 bands.
        ref = self._ref[:h]
        prev = bands[:h]
        np.copyto(ref, prev)
        np.maximum(ref[:, 1:], prev[:, :-1], out=ref[:, 1:])
        np.maximum(ref[:, :-1], prev[:, 1:], out=ref[:, :-1])
        np.subtract(cur, ref, out=ref)
        np.maximum(ref, 0.0, out=ref)
        np.sum(ref, axis=1, out=odf_out)
        odf_out *= 1.0 / _LN10  # log1p -> log10(1 + x), applied once per hop
        np.nan_to_num(odf_out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        bands[:lag] = bands[h:h + lag]
        self._pick(odf_out, onset_out)
        self.last_odf = float(odf_out[-1])

    def _pick(self, odf: np.ndarray, onset_out: np.ndarray) -> None:
        h = odf.shape[0]
        p, n = self._past, self.pre_avg
        x = self._odf
        x[p:p + h] = odf
        cs = self._csum
        np.cumsum(x[:p + h], out=cs[1:p + h + 1])
        # Candidate peaks c = p-1 .. p+h-2 (the previous batch's last hop up to
        # this batch's second last), each confirmed by the hop after it.
        c0, c1 = p - 1, p + h - 1
        mean = self._mean[:h]
        np.subtract(cs[c0:c1], cs[c0 - n:c1 - n], out=mean)
        mean *= self._mean_gain
        mean += self.delta / self.sensitivity
        cand = x[c0:c1]
        cond, tmp = self._cond[:h], self._tmp[:h]
        np.greater_equal(cand, mean, out=cond)
        np.greater(cand, x[c0 + 1:c1 + 1], out=tmp)
        cond &= tmp
        np.greater_equal(cand, x[c0 - 1:c1 - 1], out=tmp)
        cond &= tmp
        np.greater_equal(cand, x[c0 - 2:c1 - 2], out=tmp)
        cond &= tmp
        onset_out[:] = False
        if cond.any():
            base = self._hops - 1  # global hop index of candidate 0
            for i in np.flatnonzero(cond):
                peak = base + int(i)
                if peak - self._last_onset >= self.min_ioi and peak >= self.warmup_hops:
                    self._last_onset = peak
                    onset_out[i] = True
                    self.count += 1
        x[:p] = x[h:h + p]
        self._hops += h


def magnitude_batches(samples: np.ndarray, *, n_fft: int = 2048, hop: int = 256,
                      max_batch: int = 64, tail: int = 0) -> Iterator[np.ndarray]:
    """Yield the analyzer's magnitude spectra of a whole mono signal in batches.

    Frames as :class:`~visualizer.analysis.analyzer.Analyzer` does: hop ``i``
    ends at sample ``(i + 1) * hop`` with ``n_fft - hop`` zeros of history
    before the signal, DC removed per frame, Hann window
    ``np.hanning(n_fft + 2)[1:-1]``. ``tail`` zero samples are appended so
    that the end's onsets get confirmed. Yields (hops, n_fft // 2 + 1) float64
    arrays (a reused buffer: copy to keep).
    """
    x = np.asarray(samples, np.float64).ravel()
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    padded = np.concatenate([np.zeros(n_fft - hop), np.clip(x, -1.0, 1.0), np.zeros(tail)])
    n_hops = (padded.shape[0] - (n_fft - hop)) // hop
    window = np.hanning(n_fft + 2)[1:-1]
    frames_view = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    frames = np.empty((max_batch, n_fft))
    spec = np.empty((max_batch, n_fft // 2 + 1), np.complex128)
    mag = np.empty((max_batch, n_fft // 2 + 1))
    for start in range(0, n_hops, max_batch):
        h = min(max_batch, n_hops - start)
        f = frames[:h]
        np.copyto(f, frames_view[start:start + h])
        f -= f.mean(axis=1, keepdims=True)
        f *= window
        np.fft.rfft(f, axis=1, out=spec[:h])
        np.abs(spec[:h], out=mag[:h])
        yield mag[:h]


def onset_strength(samples: np.ndarray, sample_rate: int = 48000, *, sensitivity: float = 1.0,
                   n_fft: int = 2048, hop: int = 256,
                   ) -> tuple[np.ndarray, np.ndarray, OnsetDetector]:
    """Run the streaming detector over a whole signal.

    Returns ``(odf, onsets, detector)``: the ODF (n_hops,) float64 and the
    reported-onset flags (n_hops,) bool, hop ``i`` ending at sample
    ``(i + 1) * hop`` (a tail of silence is analysed after the signal).
    """
    det = OnsetDetector(sample_rate=sample_rate, n_fft=n_fft, hop=hop, sensitivity=sensitivity)
    odfs, flags = [], []
    for mag in magnitude_batches(samples, n_fft=n_fft, hop=hop, max_batch=det.max_batch,
                                 tail=n_fft):
        o = np.empty(mag.shape[0])
        f = np.empty(mag.shape[0], bool)
        det.process(mag, o, f)
        odfs.append(o)
        flags.append(f)
    if not odfs:
        return np.zeros(0), np.zeros(0, bool), det
    return np.concatenate(odfs), np.concatenate(flags), det


def hop_to_time(hops: np.ndarray | float, *, latency_hops: float, hop_seconds: float):
    """Time in seconds of the onset behind a detection at hop ``hops``.

    Hop ``i`` spans the newest ``hop`` samples ending at ``(i + 1) * hop``;
    an onset reported at hop ``i`` lies, on average, in the middle of hop
    ``i - latency_hops``.
    """
    return (np.asarray(hops, np.float64) - latency_hops + 0.5) * hop_seconds


def detect_onsets(samples: np.ndarray, sample_rate: int = 48000, *,
                  sensitivity: float = 1.0) -> np.ndarray:
    """Onset times in seconds of a whole mono signal (zero lag).

    Runs exactly the live path (framing, :class:`OnsetDetector`) and shifts
    each reported hop back by the detector's latency so that times land on
    the onsets themselves. Returns a sorted (n_onsets,) float64 array.
    """
    _, flags, det = onset_strength(samples, sample_rate, sensitivity=sensitivity)
    times = hop_to_time(np.flatnonzero(flags), latency_hops=det.latency_hops,
                        hop_seconds=det.hop_seconds)
    return np.maximum(times, 0.0)
