"""The noise gate: bleed out, the sax through untouched, no clicks either way.

Levels of tones are peak levels (a sine of amplitude 10**(dB/20)); the gate
measures RMS, 3 dB lower for a sine.
"""

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from visualizer.audio.gate import NoiseGate

SR = 48000


def tone(freq: float, seconds: float, db: float, *, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(round(SR * seconds))) / SR
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30)


def gate(signal: np.ndarray, block: int = 256, **kw) -> tuple[np.ndarray, NoiseGate]:
    g = NoiseGate(**kw)
    out = signal.copy()
    for i in range(0, out.size, block):
        assert g.process(out[i:i + block]) is not None
    return out, g


def test_a_quiet_tone_is_silenced():
    out, g = gate(tone(440, 1.0, -60))
    assert rms_db(out) < -90 and not g.open
    # Also once the gate was open: silence after hold and release.
    out, g = gate(np.concatenate([tone(440, 0.5, -20), tone(440, 1.0, -60)]))
    assert rms_db(out[int(0.5 * SR) + int(0.3 * SR):]) < -90 and not g.open


def test_a_loud_tone_passes_unchanged_once_open():
    x = tone(440, 1.0, -20)
    out, g = gate(x)
    assert g.open and g.gain == 1.0
    steady = slice(int(0.01 * SR), None)  # after the level window and the attack
    np.testing.assert_array_equal(out[steady], x[steady])


def test_hysteresis_holds_the_state_between_the_thresholds():
    # -52 dB peak reads -55 dB RMS: under the -50 dB threshold, over -56 dB.
    between = tone(440, 1.0, -52)
    out, g = gate(between)
    assert not g.open and rms_db(out) < -90  # does not open from closed...
    x = np.concatenate([tone(440, 0.5, -20), between])
    out, g = gate(x)
    assert g.open  # ...and does not close from open
    np.testing.assert_array_equal(out[-SR // 2:], x[-SR // 2:])


def test_bleed_between_phrases_is_gated_without_clicks():
    # Tone, a gap with backing-track bleed, tone again. The phrases end on a
    # zero crossing (whole cycles), so the only jump in the input is the
    # second phrase starting at its peak: the gate, closed then, must fade it in.
    phrase = tone(440, 0.5, -20)
    second = tone(440, 0.5, -20, phase=np.pi / 2)
    bleed = tone(220, 0.6, -55)
    x = np.concatenate([phrase, bleed, second])
    out, g = gate(x)
    gap = slice(phrase.size + int(0.3 * SR), phrase.size + bleed.size)  # after hold + release
    assert rms_db(out[gap]) < -90
    smooth = np.abs(np.diff(phrase)).max()  # the tone's own largest step
    assert np.abs(np.diff(x)).max() > 10 * smooth  # the input does jump
    assert np.abs(np.diff(out)).max() < 1.5 * smooth  # the output does not
    # The release into the gap is a fade too, not a cut: never a step bigger
    # than the bleed's own.
    release = slice(phrase.size, phrase.size + int(0.3 * SR))
    assert np.abs(np.diff(out[release])).max() <= 1.01 * np.abs(np.diff(bleed)).max()
    assert g.open


@settings(max_examples=25, deadline=None)
@given(levels=st.lists(st.sampled_from([-70.0, -55.0, -52.0, -30.0, -10.0]), min_size=1,
                       max_size=6),
       block=st.integers(1, 1500))
def test_the_output_does_not_depend_on_the_block_size(levels, block):
    x = np.concatenate([tone(330, 0.12, db, phase=i) for i, db in enumerate(levels)])
    whole, _ = gate(x, block=x.size)
    np.testing.assert_array_equal(gate(x, block=64)[0], whole)
    np.testing.assert_array_equal(gate(x, block=1000)[0], whole)
    np.testing.assert_array_equal(gate(x, block=block)[0], whole)


def test_processing_allocates_nothing_after_the_first_call():
    g = NoiseGate()
    blocks = [tone(440, 4096 / SR, db) for db in (-20, -60, -20, -52, -70, -10)] * 4
    g.process(blocks[0].copy())
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for b in blocks:
            g.process(b)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A single temporary array of a block would be 16 kB (float32) or 32 kB.
    assert peak - base < 8192
