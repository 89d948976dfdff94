"""Tests for the synthesised demo track (visualizer.audio.demo)."""
from __future__ import annotations

import wave

import numpy as np
import pytest

from visualizer.audio.demo import (
    DEMO_SAMPLE_RATE,
    DEMO_TEMPO_BPM,
    demo_beat_times,
    demo_lead_notes,
    demo_track,
    write_wav,
)

SR = DEMO_SAMPLE_RATE


@pytest.fixture(scope="module")
def track() -> np.ndarray:
    return demo_track()


@pytest.fixture(scope="module")
def mono(track) -> np.ndarray:
    return track.astype(np.float64).mean(axis=1)


def _rms_db(x: np.ndarray) -> float:
    return 20.0 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


def test_deterministic(track):
    assert np.array_equal(track, demo_track())


def test_shape_dtype_level(track):
    assert track.dtype == np.float32
    assert track.ndim == 2 and track.shape[1] == 2
    assert abs(track.shape[0] / SR - 20.0) < 0.5
    assert np.all(np.isfinite(track))
    peak = np.max(np.abs(track))
    assert 0.5 < peak <= 1.0
    assert not np.array_equal(track[:, 0], track[:, 1])  # genuinely stereo


def test_other_sample_rate():
    x = demo_track(22050)
    assert x.shape == (22050 * 20, 2) and np.all(np.isfinite(x))


def test_beats_are_120_bpm():
    beats = demo_beat_times()
    assert DEMO_TEMPO_BPM == 120.0
    assert len(beats) >= 16
    np.testing.assert_allclose(np.diff(beats), 0.5)


def test_lead_notes_are_a_monophonic_melody():
    notes = demo_lead_notes()
    assert len(notes) >= 20
    for (on, off, midi), (next_on, _, _) in zip(notes, notes[1:] + [(20.0, 0, 0)]):
        assert 0.0 <= on < off <= next_on + 1e-9
        assert 52 <= midi <= 76  # E3..E5
    gaps = [b[0] - a[1] for a, b in zip(notes, notes[1:])]
    assert sum(g >= 0.2 for g in gaps) >= 3  # breaths between phrases


def _hps_f0(x: np.ndarray, lo: float, hi: float) -> float:
    """Harmonic-product-spectrum pitch of x, searched in [lo, hi] Hz."""
    n = 1 << 17  # zero-pad for ~0.37 Hz bins
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    freqs = np.fft.rfftfreq(n, 1.0 / SR)
    cand = (freqs >= lo) & (freqs <= hi)
    hps = np.ones(cand.sum())
    for k in (1, 2, 3):
        hps *= np.interp(freqs[cand] * k, freqs, spec)
    return float(freqs[cand][np.argmax(hps)])


def test_lead_pitch_matches_notes(mono):
    held = [(on, off, m) for on, off, m in demo_lead_notes() if off - on >= 0.45]
    assert len(held) >= 6
    for on, off, midi in held:
        seg = mono[int((on + 0.1) * SR):int((off - 0.06) * SR)]
        expected = 440.0 * 2 ** ((midi - 69) / 12)
        # 150 Hz floor keeps the bass out; lead spans E3 (165 Hz) to E5 (659 Hz).
        f0 = _hps_f0(seg, 150.0, 700.0)
        assert abs(f0 / expected - 1) < 0.03, (on, midi, f0, expected)


def test_kick_energy_peaks_on_beats(mono):
    spec = np.fft.rfft(mono)
    spec[np.fft.rfftfreq(len(mono), 1.0 / SR) > 150.0] = 0.0
    low = np.fft.irfft(spec, len(mono))
    # 20 ms energy window: shorter ones ripple with the 50 Hz kick's own cycle.
    energy = np.convolve(low ** 2, np.full(SR // 50, 50.0 / SR), mode="same")
    env = np.sqrt(energy[:: SR // 200])  # 5 ms frames
    for t in demo_beat_times():
        c = int(round(t * 200))
        window = env[c - 40:c + 40]  # +-200 ms, i.e. less than half a beat
        lag = (c - 40 + np.argmax(window)) / 200.0 - t
        # The kick's pitch drops below 150 Hz over its first ~30 ms, so the
        # low-band peak trails the onset slightly; it must never precede it.
        assert -0.01 <= lag <= 0.07, (t, lag)
        after, before = env[c:c + 20].mean(), env[c - 40:c - 10].mean()
        assert after > 1.5 * before, t  # a real hit, not just a sustained bass note


def test_climax_louder_than_intro(mono):
    intro = _rms_db(mono[: 4 * SR])
    climax = _rms_db(mono[14 * SR:17 * SR])
    ending = _rms_db(mono[18 * SR:20 * SR])
    assert climax - intro >= 6.0
    assert climax - ending >= 6.0
    assert np.max(np.abs(mono[-SR // 20:])) < 0.01  # faded out by 20 s


def test_write_wav_roundtrip(tmp_path):
    x = demo_track()[: SR // 2]
    path = tmp_path / "demo.wav"
    write_wav(path, x, SR)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, SR)
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    np.testing.assert_allclose(frames / 32767.0, x, atol=1.0 / 32767)
