"""Offline analysis of a whole recording, with zero lag: the data model
(:class:`FeatureTrack`, :class:`FrameSampler`) and the transform from the
streaming analyzer's rows (:func:`zero_lag_track`).

The streaming analyzer runs once over the recording; then every feature is
moved back by the latency it declares in the feature table (a window's
centre, a detector's delay; see :class:`~visualizer.analysis.features.Latency`),
and the events (onsets, the beat) and what derives from them (the arc) are
decided with the whole recording known. Row ``i`` of a :class:`FeatureTrack`
describes the audio at time ``(i + 1) * hop_seconds``, so a rendered flash
lands on the frame of its beat rather than after it. Reading a file:
:mod:`visualizer.analysis.from_file`.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.arc import ArcTracker, arc_offline
from visualizer.analysis.beat_offline import track_beats
from visualizer.analysis.features import FEATURE_INDEX as COL, SCALAR_FEATURES, columns

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

    def frames(self, fps: float, *, start: float = 0.0) -> "FrameSampler":
        """What each frame of a render at ``fps`` shows, frame k at ``start + k / fps``."""
        return FrameSampler(self, fps, start=start)


class FrameSampler:
    """The features a rendered frame shows: every event on the frame nearest it.

    Frame ``k`` is shown at ``start + k / fps``. Its continuous features (level,
    pitch, ...) are the track's row at that time. Its events (onsets, beats)
    are each moved to the frame nearest them: an event up to half a frame
    after a frame's time shows on that frame. So a flash is at most half a
    frame early or late and on time on average, at any frame rate; the row at
    the frame's time alone would put every flash on the frame after, half a
    frame late on average (+21 ms at 24 fps, near the 45 ms at which an eye
    sees a picture late against its sound). Each pulse is 1 on its event's
    frame and decays from there; the counts and the beat phase step on the
    same frame. Live frames do not use this: they show the newest audio.
    """

    def __init__(self, track: FeatureTrack, fps: float, *, start: float = 0.0):
        self.track, self.fps, self.start = track, float(fps), float(start)
        self._onsets = self._frame_of(track.onset_times)
        beats = np.asarray(track.beat_times, float)
        # Beats at their frames' times; a beat grid needs at least two.
        self._beats = self.start + self._frame_of(beats) / self.fps if beats.size >= 2 else None
        self._out = np.zeros(track.rows.shape[1], np.float32)

    def _frame_of(self, times) -> np.ndarray:
        """(n,) int: the frame nearest each time in seconds."""
        return np.round((np.asarray(times, float) - self.start) * self.fps).astype(np.int64)

    def values(self, t: float) -> np.ndarray:
        """(n_features,) float32 for the frame at time ``t`` (reused between calls)."""
        k = round((t - self.start) * self.fps)
        t = self.start + k / self.fps
        out = self._out
        out[:] = self.track.rows[self.track.index_at(t)]
        n = int(np.searchsorted(self._onsets, k, side="right"))
        out[COL["onset_count"]] = n
        out[COL["onset"]] = (math.exp(-(k - int(self._onsets[n - 1])) / self.fps / _ONSET_PULSE_S)
                             if n else 0.0)
        if self._beats is not None:
            cols = _beat_columns(np.array([t]), self._beats, self.track.tempo)
            for name in ("beat", "beat_phase", "bar_phase", "beat_count"):
                out[COL[name]] = cols[name][0]
        return out


def analyze(samples: np.ndarray, *, sample_rate: int = 48000,
            settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse a whole mono recording, (n,) float, with zero lag."""
    blocks = (samples[i:i + sample_rate] for i in range(0, samples.shape[0], sample_rate))
    return analyze_blocks(blocks, sample_rate=sample_rate, settings=settings)


def analyze_blocks(blocks, *, sample_rate: int = 48000,
                   settings: AnalyzerSettings | None = None) -> FeatureTrack:
    """Analyse mono blocks (any sizes) of one recording, with zero lag."""
    settings = settings or AnalyzerSettings(sample_rate=sample_rate)
    chunks: list[np.ndarray] = []
    odf: list[np.ndarray] = []
    lags: list[np.ndarray] = []
    analyzer = Analyzer(settings)

    def keep(rows: np.ndarray) -> None:
        chunks.append(rows.astype(np.float32))
        odf.append(analyzer.batch_odf.copy())
        lags.append(analyzer.batch_onset_lags)

    analyzer.on_rows = keep
    for block in blocks:
        analyzer.process(block)
    if not chunks:
        return FeatureTrack(analyzer.hop_seconds, np.zeros((0, len(SCALAR_FEATURES)), np.float32))
    return zero_lag_track(analyzer, np.concatenate(chunks), np.concatenate(odf),
                          np.concatenate(lags))


def zero_lag_track(analyzer: Analyzer, rows: np.ndarray, odf: np.ndarray,
                   onset_lags: np.ndarray) -> FeatureTrack:
    """The zero-lag track from the streaming ``analyzer``'s output over a recording.

    ``rows``: (n_hops, n_features) float32, every hop's row as ``on_rows``
    gave them (changed in place and kept); ``odf`` (n_hops,) and
    ``onset_lags`` (n_hops,) its ``batch_odf`` and ``batch_onset_lags``.
    Each feature is moved back by its declared latency; the recomputed ones
    are written afresh.
    """
    hop_s = analyzer.hop_seconds
    _shift_by_latency(rows, analyzer)
    onset_hops, onset_flags = _write_onsets(rows, onset_lags, hop_s)
    tempo, beats = track_beats(odf, hop_s)
    _write_beats(rows, beats, tempo, hop_s)
    arc = arc_offline(rows[:, COL["loudness_short"]], onset_flags, rows[:, COL["brightness"]],
                      hop_seconds=hop_s)
    rows[:, columns(ArcTracker.names)] = arc
    # An onset lies somewhere in its hop: its time is the hop's centre (unbiased).
    return FeatureTrack(hop_s, rows, (onset_hops + 0.5) * hop_s, np.asarray(beats, float), tempo,
                        analyzer.loudness.integrated())


def _shift_by_latency(rows: np.ndarray, analyzer: Analyzer) -> None:
    """Move every feature back by the latency it declares (none for the recomputed)."""
    by_hops: dict[int, list[str]] = {}
    for feature in SCALAR_FEATURES:
        hops = analyzer.latency_hops(feature.latency)
        if hops is not None:
            by_hops.setdefault(hops, []).append(feature.name)
    for hops, names in by_hops.items():
        _shift(rows, names, hops)


def _write_onsets(rows: np.ndarray, onset_lags: np.ndarray,
                  hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Onset pulse and count from the reported onsets; returns (onset hops,
    (n_hops,) 1.0 at each onset)."""
    # Each reported hop moved back by its own lag (flux onsets by the
    # detector's latency, note changes to where the pitch left the old note).
    lag = onset_lags
    reported = np.flatnonzero(lag >= 0)
    onset_hops = np.unique(np.maximum(reported - lag[reported], 0))
    onset_flags = np.zeros(rows.shape[0])
    onset_flags[onset_hops] = 1.0
    rows[:, COL["onset"]] = _pulses(onset_hops, rows.shape[0], _ONSET_PULSE_S / hop_s)
    rows[:, COL["onset_count"]] = np.cumsum(onset_flags)
    return onset_hops, onset_flags


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
    t = (np.arange(rows.shape[0]) + 1) * hop_s
    for name, column in _beat_columns(t, np.asarray(beats, float), tempo).items():
        rows[:, COL[name]] = column


def _beat_columns(t: np.ndarray, beats: np.ndarray, tempo: float) -> dict[str, np.ndarray]:
    """Beat pulse, phase, bar phase, count and local tempo at times ``t`` (s), (n,) each."""
    if beats.size < 2:
        zero = np.zeros_like(t)
        return {"tempo": np.full_like(t, tempo), "beat": zero, "beat_phase": zero,
                "bar_phase": zero, "beat_count": zero}
    period = 60.0 / tempo if tempo > 0 else float(np.median(np.diff(beats)))
    # Extend the grid a beat either side so phases run through the edges.
    grid = np.concatenate([[beats[0] - period], beats, [beats[-1] + period]])
    k = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2)
    spans = np.maximum(grid[k + 1] - grid[k], 1e-9)
    phase = np.clip((t - grid[k]) / spans, 0.0, 1.0 - 1e-6)
    count = np.clip(k, 0, None).astype(float)  # beats at or before t (grid[0] is virtual)
    since = (t - grid[k])
    return {"beat_phase": phase, "beat_count": count,
            "bar_phase": ((count - 1) % 4 + phase) / 4.0 * (count > 0),
            "tempo": 60.0 / spans,
            "beat": np.where(k >= 1, np.exp(-since / _BEAT_PULSE_S), 0.0)}
