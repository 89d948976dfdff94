"""Fuzz: MIDI messages at the MIDI input.

Batches of generated input go through :meth:`MidiInput.feed`, the function a
port's rtmidi callback runs, with the real example mapping
(``examples/midi/pedalboard.toml``) loaded against the real scenes, a real
:class:`ControlBus` and an injected clock that moves on by random steps
(footswitch holds and double presses fall due in :meth:`MidiInput.poll`,
called in between as the render loop does): mido messages of every type
with values anywhere in their ranges, raw byte lists (valid, cut short,
out of 0..255, stray data bytes, sysex of up to 4 KB), bytes and bytearrays,
things that are not MIDI at all, and floods of thousands of controller
messages (an expression pedal swept, a footswitch chattering).

Property: feed() never raises and takes a bounded time per message; every
command posted is a valid one (a known scene, a parameter value within
0..1, finite values); a valid message is never counted as rejected, and
input mido cannot parse is rejected exactly once; the counters add up
(received, and posted = drained + dropped).
"""

import math
import time
from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, strategies as st
from mido.messages.specs import SPEC_BY_TYPE

from fuzzing import Case, budget
from visualizer.control.bus import ACTIONS, Command, ControlBus
from visualizer.control.midi import MidiInput, MidiMap

pytestmark = pytest.mark.fuzz

PEDALBOARD = Path(__file__).resolve().parent.parent / "examples" / "midi" / "pedalboard.toml"
MEAN_LIMIT_S = 0.002    # per message on a busy CI machine; a message takes about 10 µs
MAX_LIMIT_S = 0.25      # any one message (a GC pause included)
_RANGES = {"channel": (0, 15), "pitch": (-8192, 8191), "pos": (0, 16383), "frame_type": (0, 7),
           "frame_value": (0, 15)}
_PEDAL_CCS = [11, 21, 22, 23, 24, 64, 67, 80]   # and the pedalboard's own, to hit the map


@pytest.fixture(scope="module")
def mapping_args():
    from visualizer.scenes.scene import discover
    scenes = discover()
    return [s.key for s in scenes], {s.key: list(s.params) for s in scenes}


def _message(rng) -> mido.Message:
    kind = str(rng.choice(list(SPEC_BY_TYPE) + ["control_change"] * 6 + ["note_on"] * 3))
    values = {}
    for name in SPEC_BY_TYPE[kind]["value_names"]:
        if name == "data":
            values[name] = rng.integers(0, 128, int(rng.choice([0, 1, 5, 4096]))).tolist()
        elif name == "control" and rng.random() < 0.7:
            values[name] = int(rng.choice(_PEDAL_CCS))
        else:
            lo, hi = _RANGES.get(name, (0, 127))
            values[name] = int(rng.choice([lo, hi, rng.integers(lo, hi + 1)]))
    return mido.Message(kind, **values)


def _raw(rng) -> list:
    roll = rng.random()
    if roll < 0.3:
        return _message(rng).bytes()                          # valid, as a list
    if roll < 0.5:
        data = _message(rng).bytes()
        return data[:int(rng.integers(0, len(data)))]        # cut short
    if roll < 0.7:
        return rng.integers(0, 256, int(rng.integers(0, 6))).tolist()   # stray bytes
    if roll < 0.85:                                          # values MIDI has not
        data = _message(rng).bytes()
        data[int(rng.integers(0, len(data)))] = int(rng.choice([-1, 128, 255, 256, 300, 2**31]))
        return data
    return [0xF0, *rng.integers(0, 256, int(rng.integers(0, 64))).tolist(), 0xF7]  # sysex, maybe bad


def _junk(rng):
    return [None, "note_on 60", 3.5, {"type": "note_on"}, object(),
            mido.MetaMessage("set_tempo", tempo=500000), mido.MetaMessage("end_of_track")][
        int(rng.integers(0, 7))]


def _item(rng):
    roll = rng.random()
    if roll < 0.55:
        return _message(rng)
    if roll < 0.9:
        raw = _raw(rng)
        if rng.random() < 0.3:   # as bytes, when it can be
            return bytes(raw) if all(0 <= b < 256 for b in raw) else raw
        return raw
    return _junk(rng)


def _flood(rng) -> list:
    """Thousands of controller messages: a pedal swept, a footswitch chattering."""
    cc = int(rng.choice([11, 21, 64, 67, 80]))
    n = int(rng.integers(1000, 4000))
    if cc in (64, 67) and rng.random() < 0.7:
        values = rng.choice([0, 127], n)                  # up and down, fast and slow
    else:
        values = np.abs((np.arange(n) % 254) - 127)       # heel to toe and back
    return [mido.Message("control_change", control=cc, value=int(v)) for v in values]


def _parses(item) -> bool:
    """Whether feed() should take ``item`` as a MIDI message (mido's own judgement)."""
    if isinstance(item, mido.Message):
        return True
    if not isinstance(item, (bytes, bytearray, list, tuple)):
        return False
    try:
        mido.Message.from_bytes(item)
    except Exception:  # noqa: BLE001 -- whatever mido refuses, feed must reject
        return False
    return True


def _valid(command: Command, scenes: list[str], params: dict[str, list[str]]) -> bool:
    if not (isinstance(command, Command) and command.action in ACTIONS
            and command.source == "midi" and math.isfinite(command.value)):
        return False
    if command.action == "scene":
        return command.target in scenes
    if command.action == "scene_index":
        return command.value in range(len(scenes))
    if command.action == "param":
        names = params.get(command.scene, []) if command.scene else sum(params.values(), [])
        return command.target in names and command.normalized and 0 <= command.value <= 1
    if command.action == "intensity":
        return 0 <= command.value <= 1
    return True


def _feed_batch(items: list, rng, scenes, params, steps=(0.0, 0.001, 0.01, 0.1, 0.4, 1.0)) -> None:
    bus = ControlBus()
    now = [0.0]
    midi = MidiInput(bus, MidiMap.load(PEDALBOARD, scenes, params), clock=lambda: now[0])
    expected_rejects = sum(1 for item in items if not _parses(item))
    slowest, started = 0.0, time.perf_counter()
    for item in items:
        now[0] += float(rng.choice(steps))   # seconds since the last message
        t = time.perf_counter()
        midi.feed(item)                       # raises nothing, or the test fails here
        slowest = max(slowest, time.perf_counter() - t)
        if rng.random() < 0.1:
            midi.poll()                       # the render loop's call, between messages
    mean = (time.perf_counter() - started) / max(len(items), 1)
    now[0] += 10.0
    midi.poll()                               # every footswitch decision falls due
    commands = bus.drain()
    assert midi.received == len(items)
    assert bus.rejected == expected_rejects, bus.last_error
    assert bus.posted == len(commands) + bus.dropped
    bad = [c for c in commands if not _valid(c, scenes, params)]
    assert not bad, bad[:5]
    assert mean < MEAN_LIMIT_S and slowest < MAX_LIMIT_S, (mean, slowest)


@budget(40)
@given(seed=st.integers(0, 2**63 - 1))
def test_any_input_is_handled_or_counted_never_raised(mapping_args, seed):
    rng = np.random.default_rng(seed)
    with Case("midi"):
        _feed_batch([_item(rng) for _ in range(200)], rng, *mapping_args)


@budget(4)
@given(seed=st.integers(0, 2**63 - 1))
def test_floods_of_thousands_of_messages_stay_bounded(mapping_args, seed):
    rng = np.random.default_rng(seed)
    with Case("midi"):
        _feed_batch(_flood(rng), rng, *mapping_args, steps=(0.0, 0.001, 0.01, 0.05, 0.2))
