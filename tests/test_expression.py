"""Timbre and the shape of a performance: brightness, breath, dynamics,
the intensity arc and its climax."""

import numpy as np

from visualizer.analysis.analyzer import Analyzer
from visualizer.analysis.arc import ArcTracker, arc_offline

SR = 48000
HOP_S = 256 / SR


def harmonic(f0: float, seconds: float, *, rolloff: float, amp: float = 0.3) -> np.ndarray:
    """A horn-like tone: harmonics falling off by ``rolloff`` per harmonic."""
    t = np.arange(int(SR * seconds)) / SR
    ks = np.arange(1, int(12000 / f0))
    return (amp * np.sum(rolloff ** (ks - 1)[:, None] * np.sin(2 * np.pi * f0 * ks[:, None] * t),
                         axis=0) / ks.size).astype(np.float32)


def test_a_brighter_tone_reads_brighter():
    dark = Analyzer().process(harmonic(220, 1.0, rolloff=0.4))["brightness"]
    bright = Analyzer().process(harmonic(220, 1.0, rolloff=0.95))["brightness"]
    assert bright > dark + 0.25


def test_breath_rises_with_air_in_the_tone():
    rng = np.random.default_rng(0)
    horn = harmonic(220, 1.0, rolloff=0.8)
    air = rng.standard_normal(horn.size).astype(np.float32) * 0.02
    values = [Analyzer().process(horn + k * air)["breath"] for k in (0, 1, 4)]
    assert values[0] < 0.15 and values[0] < values[1] < values[2]
    assert Analyzer().process(air * 10)["breath"] > 0.95  # pure air
    assert Analyzer().process(np.zeros(SR, np.float32))["breath"] == 0.0  # silence is not breath


def arc_run(st: np.ndarray, onsets: np.ndarray, bright: np.ndarray) -> np.ndarray:
    arc = ArcTracker(hop_seconds=HOP_S)
    out = np.zeros((st.size, 3))
    for i in range(0, st.size, 64):
        arc.process(st[i:i + 64], onsets[i:i + 64], bright[i:i + 64], out[i:i + 64])
    return out


def performance(seconds_quiet=20.0, seconds_build=20.0, seconds_after=20.0):
    """Quiet and sparse, then a 20 s build to loud and dense, then a fall."""
    n = [int(s / HOP_S) for s in (seconds_quiet, seconds_build, seconds_after)]
    st = np.concatenate([np.full(n[0], -30.0), np.linspace(-30, -12, n[1]), np.full(n[2], -28.0)])
    rate = np.concatenate([np.full(n[0], 1.0), np.linspace(1, 8, n[1]), np.full(n[2], 1.0)])
    onsets = (np.random.default_rng(1).random(st.size) < rate * HOP_S).astype(float)
    bright = np.concatenate([np.full(n[0], 0.2), np.linspace(0.2, 0.7, n[1]), np.full(n[2], 0.2)])
    return st, onsets, bright, n


def test_intensity_arc_follows_a_build_and_fires_one_climax_after_its_peak():
    st, onsets, bright, n = performance()
    out = arc_run(st, onsets, bright)
    intensity, climax = out[:, 1], out[:, 2]
    assert intensity[n[0] - 1] < 0.5 < intensity[n[0] + n[1] - 1]
    fired = np.flatnonzero(np.diff((climax > 0.99).astype(int)) > 0) + 1
    assert fired.size == 1
    peak_t = (n[0] + n[1]) * HOP_S
    assert peak_t <= fired[0] * HOP_S < peak_t + 4.0  # causal: a little after the peak
    assert np.all((0 <= intensity) & (intensity <= 1))


def test_no_climax_without_a_build():
    n = int(60 / HOP_S)
    rng = np.random.default_rng(2)
    st = -20 + rng.standard_normal(n)  # steady, busy playing
    out = arc_run(st, (rng.random(n) < 0.02).astype(float), np.full(n, 0.4))
    assert out[:, 2].max() < 0.5


def test_offline_arc_puts_the_climax_on_the_peak():
    st, onsets, bright, n = performance()
    out = arc_offline(st, onsets, bright, hop_seconds=HOP_S)
    peak = np.argmax(out[:, 2])
    assert abs(peak * HOP_S - (n[0] + n[1]) * HOP_S) < 2.5  # at the loudest, densest moment
    assert out[peak, 1] > 0.8 * out[:, 1].max()                # near the top of the arc
    assert np.flatnonzero(np.diff((out[:, 2] > 0.99).astype(int)) > 0).size == 1


def test_dynamics_reads_louder_and_softer_than_the_recent_past():
    n = int(40 / HOP_S)
    st = np.full(n, -25.0)
    st[int(35 / HOP_S):] = -15.0  # 10 LU louder after 35 s
    out = arc_run(st, np.zeros(n), np.zeros(n))
    assert abs(out[int(34 / HOP_S), 0] - 0.5) < 0.05
    assert out[int(36 / HOP_S), 0] > 0.9


def test_silence_is_finite_and_calm():
    n = int(10 / HOP_S)
    out = arc_run(np.full(n, -120.0), np.zeros(n), np.zeros(n))
    assert np.all(np.isfinite(out)) and out.max() == 0.0
