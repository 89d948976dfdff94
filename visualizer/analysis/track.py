"""Offline analysis of a whole recording, with zero lag.

The streaming analyzer runs once over the file; then every feature is moved
back by its own latency (a window's centre, a detector's delay), and the beat
and the climaxes are decided with the whole file known. Row ``i`` of a
:class:`FeatureTrack` describes the audio at time ``(i + 1) * hop_seconds``,
so a rendered flash lands on the frame of its beat rather than after it.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.arc import arc_offline
from visualizer.analysis.beat import track_beats
from visualizer.analysis.features import FEATURE_INDEX as COL, SCALAR_FEATURES

_BEAT_PULSE_S = 0.1
_ONSET_PULSE_S = 0.15


@dataclass
class FeatureTrack:
    """Every scalar feature at every hop of a recording, zero-lag."""

    hop_seconds: float
    rows: np.ndarray
    """(n_hops, n_features) float32 in the order of SCALAR_FEATURES."""
    onset_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    beat_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tempo: float = 0.0
    integrated_lufs: float = -120.0
    """Gated integrated loudness of the whole recording (EBU R128)."""

    @property
    def times(self) -> np.ndarray:
        """(n_hops,) seconds that each row describes."""
        return (np.arange(self.rows.shape[0]) + 1) * self.hop_seconds

    def column(self, name: str) -> np.ndarray:
        """One feature over time, (n_hops,)."""
        return self.rows[:, COL[name]]

    def index_at(self, t: float) -> int:
        """Row describing audio time ``t`` (the newest hop ending at or before it)."""
        i = int(math.floor(t / self.hop_seconds + 1e-9)) - 1
        return min(max(i, 0), self.rows.shape[0] - 1)


def analyze(samples: np.ndarray, *, sample_rate: int = 48000,
            settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse a whole mono recording, (n,) float, with zero lag."""
    blocks = (samples[i:i + sample_rate] for i in range(0, samples.shape[0], sample_rate))
    return analyze_blocks(blocks, sample_rate=sample_rate, settings=settings)


def analyze_file(path, *, sample_rate: int = 48000,
                 settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse an audio file, decoding it block by block (memory stays small)."""
    from visualizer.audio.file_source import FileSource, mono

    def blocks():
        with FileSource(path, sample_rate=sample_rate) as source:
            while (block := source.read(sample_rate)).shape[0]:
                yield mono(block)
            source.check_complete()

    return analyze_blocks(blocks(), sample_rate=sample_rate, settings=settings)


def analyze_blocks(blocks, *, sample_rate: int = 48000,
                   settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse mono blocks (any sizes) of one recording, with zero lag."""
    settings = settings or AnalyzerSettings(sample_rate=sample_rate)
    chunks: list[np.ndarray] = []
    odf: list[np.ndarray] = []
    analyzer = Analyzer(settings)

    def keep(rows: np.ndarray) -> None:
        chunks.append(rows.astype(np.float32))
        odf.append(analyzer.batch_odf.copy())

    analyzer.on_rows = keep
    for block in blocks:
        analyzer.process(block)
    if not chunks:
        return FeatureTrack(analyzer.hop_seconds, np.zeros((0, len(SCALAR_FEATURES)), np.float32))
    rows = np.concatenate(chunks)
    odf_all = np.concatenate(odf)
    hop_s = analyzer.hop_seconds
    s = settings
    spectral = round(s.n_fft / 2 / s.hop)  # an end-aligned window describes its centre
    _shift(rows, ["level", "bass", "mid", "high", "level_db", "brightness", "breath"], spectral)
    _shift(rows, ["pitch", "pitch_confidence", "voiced", "note", "cents", "tuning",
                  "vibrato_rate", "vibrato_depth"], analyzer.pitch.latency_hops)
    _shift(rows, ["loudness_momentary"], round(0.2 / hop_s))   # centre of 400 ms
    _shift(rows, ["loudness_short"], round(1.5 / hop_s))       # centre of 3 s

    # Onsets: the detector's hops moved back by its latency.
    onset_hops = np.flatnonzero(np.diff(rows[:, COL["onset_count"]], prepend=0) > 0)
    onset_hops = np.maximum(onset_hops - analyzer.onsets.latency_hops, 0)
    onset_flags = np.zeros(rows.shape[0])
    onset_flags[onset_hops] = 1.0
    rows[:, COL["onset"]] = _pulses(onset_hops, rows.shape[0], _ONSET_PULSE_S / hop_s)
    rows[:, COL["onset_count"]] = np.cumsum(onset_flags)

    tempo, beats = track_beats(odf_all, hop_s)
    _write_beats(rows, beats, tempo, hop_s)
    arc = arc_offline(rows[:, COL["loudness_short"]], onset_flags, rows[:, COL["brightness"]],
                      hop_seconds=hop_s)
    for j, name in enumerate(("dynamics", "intensity", "climax")):
        rows[:, COL[name]] = arc[:, j]
    return FeatureTrack(hop_s, rows, (onset_hops + 1) * hop_s, np.asarray(beats, float), tempo,
                        analyzer.loudness.integrated())


def _shift(rows: np.ndarray, names: list[str], hops: int) -> None:
    """Move columns ``hops`` rows earlier, holding the last value at the end."""
    if hops <= 0:
        return
    cols = [COL[n] for n in names]
    block = rows[:, cols]
    if hops >= block.shape[0]:
        rows[:, cols] = block[-1]
        return
    block[:-hops] = block[hops:]
    block[-hops:] = block[-hops - 1]
    rows[:, cols] = block


def _pulses(event_hops: np.ndarray, n: int, tau_hops: float) -> np.ndarray:
    """1 at each event hop, decaying exp(-k / tau) until the next."""
    out = np.zeros(n, np.float32)
    if event_hops.size == 0:
        return out
    last = np.full(n, -1)
    last[event_hops] = event_hops
    np.maximum.accumulate(last, out=last)
    k = np.arange(n) - last
    return np.where(last >= 0, np.exp(-k / tau_hops), 0.0).astype(np.float32)


def _write_beats(rows: np.ndarray, beats: np.ndarray, tempo: float, hop_s: float) -> None:
    """Beat pulse, phase, bar phase, count and local tempo from beat times."""
    n = rows.shape[0]
    t = (np.arange(n) + 1) * hop_s
    beats = np.asarray(beats, float)
    if beats.size < 2:
        rows[:, COL["tempo"]] = tempo
        for name in ("beat", "beat_phase", "bar_phase", "beat_count"):
            rows[:, COL[name]] = 0.0
        return
    period = 60.0 / tempo if tempo > 0 else float(np.median(np.diff(beats)))
    # Extend the grid a beat either side so phases run through the edges.
    grid = np.concatenate([[beats[0] - period], beats, [beats[-1] + period]])
    k = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2)
    spans = grid[k + 1] - grid[k]
    phase = np.clip((t - grid[k]) / spans, 0.0, 1.0 - 1e-6)
    count = np.clip(k, 0, None).astype(float)  # beats at or before t (grid[0] is virtual)
    rows[:, COL["beat_phase"]] = phase
    rows[:, COL["beat_count"]] = count
    rows[:, COL["bar_phase"]] = ((count - 1) % 4 + phase) / 4.0 * (count > 0)
    rows[:, COL["tempo"]] = 60.0 / spans
    since = (t - grid[k])
    rows[:, COL["beat"]] = np.where(k >= 1, np.exp(-since / _BEAT_PULSE_S), 0.0)
