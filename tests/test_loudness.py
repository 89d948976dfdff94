"""BS.1770-4 / EBU R128 loudness: the EBU Tech 3341 conformance signals,
the BS.1770 definition checks, and the streaming meter against a brute-force
reference, its memory over an hour, and its speed."""

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import freqz, sosfilt

from visualizer.analysis.loudness import (
    SILENT_LUFS, LoudnessMeter, integrated_loudness, k_weighting)

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "loudness"
SR = 48000
HOP = 256

EBU = {
    "1kHz_sine_-20LUFS-16bit.flac": -20.0,
    "1kHz_sine_-26LUFS-16bit.flac": -26.0,
    "seq-3341-1-16bit.flac": -23.0,
    "seq-3341-2-16bit.flac": -33.0,
}

_cache: dict[str, np.ndarray] = {}


def ebu(name: str) -> np.ndarray:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    if name not in _cache:
        from visualizer.audio.file_source import FileSource
        with FileSource(path, sample_rate=SR) as src:
            _cache[name] = src.read_all()
    return _cache[name]


def stream(meter: LoudnessMeter, x: np.ndarray, sizes=None, seed=0) -> np.ndarray:
    """Feed ``x`` (truncated to whole hops) in blocks of ``sizes`` hops (or
    random 1..100 hops); return the (hops, 2) readings."""
    hops = x.shape[0] // meter.hop
    out = np.full((hops, 2), np.nan)
    rng = np.random.default_rng(seed)
    pos = 0
    i = 0
    while pos < hops:
        h = sizes[i % len(sizes)] if sizes else int(rng.integers(1, 101))
        h = min(h, hops - pos)
        meter.process(x[pos * meter.hop:(pos + h) * meter.hop], out[pos:pos + h])
        pos += h
        i += 1
    return out


def reference(x: np.ndarray, sr: int, hop: int, seconds: float) -> np.ndarray:
    """Brute force: K-weight with the two biquads (sosfilt), then the mean
    square of the last ``seconds`` at the end of every hop, silence before."""
    (b1, a1), (b2, a2) = k_weighting(sr)
    sos = np.array([np.r_[b1, a1], np.r_[b2, a2]])
    x = x.reshape(x.shape[0], -1).astype(np.float64)
    y = sosfilt(sos, x, axis=0)
    e = (y * y).sum(axis=1)
    w = int(round(seconds * sr))
    cs = np.concatenate([np.zeros(w + 1), np.cumsum(e)])
    ends = np.arange(1, x.shape[0] // hop + 1) * hop + w
    ms = (cs[ends] - cs[ends - w]) / w
    with np.errstate(divide="ignore"):
        return np.maximum(-0.691 + 10 * np.log10(ms), SILENT_LUFS)


def assert_same_loudness(actual: np.ndarray, desired: np.ndarray) -> None:
    """Equal mean squares to 1e-6 relative, or to 1e-10 of the loudest window:
    a window 100 dB quieter than what filled the meter moments before is
    within float64 rounding of the running sums and the filter state."""
    a = 10 ** ((np.asarray(actual) + 0.691) / 10)
    d = 10 ** ((np.asarray(desired) + 0.691) / 10)
    np.testing.assert_allclose(a, d, rtol=1e-6, atol=1e-10 * d.max())


def sine(freq: float, seconds: float, amp: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return amp * np.sin(2 * np.pi * freq * t)


# -- K-weighting ----------------------------------------------------------------

def test_coefficients_at_48k_match_bs1770_table():
    (b1, a1), (b2, a2) = k_weighting(48000)
    np.testing.assert_allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], rtol=0, atol=1e-6)
    np.testing.assert_allclose(b2, [1.0, -2.0, 1.0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], rtol=0, atol=1e-6)


def test_coefficients_at_other_rates_keep_the_response():
    f = np.array([40.0, 100.0, 997.0, 2000.0, 5000.0])

    def response_db(sr):
        (b1, a1), (b2, a2) = k_weighting(sr)
        h = freqz(b1, a1, worN=f, fs=sr)[1] * freqz(b2, a2, worN=f, fs=sr)[1]
        return 20 * np.log10(np.abs(h))

    at48 = response_db(48000)
    np.testing.assert_allclose(response_db(44100), at48, atol=0.01)
    assert at48[2] == pytest.approx(0.691, abs=0.001)  # the -0.691 offset cancels it at 1 kHz


# -- EBU Tech 3341 conformance ------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EBU))
def test_ebu_integrated_offline(name):
    assert integrated_loudness(ebu(name), SR) == pytest.approx(EBU[name], abs=0.1)


@pytest.mark.parametrize("name", sorted(EBU))
def test_ebu_integrated_streaming_irregular_blocks(name):
    x = ebu(name)
    meter = LoudnessMeter(channels=2)
    stream(meter, x)  # 1..100 hops per call: crosses max_batch both ways
    n = x.shape[0] // HOP * HOP
    streamed = meter.integrated()
    assert streamed == pytest.approx(integrated_loudness(x[:n], SR), abs=1e-3)
    assert streamed == pytest.approx(EBU[name], abs=0.1)


def test_ebu_sine_momentary_and_short_term():
    x = ebu("1kHz_sine_-20LUFS-16bit.flac")
    out = stream(LoudnessMeter(channels=2), x, sizes=[64])
    one_s, four_s = SR // HOP - 1, 4 * SR // HOP - 1  # hop ending at 1 s (1.0 s - 0.3 ms)
    assert out[one_s, 0] == pytest.approx(-20.0, abs=0.1)
    assert out[four_s, 1] == pytest.approx(-20.0, abs=0.1)
    # And steady once the windows are full, to the end of the file.
    full_m, full_s = int(0.4 * SR) // HOP, int(3 * SR) // HOP + 1
    assert np.all(np.abs(out[full_m:, 0] + 20.0) < 0.1)
    assert np.all(np.abs(out[full_s:, 1] + 20.0) < 0.1)


# -- BS.1770 definition -------------------------------------------------------------

def test_997hz_full_scale_in_one_channel_reads_minus_3_01():
    s = sine(997.0, 5.0)
    stereo = np.stack([s, np.zeros_like(s)], axis=1)
    assert integrated_loudness(stereo, SR) == pytest.approx(-3.01, abs=0.01)
    assert integrated_loudness(stereo[:, ::-1], SR) == pytest.approx(-3.01, abs=0.01)
    # Mono is one channel (weight 1), not a downmix of two.
    assert integrated_loudness(s, SR) == pytest.approx(-3.01, abs=0.01)
    for meter, x in ((LoudnessMeter(channels=2), stereo), (LoudnessMeter(channels=1), s),
                     (LoudnessMeter(channels=1), s[:, None])):
        out = stream(meter, x, sizes=[64])
        assert np.all(np.abs(out[-10:] + 3.01) < 0.01)
        assert meter.integrated() == pytest.approx(-3.01, abs=0.01)


def test_relative_gate():
    # -20 LUFS then -26 LUFS (above the -30 relative gate: both count), then
    # -45 LUFS (below it: ignored). Each 10 s, stereo 997 Hz.
    amp = lambda lufs: 10 ** ((lufs + 3.0103) / 20)  # noqa: E731 (one channel)
    parts = [sine(997.0, 10.0, amp(l)) for l in (-20.0, -26.0, -45.0)]
    s = np.concatenate(parts)
    x = np.stack([s, s], axis=1) / math.sqrt(2)  # same energy over both channels
    expected = 10 * np.log10((10 ** -2.0 + 10 ** -2.6) / 2)
    meter = LoudnessMeter(channels=2)
    stream(meter, x)
    # Within 0.1 LU: the few blocks straddling the -26 -> -45 step pass the
    # gate at intermediate levels and pull the mean down by about 0.05 LU.
    assert integrated_loudness(x, SR) == pytest.approx(expected, abs=0.1)
    assert meter.integrated() == pytest.approx(integrated_loudness(x, SR), abs=1e-3)
    # Ungated, the quiet third would pull it down by more than 1.5 LU.
    assert expected - 10 * np.log10((10 ** -2.0 + 10 ** -2.6 + 10 ** -4.5) / 3) > 1.5


# -- streaming against brute force ------------------------------------------------

def noise_with_bursts(seconds: float, channels: int, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    x = rng.standard_normal((n, channels)) * 0.05
    gain = np.ones(n)
    gain[n // 5:n // 3] = 8.0  # loud burst
    gain[n // 2:n // 2 + sr] = 0.0  # a second of silence
    gain[2 * n // 3:] = 0.01  # a quiet tail
    return (x * gain[:, None]).astype(np.float32)


@pytest.mark.parametrize("sr,hop,channels", [(48000, 256, 2), (48000, 256, 1), (44100, 300, 1)])
def test_windows_match_brute_force(sr, hop, channels):
    # 3 s at 48 kHz is 562.5 hops of 256 and 400 ms at 44.1 kHz is 58.8 hops
    # of 300: the part-hop tails must be exact too.
    x = noise_with_bursts(12.0, channels, sr, seed=hop)
    if channels == 1:
        x = x[:, 0]
    meter = LoudnessMeter(sample_rate=sr, hop=hop, channels=channels, max_batch=32)
    out = stream(meter, x)
    ref_m, ref_s = reference(x, sr, hop, 0.4), reference(x, sr, hop, 3.0)
    assert_same_loudness(out[:, 0], ref_m)
    assert_same_loudness(out[:, 1], ref_s)
    # Within 60 dB of the loudest window: equal to 1e-5 LU outright (the rest
    # is the fourth-order filter's rounding against the reference's biquads).
    for col, ref in ((0, ref_m), (1, ref_s)):
        bulk = ref > ref.max() - 60
        np.testing.assert_allclose(out[bulk, col], ref[bulk], atol=1e-5)
    n = out.shape[0] * hop
    assert meter.integrated() == pytest.approx(integrated_loudness(x[:n], sr), abs=1e-3)


def test_any_block_size_gives_the_same_result():
    x = noise_with_bursts(8.0, 2, SR, seed=3)
    results = []
    for sizes in ([1], [64], [7, 1, 64, 200, 3], None):
        meter = LoudnessMeter(channels=2)
        results.append((stream(meter, x, sizes=sizes), meter.integrated()))
    for out, integ in results[1:]:
        assert_same_loudness(out, results[0][0])
        assert integ == pytest.approx(results[0][1], abs=1e-9)


def test_reset_starts_over():
    x = noise_with_bursts(5.0, 1, SR, seed=4)[:, 0]
    meter = LoudnessMeter()
    first = stream(meter, x)
    integ = meter.integrated()
    stream(meter, sine(440.0, 3.0))
    meter.reset()
    np.testing.assert_array_equal(stream(meter, x), first)
    assert meter.integrated() == integ


# -- silence, bad input, bounds -------------------------------------------------------

def test_silence_reads_minus_120():
    meter = LoudnessMeter(channels=2)
    assert meter.integrated() == SILENT_LUFS  # nothing seen yet
    out = stream(meter, np.zeros((SR * 5, 2), np.float32))
    assert np.all(out == SILENT_LUFS)
    assert meter.integrated() == SILENT_LUFS
    assert integrated_loudness(np.zeros(SR * 5), SR) == SILENT_LUFS
    assert integrated_loudness(np.zeros(100), SR) == SILENT_LUFS  # shorter than a block
    # Far below the -70 LUFS gate, but not silent: floored, never -inf.
    tiny = sine(997.0, 2.0, 1e-9)
    m = LoudnessMeter()
    assert np.all(stream(m, tiny) == SILENT_LUFS)
    assert m.integrated() == SILENT_LUFS


def test_nan_and_inf_never_poison_the_state():
    meter = LoudnessMeter(channels=2)
    x = np.stack([sine(997.0, 6.0, 0.5)] * 2, axis=1)
    x[SR:SR + 100, 0] = np.nan
    x[2 * SR, 1] = np.inf
    out = stream(meter, x, sizes=[64])
    assert np.all(np.isfinite(out))
    assert np.all(out >= SILENT_LUFS)
    clean = stream(LoudnessMeter(channels=2), np.nan_to_num(x, nan=0.0, posinf=1.0), sizes=[64])
    np.testing.assert_allclose(out[-10:], clean[-10:], atol=1e-6)  # recovers
    assert math.isfinite(meter.integrated())


def test_bad_shapes_are_refused():
    meter = LoudnessMeter(channels=2)
    out = np.empty((64, 2))
    with pytest.raises(ValueError):
        meter.process(np.zeros((HOP + 1, 2)), out)  # not whole hops
    with pytest.raises(ValueError):
        meter.process(np.zeros(HOP), out)  # mono into a stereo meter
    with pytest.raises(ValueError):
        meter.process(np.zeros((2 * HOP, 2)), np.empty((1, 2)))  # out too small
    with pytest.raises(ValueError):
        LoudnessMeter(channels=7)  # no default weights


def test_an_hour_keeps_memory_bounded_and_values_stable():
    batch = 64 * HOP
    # 341 cycles per batch: the block repeats seamlessly (999.02 Hz).
    block = (0.3 * np.sin(2 * np.pi * 341 * np.arange(batch) / batch)).astype(np.float32)
    meter = LoudnessMeter()
    out = np.empty((64, 2))
    n_batches = int(3600 * SR / batch)
    for _ in range(int(10 * SR / batch)):  # 10 s to settle
        meter.process(block, out)
    settled, settled_integ = out[-1].copy(), meter.integrated()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(n_batches):
        meter.process(block, out)
        if i % 1000 == 0:
            meter.integrated()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert meter.samples_seen > 3600 * SR
    assert grown < 64 * 1024  # nothing accumulates per block
    np.testing.assert_allclose(out[-1], settled, atol=1e-9)
    # (The first 10 s include the filters' start-up, diluted over the hour.)
    assert meter.integrated() == pytest.approx(settled_integ, abs=1e-3)
    # After an hour of loud input, silence then a quiet tone read what a
    # meter that saw only 10 s of it reads: no drift in the running sums.
    recent = LoudnessMeter()
    for _ in range(int(10 * SR / batch)):
        recent.process(block, out)
    quiet = np.concatenate([np.zeros(4 * SR), sine(997.0, 4.0, 1e-3)]).astype(np.float32)
    after, expected = stream(meter, quiet, sizes=[64]), stream(recent, quiet, sizes=[64])
    assert_same_loudness(after, expected)
    # Once the filters' ring-out (the 38 Hz high-pass) has left the window.
    assert np.all(after[int(3.5 * SR) // HOP:4 * SR // HOP] == SILENT_LUFS)
    np.testing.assert_allclose(after[-100:], expected[-100:], atol=1e-6)
    assert after[-1, 1] == pytest.approx(-63.01, abs=0.01)
