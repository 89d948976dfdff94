"""The automatic mode on real audio through the real analyzer, one 60 fps
frame (800 samples at 48 kHz) at a time: the vortex at the demo's climax,
changes only in the rests between phrases, on downbeats when the music never
stops, and never a flurry of changes in silence."""

import csv
import tracemalloc

import numpy as np
import pytest

from conftest import SHARED_DATA
from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import FEATURE_INDEX
from visualizer.audio.demo import demo_track
from visualizer.audio.file_source import FileSource, mono
from visualizer.control.auto import AutoDirector, ENERGY
from visualizer.scenes.scene import discover

SR = 48000
BLOCK = 800          # one frame at 60 fps
KEYS = [s.key for s in discover()]
MIN_S = 12.0
SAX = SHARED_DATA / "sax" / "359500__mtg__sax-tenor-e-major"
_BAR = FEATURE_INDEX["bar_phase"]


def drive(samples: np.ndarray, director: AutoDirector) -> list[tuple[float, object, bool]]:
    """(time, cue, on a downbeat) for every change the director asks for."""
    analyzer = Analyzer(AnalyzerSettings(sample_rate=SR))
    changes, last_bar = [], 0.0
    for i in range(0, samples.shape[0] - BLOCK + 1, BLOCK):
        frame = analyzer.process(samples[i:i + BLOCK])
        bar = float(frame.values[_BAR])
        cue = director.update(frame.values, frame.time)
        if cue is not None:
            changes.append((frame.time, cue, bar < last_bar - 0.5))
        last_bar = bar
    return changes


def director(**kw) -> AutoDirector:
    return AutoDirector(KEYS, **{"min_seconds": MIN_S, "start": "steppe", **kw})


def sax_note(freq: float, seconds: float, amp: float = 0.3) -> np.ndarray:
    """A reedy tone: 8 harmonics falling 2 dB each, 5.5 Hz vibrato, soft ends."""
    t = np.arange(int(SR * seconds)) / SR
    phase = 2 * np.pi * freq * np.cumsum(1 + 0.004 * np.sin(2 * np.pi * 5.5 * t)) / SR
    tone = sum(0.8 ** k * np.sin((k + 1) * phase) for k in range(8)) / 3
    envelope = np.minimum(1.0, np.minimum(t / 0.03, (seconds - t) / 0.05))
    return (amp * tone * envelope).astype(np.float32)


MELODY = (220, 247, 262, 294, 330, 294, 262, 247, 220, 196, 220, 262)


def phrase(seconds: float = 6.0) -> np.ndarray:
    """Twelve legato notes (at 6 s, 120 notes a minute): one phrase."""
    return np.concatenate([sax_note(f, seconds / len(MELODY)) for f in MELODY])


def room(seconds: float, db: float = -80.0, seed: int = 0) -> np.ndarray:
    """A quiet room: white noise at ``db`` dBFS RMS."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(SR * seconds)) * 10 ** (db / 20)).astype(np.float32)


@pytest.fixture(scope="module")
def demo_then_silence() -> tuple[list[np.ndarray], list[float]]:
    """The analyzer's frames for the demo track and 14 s of a quiet room after it."""
    track = np.concatenate([demo_track().mean(axis=1), room(14.0)])
    analyzer = Analyzer(AnalyzerSettings(sample_rate=SR))
    rows, times = [], []
    for i in range(0, track.shape[0] - BLOCK + 1, BLOCK):
        frame = analyzer.process(track[i:i + BLOCK])
        rows.append(frame.values.copy())
        times.append(frame.time)
    return rows, times


def replay(frames, d: AutoDirector) -> list[tuple[float, object]]:
    return [(t, cue) for row, t in zip(*frames) if (cue := d.update(row, t)) is not None]


def test_the_demo_climax_brings_the_vortex(demo_then_silence):
    changes = replay(demo_then_silence, director())
    # Nothing else in the song (the first 12 s are too soon anyway, and the
    # lead only breathes between phrases), and the vortex inside the climax (14-17 s).
    in_song = [(t, c) for t, c in changes if t <= 20.0]
    assert len(in_song) == 1, changes
    t, cue = in_song[0]
    assert cue.scene == "vortex" and cue.transition == "vortex_zoom" and cue.beats > 0
    assert 14.0 <= t <= 17.0, t


def test_after_the_climax_it_calms_down_in_the_silence(demo_then_silence):
    d = director()
    changes = replay(demo_then_silence, d)
    assert len(changes) == 2, changes
    (t0, vortex), (t1, cue) = changes
    assert vortex.scene == "vortex"
    assert 20.0 < t1 and t1 - t0 >= MIN_S     # in the silence after the song, not sooner
    assert ENERGY[cue.scene] <= 0.35 and d.last_reason == "phrase end"


def test_phrases_change_only_in_the_rests():
    # 6 s phrases, 1 s rests in a quiet room, six times.
    rest = 1.0
    track = np.concatenate([np.concatenate([phrase(), room(rest, seed=i)]) for i in range(4)])
    changes = drive(track, director())
    assert len(changes) >= 2, changes
    for t, cue, _ in changes:
        k = int(t // 7.0)
        assert 7.0 * k + 6.0 <= t <= 7.0 * k + 6.0 + rest, f"{cue.scene} at {t:.2f} s, mid-phrase"
        assert cue.scene != "vortex"   # an even level is no build
    times = [t for t, _, _ in changes]
    assert np.all(np.diff(times) >= MIN_S), times
    scenes = ["steppe"] + [c.scene for _, c, _ in changes]
    assert all(a != b for a, b in zip(scenes, scenes[1:])), scenes


def test_music_that_never_stops_changes_on_downbeats():
    track = np.concatenate([phrase() for _ in range(6)])   # 36 s without a rest
    d = director(bars=8)
    changes = drive(track, d)
    assert len(changes) >= 2, changes
    for t, cue, downbeat in changes:
        assert downbeat, f"{cue.scene} at {t:.2f} s is not on a downbeat"
    times = [t for t, _, _ in changes]
    # 8 bars at the tempo the analyzer hears (120 BPM: 16 s) between changes.
    assert times[0] >= MIN_S and np.all(np.diff(times) >= 8 * 4 * 0.5 - 0.1), times
    assert d.last_reason == "8 bars"
    assert len({c.scene for _, c, _ in changes}) == len(changes)   # no repeats


def test_silence_never_changes_scenes():
    track = np.concatenate([np.zeros(SR * 8, np.float32), room(8.0, -70.0), room(8.0, -90.0)])
    assert drive(track, director(min_seconds=2.0)) == []


def test_a_phrase_then_silence_changes_once_in_the_silence():
    track = np.concatenate([phrase(), room(14.0)])
    changes = drive(track, director(min_seconds=2.0))
    assert len(changes) == 1 and 6.0 <= changes[0][0] <= 7.0, changes


def test_a_real_saxophone_changes_between_its_phrases():
    """MTG's tenor sax playing a scale (annotated notes), five times over:
    every change falls between the last note's end and the next one's start."""
    with FileSource(SAX.with_suffix(".wav")) as source:
        take = source.read_all()
    take = mono(take) if take.ndim == 2 else take
    length = take.shape[0] / SR
    with open(SAX.with_suffix(".notes.csv")) as f:
        notes = [(float(r["onset_s"]), float(r["offset_s"])) for r in csv.DictReader(f)]
    first_onset, last_offset = notes[0][0], notes[-1][1]
    changes = drive(np.tile(take, 5), director())
    assert len(changes) >= 2, changes
    for t, cue, _ in changes:
        k = int(t // length)
        gap = (k * length + last_offset, (k + 1) * length + first_onset)
        assert gap[0] <= t <= gap[1], f"{cue.scene} at {t:.2f} s, outside the rest {gap}"
    assert np.all(np.diff([t for t, _, _ in changes]) >= MIN_S)


def test_choice_fits_the_energy_and_is_deterministic():
    d = AutoDirector(KEYS, start="crowd")
    assert ENERGY[d.choose(0.3)] <= 0.2            # calm music, a calm scene
    assert 0.65 <= ENERGY[d.choose(0.7)] < 1.0     # energetic, but not the vortex ...
    assert d.choose(0.7) != "crowd"                # ... nor the scene shown now
    picks = [AutoDirector(KEYS, start="crowd").choose(x) for x in (0.3, 0.5, 0.7)]
    assert picks == [AutoDirector(KEYS, start="crowd").choose(x) for x in (0.3, 0.5, 0.7)]


def test_a_manual_switch_restarts_the_wait():
    """A phrase from 0 to 3 s, then a rest: with min_seconds = 5 the change
    comes at 5 s, still in the rest; a person's switch at 2 s moves it to 7 s."""
    values = np.zeros(len(FEATURE_INDEX), np.float32)
    values[FEATURE_INDEX["level_db"]] = -20.0
    frames = [i / 60 for i in range(10 * 60)]

    def first_change(switch_at: float) -> tuple[float, str]:
        d = AutoDirector(["steppe", "night", "club"], start="steppe", min_seconds=5.0)
        for t in frames:
            values[FEATURE_INDEX["voiced"]] = 1.0 if t < 3.0 else 0.0
            cue = d.update(values, t, current="club" if t >= switch_at else None)
            if cue is not None:
                return t, cue.scene
        return -1.0, ""

    t, scene = first_change(switch_at=99.0)
    assert 5.0 <= t < 5.1 and scene != "steppe"
    t, scene = first_change(switch_at=2.0)
    assert 7.0 <= t < 7.1 and scene not in ("club", "steppe")


def test_update_allocates_nothing_it_keeps(demo_then_silence):
    rows, times = demo_then_silence
    n = len(rows)
    d = AutoDirector(KEYS, start="steppe", min_seconds=1e9, climax_scene="")  # never changes
    for i in range(n):   # fill its 30 s of history
        d.update(rows[i], times[i])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        worst = 0
        for i in range(n):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            d.update(rows[i], times[i] + times[-1])
            worst = max(worst, tracemalloc.get_traced_memory()[1] - base)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Only a few transient scalars per frame: no history is copied, no array made.
    assert worst < 512, worst
    assert kept < 512, kept
