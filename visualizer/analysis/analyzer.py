"""The streaming analyzer: mono samples in, a FeatureFrame out, hop by hop.

Numpy only. Samples arrive in blocks of any size; every complete hop is
analysed (a Hann-windowed FFT over the last ``n_fft`` samples), in batches so
that numpy does the work, and the smoothed state after the newest hop is what
a frame is drawn from. Onset, beat and pitch stages plug in after the
spectrum (see ``_analyse_batch``).
"""

from dataclasses import dataclass

import numpy as np

from visualizer.analysis.bands import band_matrix, log_band_edges
from visualizer.analysis.features import (
    FEATURE_INDEX, N_BANDS, TEXTURE_WIDTH, FeatureFrame)
from visualizer.analysis.smoothing import AttackRelease, AutoGain, coefficient

_EPS = 1e-12
_SILENT_DB = -120.0
# WebAudio's AnalyserNode smooths by 0.8 per animation frame (60 Hz); the same
# time constant per hop keeps Shadertoy's look at any hop and frame rate.
_WEBAUDIO_TAU_S = -(1 / 60) / np.log(0.8)
# WebAudio reports |X| / N of a Blackman-windowed FFT: a sine of amplitude A
# reads A / 2 * 0.42 (Blackman's coherent gain). We reuse the Hann FFT and
# rescale so a tone reads the same dB as in a browser.
_BLACKMAN_COHERENT_GAIN = 0.42


@dataclass(frozen=True)
class AnalyzerSettings:
    """Analysis parameters. Defaults suit live use at 48 kHz."""

    sample_rate: int = 48000
    """Analysis rate in Hz; sources resample to it."""
    n_fft: int = 2048
    """FFT window length in samples (43 ms at 48 kHz)."""
    hop: int = 256
    """Samples between analyses (5.3 ms at 48 kHz): the analysis latency."""
    fmin: float = 30.0
    """Lowest band edge in Hz."""
    fmax: float = 16000.0
    """Highest band edge in Hz."""
    gain_range_db: float = 30.0
    """Dynamic range below the recent peak that maps onto 0..1."""
    gain_decay_db_per_s: float = 3.0
    """How fast the automatic gain recovers after a loud passage."""
    gain_floor_db: float = -65.0
    """The gain never boosts a reference quieter than this (room noise)."""
    max_batch: int = 64
    """Hops analysed per numpy batch; bounds the preallocated work arrays."""


# (name, low Hz, high Hz, attack s, release s) of the broad bands.
_BROAD = (("bass", 30.0, 250.0, 0.005, 0.150),
          ("mid", 250.0, 2000.0, 0.010, 0.200),
          ("high", 2000.0, 16000.0, 0.005, 0.150))
_LEVEL_TIMES = (0.010, 0.250)
_FIRST_BAND = 1 + len(_BROAD)  # column of the first log band: after level and broad
_BAND_TIMES = (0.005, 0.120)


class Analyzer:
    """Streaming analysis of one mono input.

    ``process(samples)`` consumes any number of samples and returns the
    :class:`FeatureFrame` (the same object every call, updated in place).
    """

    def __init__(self, settings: AnalyzerSettings = AnalyzerSettings()):
        s = settings
        if s.n_fft < TEXTURE_WIDTH or s.hop > s.n_fft:
            raise ValueError("n_fft must be >= 512 and hop <= n_fft")
        self.settings = s
        self.frame = FeatureFrame()
        n_bins = s.n_fft // 2 + 1
        step_s = s.hop / s.sample_rate

        self._window = np.hanning(s.n_fft + 2)[1:-1]  # periodic-ish, no zero ends
        # One-sided power scaled so bins sum to the signal's mean square.
        self._power_scale = 2.0 / (s.n_fft * np.sum(self._window ** 2))
        self._mag_scale = _BLACKMAN_COHERENT_GAIN / np.sum(self._window)
        edges = log_band_edges(n_bands=N_BANDS, fmin=s.fmin, fmax=s.fmax)
        broad_w = np.vstack([band_matrix(np.array([lo, hi]), n_fft=s.n_fft,
                                         sample_rate=s.sample_rate) for _, lo, hi, *_ in _BROAD])
        # Broad bands then log bands in one matrix: one matmul per batch.
        self._weights = np.vstack(
            [broad_w, band_matrix(edges, n_fft=s.n_fft, sample_rate=s.sample_rate)]).T

        # History: the last n_fft - hop samples plus any partial hop.
        self._keep = s.n_fft - s.hop
        cap = self._keep + s.hop * s.max_batch
        self._work = np.zeros(cap + s.hop, np.float64)
        self._filled = self._keep
        b = s.max_batch
        self._frames = np.empty((b, s.n_fft))
        self._spec = np.empty((b, n_bins), np.complex128)
        self._power = np.empty((b, n_bins))
        self._ms = np.empty(b)
        # Per hop, in dB then 0..1: [level, bass, mid, high, 48 bands].
        n = _FIRST_BAND + N_BANDS
        self._db = np.empty((b, n))
        self._norm = np.empty((b, n))
        self._peaks = np.empty((b, _FIRST_BAND + 1))

        # Smoothing and gain: one follower over every value, one gain per
        # broad value and one shared by the bands (keeping the spectrum's shape).
        times = [_LEVEL_TIMES] + [(a, r) for *_, a, r in _BROAD] + [_BAND_TIMES] * N_BANDS
        self._env = AttackRelease([coefficient(a, step_s) for a, _ in times],
                                  [coefficient(r, step_s) for _, r in times])
        self._gain = AutoGain(_FIRST_BAND + 1, range_db=s.gain_range_db,
                              decay_db_per_step=s.gain_decay_db_per_s * step_s,
                              floor_db=s.gain_floor_db, max_batch=b)
        self._mag = np.zeros(TEXTURE_WIDTH)
        c = coefficient(_WEBAUDIO_TAU_S, step_s)
        self._decay_pow = (1.0 - c) ** np.arange(s.max_batch + 1)
        self._mag_weights = c * self._mag_scale * self._decay_pow[s.max_batch - 1::-1]
        self._samples_seen = 0
        assert [FEATURE_INDEX[n] for n in ("level", "bass", "mid", "high")] == [0, 1, 2, 3]

    @property
    def hop_seconds(self) -> float:
        """Duration of one hop in seconds."""
        return self.settings.hop / self.settings.sample_rate

    def process(self, samples: np.ndarray, capture_time: float = float("nan")) -> FeatureFrame:
        """Analyse every complete hop in ``samples`` (mono, any length).

        ``samples``: shape (n,), float, nominally in -1..1. NaN and inf are
        replaced and values clipped, so bad input never poisons the state.
        ``capture_time``: when the newest of these samples was captured.
        """
        s = self.settings
        samples = np.asarray(samples)
        pos = 0
        n = samples.shape[0]
        while pos < n:
            room = self._work.shape[0] - s.hop - self._filled
            take = min(room, n - pos)
            dst = self._work[self._filled:self._filled + take]
            np.copyto(dst, samples[pos:pos + take], casting="unsafe")
            np.nan_to_num(dst, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
            np.clip(dst, -1.0, 1.0, out=dst)
            self._filled += take
            pos += take
            hops = (self._filled - self._keep) // s.hop
            if hops:
                self._analyse_batch(hops)
                used = hops * s.hop
                remain = self._filled - used
                self._work[:remain] = self._work[used:self._filled]
                self._filled = remain
        self._samples_seen += n
        self.frame.time = self._samples_seen / s.sample_rate
        if n:
            self.frame.capture_time = capture_time
        return self.frame

    def _analyse_batch(self, hops: int) -> None:
        s = self.settings
        frames = self._frames[:hops]
        view = np.lib.stride_tricks.sliding_window_view(
            self._work[:self._keep + hops * s.hop], s.n_fft)[::s.hop]
        np.copyto(frames, view[:hops])
        # Remove DC per window so an offset never reads as bass.
        frames -= frames.mean(axis=1, keepdims=True)
        ms = self._ms[:hops]
        np.einsum("ij,ij->i", frames, frames, out=ms)
        ms /= s.n_fft
        frames *= self._window
        spec = self._spec[:hops]
        np.fft.rfft(frames, axis=1, out=spec)
        power = self._power[:hops]
        np.abs(spec, out=power)
        # The one-pole recurrence over the batch in closed form:
        # m_H = r^H m_0 + sum_k c r^(H-1-k) x_k, with r = 1 - c.
        self._mag *= self._decay_pow[hops]
        self._mag += self._mag_weights[-hops:] @ power[:, :TEXTURE_WIDTH]
        power *= power
        power *= self._power_scale
        db = self._db[:hops]
        np.matmul(power, self._weights, out=db[:, 1:])
        db[:, 0] = ms
        np.maximum(db, _EPS, out=db)
        np.log10(db, out=db)
        db *= 10.0
        peaks = self._peaks[:hops]
        peaks[:, :_FIRST_BAND] = db[:, :_FIRST_BAND]
        np.max(db[:, _FIRST_BAND:], axis=1, out=peaks[:, _FIRST_BAND])
        refs = self._gain.references(peaks)
        norm = self._norm[:hops]
        self._gain.normalise(db[:, :_FIRST_BAND], refs[:, :_FIRST_BAND], norm[:, :_FIRST_BAND])
        self._gain.normalise(db[:, _FIRST_BAND:], refs[:, _FIRST_BAND:], norm[:, _FIRST_BAND:])
        # The attack/release follower is the one sequential step.
        for i in range(hops):
            self._env.step(norm[i])
        # Stages to come (onsets, beat, pitch) read spec/power/db here.
        state = self._env.state
        values = self.frame.values
        values[:_FIRST_BAND] = state[:_FIRST_BAND]  # level, bass, mid, high come first
        values[FEATURE_INDEX["level_db"]] = max(db[hops - 1, 0], _SILENT_DB)
        self.frame.bands[:] = state[_FIRST_BAND:]
        self._write_texture(end=self._keep + hops * s.hop)
        self.frame.hops += hops

    def _write_texture(self, *, end: int) -> None:
        tex = self.frame.texture
        db = tex[0]
        np.maximum(self._mag, 1e-10, out=self._mag)
        np.log10(self._mag, out=db)
        db *= 20.0
        db += 100.0
        db /= 70.0
        np.clip(db, 0.0, 1.0, out=db)
        np.multiply(self._work[end - TEXTURE_WIDTH:end], 0.5, out=tex[1], casting="unsafe")
        tex[1] += 0.5
