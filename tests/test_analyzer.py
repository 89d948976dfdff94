"""The streaming analyzer on signals whose answer is known."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import tone
from visualizer.analysis.analyzer import Analyzer
from visualizer.analysis.bands import log_band_edges
from visualizer.analysis.features import N_BANDS

SR = 48000


def run(x: np.ndarray, block: int = 800, analyzer: Analyzer | None = None):
    a = analyzer or Analyzer()
    for i in range(0, len(x), block):
        frame = a.process(x[i:i + block])
    return a, frame


def band_of(freq: float) -> int:
    edges = log_band_edges(n_bands=N_BANDS, fmin=30, fmax=16000)
    return int(np.searchsorted(edges, freq) - 1)


@pytest.mark.parametrize("freq", [55.0, 220.0, 440.0, 1000.0, 3520.0, 9000.0])
def test_a_tone_lights_its_own_band(freq):
    _, f = run(tone(freq, 1.0))
    assert abs(int(np.argmax(f.bands)) - band_of(freq)) <= 1
    far = [b for b in range(N_BANDS) if abs(b - band_of(freq)) > 6]
    assert f.bands[far].max() < 0.2


def test_bass_mid_high_follow_their_ranges():
    _, low = run(tone(80, 1.0))
    _, mid = run(tone(700, 1.0))
    _, high = run(tone(6000, 1.0))
    assert low["bass"] > 0.9 and low["high"] < 0.1
    assert mid["mid"] > 0.9 and mid["bass"] < 0.5 and mid["high"] < 0.3
    assert high["high"] > 0.9 and high["bass"] < 0.1


def test_silence_reads_zero():
    _, f = run(np.zeros(SR, np.float32))
    assert f.values[:4].max() == 0.0 and f.bands.max() == 0.0
    assert f["level_db"] == -120.0


@pytest.mark.parametrize("amp", [0.003, 0.03, 0.9])
def test_automatic_gain_fills_the_range_for_quiet_and_hot_inputs(amp):
    # A phrase: 0.5 s of tone, 0.5 s of a note 20 dB softer, repeated.
    x = np.concatenate([tone(440, 0.5, amp=amp), tone(440, 0.5, amp=amp / 10)] * 3)
    a = Analyzer()
    levels = []
    for i in range(0, len(x), 480):
        levels.append(a.process(x[i:i + 480])["level"])
    levels = np.array(levels[len(levels) // 3:])
    assert levels.max() > 0.95
    assert levels.min() < 0.5


def test_level_attacks_fast_and_releases_slowly():
    x = np.concatenate([np.zeros(SR // 2), tone(440, 0.5), np.zeros(SR)]).astype(np.float32)
    a = Analyzer()
    trace = np.array([a.process(x[i:i + 240])["level"] for i in range(0, len(x), 240)])
    t = np.arange(len(trace)) * 240 / SR
    onset = t[np.argmax(trace > 0.8)]
    assert 0.5 <= onset < 0.56  # within a window's length of the note
    after = trace[(t > 1.05) & (t < 1.1)]
    assert after.min() > 0.2  # still glowing 50 ms after the note ends
    assert trace[-1] < 0.05   # and gone (release 250 ms) a second later


def test_dc_offset_is_not_bass():
    # Two seconds of DC: only the switch-on step at the start is a sound.
    _, f = run(np.full(2 * SR, 0.5, np.float32))
    assert f["bass"] < 1e-3 and f["level"] < 1e-3


def test_bad_samples_give_finite_features():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(SR).astype(np.float32)
    x[::97] = np.nan
    x[::89] = np.inf
    x[::83] = -np.inf
    x *= 40  # heavy clipping too
    _, f = run(x)
    for arr in (f.values, f.bands, f.texture):
        assert np.all(np.isfinite(arr))
    assert 0 <= f.values[:4].min() and f.values[:4].max() <= 1
    assert 0 <= f.texture.min() and f.texture.max() <= 1


@settings(max_examples=25, deadline=None)
@given(blocks=st.lists(st.integers(1, 5000), min_size=1, max_size=40))
def test_block_size_does_not_change_the_result(blocks):
    x = np.random.default_rng(7).standard_normal(SR // 2).astype(np.float32) * 0.2
    whole = Analyzer().process(x).copy()
    a, pos = Analyzer(), 0
    for n in blocks:
        a.process(x[pos:pos + n])
        pos += n
    f = a.process(x[pos:])
    assert f.hops == whole.hops
    np.testing.assert_allclose(f.values, whole.values, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f.bands, whole.bands, atol=1e-5)
    np.testing.assert_allclose(f.texture, whole.texture, atol=1e-5)


def test_shadertoy_texture_matches_webaudio_scaling():
    # A full-scale sine reads about -13.5 dB in WebAudio (Blackman, /N):
    # (-13.5 + 100) / 70 = 1.0 after clipping; -40 dB lower reads ~0.66.
    _, f = run(tone(1000, 1.0, amp=0.01))
    peak_bin = int(np.argmax(f.texture[0]))
    assert abs(peak_bin * SR / 2048 - 1000) < 30
    db = f.texture[0, peak_bin] * 70 - 100
    assert -56 < db < -50
    wave = f.texture[1]
    assert abs(wave.mean() - 0.5) < 0.01 and wave.max() - wave.min() == pytest.approx(0.01, abs=2e-3)


def test_hours_of_input_do_not_drift():
    # One hour of a repeating 1 s phrase: the state after an hour equals the
    # state after ten minutes (nothing accumulates), and the counters count
    # the same number of events per phrase throughout.
    from visualizer.analysis.features import FEATURE_INDEX
    rng = np.random.default_rng(3)
    phrase = (np.concatenate([tone(220, 0.6), np.zeros(int(SR * 0.4))])
              + rng.standard_normal(SR) * 0.01).astype(np.float32)
    a = Analyzer()
    for _ in range(600):
        early = a.process(phrase).copy()
    for _ in range(3600 - 600):
        late = a.process(phrase)
    counters = [FEATURE_INDEX["onset_count"], FEATURE_INDEX["beat_count"]]
    steady = [i for i in range(late.values.size) if i not in counters]
    np.testing.assert_allclose(late.values[steady], early.values[steady], atol=1e-3)
    np.testing.assert_allclose(late.bands, early.bands, atol=1e-4)
    for i in counters:
        assert late.values[i] == pytest.approx(early.values[i] * 6, rel=0.01)
    assert np.all(np.isfinite(late.values))


def _ranges():
    """Each feature's allowed range, from its documented unit."""
    from visualizer.analysis.features import SCALAR_FEATURES
    special = {"level_db": (-120, 0), "onset_count": (0, 1e9), "beat_count": (0, 1e9),
               "tempo": (60, 200), "pitch": (0, 1400), "note": (0, 127), "cents": (-50, 50),
               "tuning": (-50, 50), "vibrato_rate": (0, 12), "vibrato_depth": (0, 200),
               "loudness_momentary": (-120, 10), "loudness_short": (-120, 10)}
    return [(i, f.name, special.get(f.name, (0, 1))) for i, f in enumerate(SCALAR_FEATURES)]


def _nonsense():
    rng = np.random.default_rng(11)
    t = np.arange(3 * SR) / SR
    nan_mix = rng.standard_normal(3 * SR).astype(np.float32)
    nan_mix[::50] = np.nan
    nan_mix[7::61] = np.inf
    nan_mix[9::67] = -np.inf
    return {
        "silence": np.zeros(3 * SR, np.float32),
        "dc": np.full(3 * SR, -0.7, np.float32),
        "clipped square": np.sign(np.sin(2 * np.pi * 110 * t)).astype(np.float32) * 5,
        "white noise": rng.standard_normal(3 * SR).astype(np.float32),
        "nan and inf": nan_mix,
        "denormals": np.full(3 * SR, 1e-40, np.float32),
        "huge": (rng.standard_normal(3 * SR) * 1e30).astype(np.float32),
        "single impulse": np.eye(1, 3 * SR, SR)[0].astype(np.float32),
    }


@pytest.mark.parametrize("name", list(_nonsense()))
def test_nonsense_in_sense_out_every_feature_in_its_range(name):
    x = _nonsense()[name]
    rows = []
    a = Analyzer(on_rows=lambda r: rows.append(r.copy()))
    for i in range(0, x.size, 1000):
        f = a.process(x[i:i + 1000])
    rows = np.concatenate(rows)
    assert np.all(np.isfinite(rows)), name
    for i, feature, (lo, hi) in _ranges():
        col = rows[:, i]
        assert lo - 1e-6 <= col.min() and col.max() <= hi + 1e-6, (feature, col.min(), col.max())
    assert np.all(np.isfinite(f.bands)) and np.all(np.isfinite(f.texture))
