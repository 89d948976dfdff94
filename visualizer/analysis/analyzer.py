"""The streaming analyzer: mono samples in, a FeatureFrame out, hop by hop.

Numpy only. Samples arrive in blocks of any size; every complete hop is
analysed (a Hann-windowed FFT over the last ``n_fft`` samples), in batches so
that numpy does the work, and the smoothed state after the newest hop is what
a frame is drawn from. Onset, beat and pitch stages plug in after the
spectrum (see ``_analyse_batch``).
"""

from dataclasses import dataclass

import numpy as np

from visualizer.analysis.arc import ArcTracker
from visualizer.analysis.bands import BandSums, band_matrix, log_band_edges
from visualizer.analysis.beat import OUT_COLUMNS as BEAT_OUT_COLUMNS, BeatTracker
from visualizer.analysis.features import (
    FEATURE_INDEX, N_BANDS, SCALAR_FEATURES, TEXTURE_WIDTH, FeatureFrame, Latency, columns)
from visualizer.analysis.legato import NoteChangeDetector, OnsetMerger
from visualizer.analysis.loudness import LoudnessMeter
from visualizer.analysis.onsets import OnsetDetector
from visualizer.analysis.pitch import PitchTracker
from visualizer.analysis.smoothing import AttackRelease, AutoGain, coefficient
from visualizer.analysis.texture import AudioTexture

_EPS = 1e-12
_SILENT_DB = -120.0


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
    onset_sensitivity: float = 1.0
    """Onset detector sensitivity: higher finds softer onsets (and more false ones)."""
    musical: bool = True
    """Run the onset, beat, pitch, loudness and arc stages. An offline render's
    second pass turns them off: its features come from the zero-lag track."""


# (name, low Hz, high Hz, attack s, release s) of the broad bands.
_BROAD = (("bass", 30.0, 250.0, 0.005, 0.150),
          ("mid", 250.0, 2000.0, 0.010, 0.200),
          ("high", 2000.0, 16000.0, 0.005, 0.150))
_LEVEL_TIMES = (0.010, 0.250)
_BAND_TIMES = (0.005, 0.120)
# Timbre, smoothed with the bands: (attack s, release s).
_TIMBRE_TIMES = ((0.030, 0.200), (0.030, 0.200))  # brightness, breath
_N_GAINED = 1 + len(_BROAD)            # level, bass, mid, high: automatic gain
_FIRST_BAND = _N_GAINED + len(_TIMBRE_TIMES)  # then brightness, breath, then the bands
_BRIGHT_LO, _BRIGHT_HI = 250.0, 8000.0  # centroid range mapped onto brightness 0..1
# Breathiness is spectral flatness over the range where a horn's harmonics and
# its breath noise both live; a periodogram of white noise has flatness e^-gamma.
_BREATH_BAND = (100.0, 12000.0)
_WHITE_FLATNESS = float(np.exp(-np.euler_gamma))
_BREATH_GATE_DB = -70.0
_ONSET_PULSE_S = 0.15

# Where the analyzer's values go in the feature table. Each stage's output
# columns, by the stage's own names in its order, to the features they fill.
_PITCH_FEATURES = {"pitch_hz": "pitch", "pitch_confidence": "pitch_confidence",
                   "voiced": "voiced", "note": "note", "cents": "cents", "tuning_cents": "tuning",
                   "vibrato_rate": "vibrato_rate", "vibrato_depth": "vibrato_depth"}
_BEAT_FEATURES = {"tempo_bpm": "tempo", "beat_phase": "beat_phase", "beat_pulse": "beat",
                  "bar_phase": "bar_phase", "beat_count": "beat_count"}
_LOUDNESS_FEATURES = {"momentary_lufs": "loudness_momentary", "short_term_lufs": "loudness_short"}
_PITCH_COLS = columns([_PITCH_FEATURES[n] for n in PitchTracker.names])
_BEAT_COLS = columns([_BEAT_FEATURES[n] for n in BEAT_OUT_COLUMNS])
_LOUDNESS_COLS = columns([_LOUDNESS_FEATURES[n] for n in LoudnessMeter.names])
_ARC_COLS = columns(ArcTracker.names)
_GAINED_COLS = columns(("level", "bass", "mid", "high"))   # the order of _norm's first columns
_TIMBRE_COLS = columns(("brightness", "breath"))           # then these
_LEVEL_DB, _ONSET, _ONSET_COUNT, _BRIGHTNESS = (
    FEATURE_INDEX[n] for n in ("level_db", "onset", "onset_count", "brightness"))


class Analyzer:
    """Streaming analysis of one mono input.

    ``process(samples)`` consumes any number of samples and returns the
    :class:`FeatureFrame` (the same object every call, updated in place).
    ``on_rows``, if given, receives every batch's per-hop feature rows,
    shape (hops, n_features), a view valid during the call (offline analysis
    keeps them).
    """

    def __init__(self, settings: AnalyzerSettings = AnalyzerSettings(), *, on_rows=None):
        s = settings
        if s.n_fft < TEXTURE_WIDTH or s.hop > s.n_fft:
            raise ValueError("n_fft must be >= 512 and hop <= n_fft")
        self.settings = s
        self.frame = FeatureFrame()
        self.on_rows = on_rows
        self._init_spectrum(s)
        self._init_buffers(s)
        self._init_smoothing(s)
        self._init_stages(s)

    def _init_spectrum(self, s: AnalyzerSettings) -> None:
        """The window, its scalings, and the band and breath weights over the bins."""
        n_bins = s.n_fft // 2 + 1
        self._window = np.hanning(s.n_fft + 2)[1:-1]  # periodic-ish, no zero ends
        # One-sided power scaled so bins sum to the signal's mean square.
        self._power_scale = 2.0 / (s.n_fft * np.sum(self._window ** 2))
        edges = log_band_edges(n_bands=N_BANDS, fmin=s.fmin, fmax=s.fmax)
        broad_w = np.vstack([band_matrix(np.array([lo, hi]), n_fft=s.n_fft,
                                         sample_rate=s.sample_rate) for _, lo, hi, *_ in _BROAD])
        # Broad bands then log bands: one (sparse) product per batch.
        self._band_sums = BandSums(np.vstack(
            [broad_w, band_matrix(edges, n_fft=s.n_fft, sample_rate=s.sample_rate)]).T)
        freqs = np.arange(n_bins) * s.sample_rate / s.n_fft
        self._freqs = freqs
        lo, hi = (np.searchsorted(freqs, f) for f in _BREATH_BAND)
        self._breath_bins = slice(lo, hi)

    def _init_buffers(self, s: AnalyzerSettings) -> None:
        """The sample history and every per-batch work array, allocated once."""
        n_bins, b = s.n_fft // 2 + 1, s.max_batch
        # History: the last n_fft - hop samples plus any partial hop.
        self._keep = s.n_fft - s.hop
        self._work = np.zeros(self._keep + s.hop * b + s.hop, np.float64)
        self._windows: dict[int, np.ndarray] = {}   # hops -> windows of _work
        self._filled = self._keep
        self._frames = np.empty((b, s.n_fft))
        self._spec = np.empty((b, n_bins), np.complex128)
        self._power = np.empty((b, n_bins))
        self._ms = np.empty(b)
        # Per hop, in dB then 0..1: [level, bass, mid, high, (brightness, breath), 48 bands].
        n = _FIRST_BAND + N_BANDS
        self._db = np.empty((b, _N_GAINED + N_BANDS))
        self._norm = np.empty((b, n))
        self._peaks = np.empty((b, _N_GAINED + 1))
        self._scratch = np.empty((b, n_bins))
        self._rows = np.zeros((b, len(SCALAR_FEATURES)))
        self._followed = np.empty((b, _FIRST_BAND))
        self._samples_seen = 0
        self._batch_hops = 0

    def _init_smoothing(self, s: AnalyzerSettings) -> None:
        """Smoothing and gain: one follower over every value, one gain per
        broad value and one shared by the bands (keeping the spectrum's shape);
        the audio texture's own smoothing (WebAudio's)."""
        step_s, b = s.hop / s.sample_rate, s.max_batch
        times = ([_LEVEL_TIMES] + [(a, r) for *_, a, r in _BROAD] + list(_TIMBRE_TIMES)
                 + [_BAND_TIMES] * N_BANDS)
        self._env = AttackRelease([coefficient(a, step_s) for a, _ in times],
                                  [coefficient(r, step_s) for _, r in times])
        self._gain = AutoGain(_N_GAINED + 1, range_db=s.gain_range_db,
                              decay_db_per_step=s.gain_decay_db_per_s * step_s,
                              floor_db=s.gain_floor_db, max_batch=b)
        self._texture = AudioTexture(window=self._window, step_s=step_s, max_batch=b)

    def _init_stages(self, s: AnalyzerSettings) -> None:
        """The musical stages and their output buffers."""
        step_s, b = s.hop / s.sample_rate, s.max_batch
        self.onsets = OnsetDetector(sample_rate=s.sample_rate, n_fft=s.n_fft, hop=s.hop,
                                    sensitivity=s.onset_sensitivity, max_batch=b)
        self.beats = BeatTracker(hop_seconds=step_s, max_batch=b)
        self.pitch = PitchTracker(sample_rate=s.sample_rate, hop=s.hop, max_batch=b)
        # Slurred notes bring no attack: note changes in the pitch track join
        # the flux onsets (see visualizer.analysis.legato).
        self.note_changes = NoteChangeDetector(hop_seconds=step_s,
                                               pitch_latency_hops=self.pitch.latency_hops)
        self.onset_merger = OnsetMerger(hop_seconds=step_s)
        self.loudness = LoudnessMeter(sample_rate=s.sample_rate, hop=s.hop, max_batch=b)
        self.arc = ArcTracker(hop_seconds=step_s)
        self._odf = np.empty(b)
        self._onset = np.zeros(b, bool)          # flux onsets
        self._changed = np.zeros(b, bool)        # note-change onsets
        self._change_lag = np.zeros(b, np.intp)
        self._merged = np.zeros(b, bool)         # both, one per note
        self._merged_lag = np.zeros(b, np.intp)
        self._beat_out = np.empty((b, len(BEAT_OUT_COLUMNS)))
        self._pitch_out = np.empty((b, len(PitchTracker.names)))
        self._loud_out = np.empty((b, len(LoudnessMeter.names)))
        self._arc_out = np.empty((b, len(ArcTracker.names)))
        self._onset_pulse = 0.0
        self._hop_index = np.arange(b)
        self._onset_decay = np.exp(-step_s / _ONSET_PULSE_S * np.arange(b + 1))

    @property
    def hop_seconds(self) -> float:
        """Duration of one hop in seconds."""
        return self.settings.hop / self.settings.sample_rate

    def latency_hops(self, latency: Latency) -> int | None:
        """Hops by which this analyzer's value of a feature with ``latency``
        trails the audio it describes; None for a feature the offline track
        recomputes (see :class:`~visualizer.analysis.features.Latency`)."""
        s = self.settings
        if latency.source == "window":
            return round(s.n_fft / 2 / s.hop)  # an end-aligned window describes its centre
        if latency.source == "pitch":
            return self.pitch.latency_hops
        if latency.source == "fixed":
            return round(latency.seconds / self.hop_seconds)
        return None

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

    @property
    def batch_odf(self) -> np.ndarray:
        """The onset detection function of the last batch's hops (for on_rows)."""
        return self._odf[:self._batch_hops]

    @property
    def batch_onset_lags(self) -> np.ndarray:
        """Per hop of the last batch: -1, or where an onset was reported, the
        hops from its event in the audio to that hop (for on_rows; offline
        code moves each onset back by its own lag: flux and note changes
        have different delays)."""
        h = self._batch_hops
        return np.where(self._merged[:h], self._merged_lag[:h], -1)

    def tap(self, time_s: float | None = None) -> None:
        """Tap tempo at audio time ``time_s`` (default: now, the newest sample)."""
        self.beats.tap(self.frame.time if time_s is None else time_s)

    def _analyse_batch(self, hops: int) -> None:
        s = self.settings
        frames = self._frames[:hops]
        view = self._windows.get(hops)
        if view is None:  # one strided view per batch size, made once
            view = self._windows[hops] = np.lib.stride_tricks.sliding_window_view(
                self._work[:self._keep + hops * s.hop], s.n_fft)[::s.hop][:hops]
        np.copyto(frames, view)
        # Remove DC per window so an offset never reads as bass.
        frames -= frames.mean(axis=1, keepdims=True)
        rows = self._rows[:hops]
        if s.musical:
            self.pitch.process(frames, self._pitch_out[:hops])  # wants the unwindowed frames
            self.loudness.process(self._work[self._keep:self._keep + hops * s.hop],
                                  self._loud_out[:hops])
        ms = self._ms[:hops]
        np.einsum("ij,ij->i", frames, frames, out=ms)
        ms /= s.n_fft
        frames *= self._window
        spec = self._spec[:hops]
        np.fft.rfft(frames, axis=1, out=spec)
        power = self._power[:hops]
        np.abs(spec, out=power)
        if s.musical:
            self.onsets.process(power, self._odf[:hops], self._onset[:hops])
        self._texture.add(power)
        power *= power
        power *= self._power_scale
        self._levels(power, ms, hops)
        self._timbre(power, ms, hops)
        # The attack/release follower is the one sequential step.
        norm = self._norm[:hops]
        env = self._env
        followed = self._followed[:hops]
        for i in range(hops):
            followed[i] = env.step(norm[i])[:_FIRST_BAND]
        rows[:, _GAINED_COLS] = followed[:, :_N_GAINED]
        rows[:, _TIMBRE_COLS] = followed[:, _N_GAINED:]
        if s.musical:
            self._musical(rows, hops)
        frame = self.frame
        frame.values[:] = rows[hops - 1]
        frame.bands[:] = env.state[_FIRST_BAND:]
        self._texture.write(frame.texture, self._work[:self._keep + hops * s.hop])
        frame.hops += hops
        self._batch_hops = hops
        if self.on_rows is not None:
            self.on_rows(rows)

    def _levels(self, power: np.ndarray, ms: np.ndarray, hops: int) -> None:
        """Band levels in dB, automatic gain, into the follower's input."""
        db = self._db[:hops]
        self._band_sums(power, db[:, 1:])
        db[:, 0] = ms
        np.maximum(db, _EPS, out=db)
        np.log10(db, out=db)
        db *= 10.0
        peaks = self._peaks[:hops]
        peaks[:, :_N_GAINED] = db[:, :_N_GAINED]
        np.max(db[:, _N_GAINED:], axis=1, out=peaks[:, _N_GAINED])
        refs = self._gain.references(peaks)
        norm = self._norm[:hops]
        self._gain.normalise(db[:, :_N_GAINED], refs[:, :_N_GAINED], norm[:, :_N_GAINED])
        self._gain.normalise(db[:, _N_GAINED:], refs[:, _N_GAINED:], norm[:, _FIRST_BAND:])
        self._rows[:hops, _LEVEL_DB] = np.maximum(db[:, 0], _SILENT_DB)

    def _timbre(self, power: np.ndarray, ms: np.ndarray, hops: int) -> None:
        """Brightness (log centroid) and breathiness (flatness), per hop."""
        norm = self._norm[:hops]
        total = power.sum(axis=1) + _EPS
        centroid = (power @ self._freqs) / total
        bright = norm[:, _N_GAINED]
        np.log2(np.maximum(centroid, _BRIGHT_LO) / _BRIGHT_LO, out=bright)
        bright /= np.log2(_BRIGHT_HI / _BRIGHT_LO)
        np.clip(bright, 0.0, 1.0, out=bright)
        band = power[:, self._breath_bins]
        logs = self._scratch[:hops, :band.shape[1]]
        np.log(band + _EPS, out=logs)
        flat = norm[:, _N_GAINED + 1]
        np.exp(logs.mean(axis=1), out=flat)
        flat /= band.mean(axis=1) + _EPS
        flat /= _WHITE_FLATNESS
        # Flatness spans decades (a horn ~1e-3, with air ~1e-2, noise 1): in dB,
        # -40 dB reads 0 and white noise 1.
        np.log10(np.maximum(flat, 1e-4), out=flat)
        flat *= 10.0 / 40.0
        flat += 1.0
        np.clip(flat, 0.0, 1.0, out=flat)
        silent = ms < 10 ** (_BREATH_GATE_DB / 10)
        bright[silent] = 0.0
        flat[silent] = 0.0

    def _merge_onsets(self, hops: int) -> np.ndarray:
        """Flux and note-change onsets of this batch as one (hops,) bool stream."""
        changed, lag = self._changed[:hops], self._change_lag[:hops]
        self.note_changes.process(self._pitch_out[:hops], changed, lag)
        flux = self._onset[:hops]
        merged, mlag = self._merged[:hops], self._merged_lag[:hops]
        merged[:] = False
        first = self.frame.hops                    # global index of this batch's hop 0
        for i in np.flatnonzero(flux | changed):
            for source, (fired, k) in enumerate(((flux[i], self.onsets.latency_hops),
                                                 (changed[i], lag[i]))):
                if fired and self.onset_merger.offer(first + int(i) - int(k), source):
                    merged[i], mlag[i] = True, k
                    break
        return merged

    def _musical(self, rows: np.ndarray, hops: int) -> None:
        """Onset pulse, beat, pitch, loudness and the arc into the rows."""
        onset = self._merge_onsets(hops)
        # Onset pulse: 1 on an onset, decaying; closed form via the last onset index.
        hop_index = self._hop_index[:hops]
        idx = np.where(onset, hop_index, -1)
        np.maximum.accumulate(idx, out=idx)
        pulse = rows[:, _ONSET]
        since = hop_index - idx
        np.take(self._onset_decay, np.minimum(since, hops), out=pulse)
        before = idx < 0
        pulse[before] = self._onset_pulse * self._onset_decay[hop_index[before] + 1]
        self._onset_pulse = float(pulse[-1])
        rows[:, _ONSET_COUNT] = self.onset_merger.count - (onset.sum() - np.cumsum(onset))
        beat = self._beat_out[:hops]
        self.beats.process(self._odf[:hops], beat)
        rows[:, _BEAT_COLS] = beat
        rows[:, _PITCH_COLS] = self._pitch_out[:hops]
        loud = self._loud_out[:hops]
        rows[:, _LOUDNESS_COLS] = loud
        arc = self._arc_out[:hops]
        self.arc.process(loud[:, 1], onset, rows[:, _BRIGHTNESS], arc)
        rows[:, _ARC_COLS] = arc
