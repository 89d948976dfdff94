"""Every feature declares its latency in the feature table, and the zero-lag
track moves each one back by exactly that (issue 12): adding a feature is one
entry in the table, and an offline render cannot be silently misaligned."""

import numpy as np
import pytest

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import (
    LATENCY_SOURCES, PITCH_TRACKER, RECOMPUTED, SCALAR_FEATURES, SPECTRAL_WINDOW, Feature,
    Latency, columns, fixed)
from visualizer.analysis.track import analyze, zero_lag_track

SR = 48000
NAMES = [f.name for f in SCALAR_FEATURES]


def test_a_feature_cannot_be_declared_without_a_latency():
    with pytest.raises(TypeError):
        Feature("new", "iNew", "0..1", "A feature that forgot its latency.")
    with pytest.raises(ValueError):
        Latency("guessed")


@pytest.mark.parametrize("feature", SCALAR_FEATURES, ids=NAMES)
def test_every_feature_declares_a_latency_the_analyzer_resolves(feature):
    assert isinstance(feature.latency, Latency)
    assert feature.latency.source in LATENCY_SOURCES
    hops = Analyzer().latency_hops(feature.latency)
    if feature.latency == RECOMPUTED:
        assert hops is None
    else:
        assert isinstance(hops, int) and hops >= 0


def test_latencies_resolve_to_their_sources():
    a = Analyzer(AnalyzerSettings(n_fft=2048, hop=256))
    assert a.latency_hops(SPECTRAL_WINDOW) == 4                  # 1024 samples: the centre
    assert a.latency_hops(PITCH_TRACKER) == a.pitch.latency_hops
    assert a.latency_hops(fixed(0.2)) == round(0.2 * SR / 256)
    assert a.latency_hops(fixed(0.0)) == 0
    assert a.latency_hops(RECOMPUTED) is None


def _raw(n: int) -> np.ndarray:
    """Streaming rows no offline computation could produce: a distinct
    large non-integer per hop and column."""
    hop = np.arange(n, dtype=np.float32)[:, None]
    col = np.arange(len(SCALAR_FEATURES), dtype=np.float32)[None, :]
    return (1000.0 + hop * 64.0 + col + 0.5).astype(np.float32)


@pytest.mark.parametrize("feature", SCALAR_FEATURES, ids=NAMES)
def test_the_track_moves_each_feature_back_by_its_declared_latency(feature):
    analyzer = Analyzer()
    n = 400
    raw = _raw(n)
    lags = np.full(n, -1, np.intp)
    lags[[50, 200]] = [3, 5]                      # two onsets, each with its own lag
    track = zero_lag_track(analyzer, raw.copy(), np.zeros(n), lags)
    got, was = track.column(feature.name), raw[:, columns([feature.name])][:, 0]
    hops = analyzer.latency_hops(feature.latency)
    if hops is None:
        # Recomputed: written afresh offline, none of the streaming values kept.
        assert np.intersect1d(got, was).size == 0
        return
    assert np.array_equal(got[:n - hops], was[hops:])
    assert np.all(got[n - hops:] == was[-1])       # the end holds the last value


def test_on_real_analysis_every_shifted_feature_is_the_streaming_one_moved_back():
    rng = np.random.default_rng(3)
    t = np.arange(3 * SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t * (1 + 0.01 * np.sin(2 * np.pi * 5 * t)))
         * (t % 0.5 < 0.35) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    streaming = []
    a = Analyzer(on_rows=lambda rows: streaming.append(rows.astype(np.float32)))
    for i in range(0, x.size, SR):                 # as analyze() feeds it
        a.process(x[i:i + SR])
    raw = np.concatenate(streaming)
    track = analyze(x, sample_rate=SR)
    assert track.rows.shape == raw.shape
    for f in SCALAR_FEATURES:
        hops = a.latency_hops(f.latency)
        if hops is not None:
            col = raw[:, columns([f.name])][:, 0]
            assert np.array_equal(track.column(f.name)[:raw.shape[0] - hops], col[hops:]), f.name
