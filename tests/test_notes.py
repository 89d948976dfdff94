"""Notes and events out: transcription scored with mir_eval on the real tenor
scale and on synthetic legato phrases, the CSV, MIDI and events files read
back, the MIDI tempo map, --transpose, and the command line."""

import csv
import functools

import mido
import mir_eval
import numpy as np
import pytest

from conftest import SHARED_DATA
from sax_signals import harmonic_tone, legato_material, midi_hz
from visualizer.analysis.features import SCALAR_FEATURES
from visualizer.analysis.notes import (
    TRANSPOSE, Note, parse_transpose, transcribe, write_events_csv, write_notes_csv,
    write_notes_midi)
from visualizer.analysis.tuning import note_name
from visualizer.analysis.track import FeatureTrack, analyze
from visualizer.cli import main
from visualizer.errors import VisualizerError

SR = 48000
SAX = SHARED_DATA / "sax" / "359500__mtg__sax-tenor-e-major"


def note_f(ref, est) -> float:
    """mir_eval transcription F: onsets within 50 ms, pitch within 50 cents,
    offsets ignored. ``ref`` (onset, offset, midi) tuples, ``est`` Notes."""
    ref_iv = np.array([[on, off] for on, off, _ in ref])
    ref_hz = np.array([midi_hz(m) for *_, m in ref])
    est_iv = np.array([[n.onset, max(n.offset, n.onset + 0.01)] for n in est]).reshape(-1, 2)
    est_hz = np.array([midi_hz(n.midi) for n in est])
    return mir_eval.transcription.precision_recall_f1_overlap(
        ref_iv, ref_hz, est_iv, est_hz, onset_tolerance=0.05, pitch_tolerance=50.0,
        offset_ratio=None)[2]


@functools.cache
def scale():
    from visualizer.audio.file_source import FileSource, mono
    x = mono(FileSource(SAX.with_suffix(".wav"), sample_rate=SR).read_all()).astype(np.float64)
    with open(SAX.with_suffix(".notes.csv")) as f:
        ref = [(float(r["onset_s"]), float(r["offset_s"]), int(float(r["midi"])))
               for r in csv.DictReader(f)]
    track = analyze(x, sample_rate=SR)
    return track, ref, transcribe(track)


# ------------------------------------------------------------ transcription
def test_the_scale_is_transcribed():
    """The real tenor scale (15 annotated notes, the player ~15 cents sharp):
    note F >= 0.9, every note in concert pitch, velocities 1..127."""
    _, ref, notes = scale()
    f = note_f(ref, notes)
    print(f"E-major scale: note F {f:.3f}, {len(notes)} notes")
    assert f >= 0.9
    assert [n.midi for n in notes] == [m for *_, m in ref]
    assert all(1 <= n.velocity <= 127 and -50 <= n.cents <= 50 for n in notes)
    assert all(a.offset <= b.onset + 1e-9 for a, b in zip(notes, notes[1:]))


def test_legato_phrases_are_transcribed():
    """Synthetic legato tenor phrases (slurs, tongued notes, scoops, vibrato,
    runs across the break, weak low fundamentals): note F >= 0.9 on each
    (the issue's goal on real legato jazz is 0.7)."""
    for name, x, truth in legato_material():
        notes = transcribe(analyze(x, sample_rate=SR))
        f = note_f([(n.onset, n.offset, n.midi) for n in truth], notes)
        print(f"{name}: note F {f:.3f} ({len(notes)} notes, {len(truth)} true)")
        assert f >= 0.9, name


def test_velocity_follows_loudness():
    """Two notes 20 dB apart: 40 dB span over 126 steps, ~63 apart; the louder 127."""
    loud = harmonic_tone(220.0, 0.5, (1.0, 0.5, 0.3), amp=0.5)
    soft = harmonic_tone(330.0, 0.5, (1.0, 0.5, 0.3), amp=0.05)
    gap = np.zeros(SR // 5)
    notes = transcribe(analyze(np.concatenate([gap, loud, gap, soft, gap]), sample_rate=SR))
    assert [n.midi for n in notes] == [57, 64]
    assert notes[0].velocity == 127 and abs(notes[0].velocity - notes[1].velocity - 63) <= 4


def test_silence_has_no_notes():
    track = analyze(np.zeros(SR), sample_rate=SR)
    assert transcribe(track) == []
    empty = FeatureTrack(256 / SR, np.zeros((0, len(SCALAR_FEATURES)), np.float32))
    assert transcribe(empty) == []


# -------------------------------------------------------------------- files
NOTES = [Note(0.50, 0.90, 58, 12.0, 100), Note(1.00, 1.20, 61, -3.5, 64),
         Note(1.25, 1.70, 61, 0.0, 90), Note(2.125, 3.0, 46, 4.0, 20)]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("transpose", [0, TRANSPOSE["tenor"], -2])
def test_notes_csv(tmp_path, transpose):
    path = tmp_path / "solo.csv"
    write_notes_csv(NOTES, path, transpose=transpose)
    rows = read_csv(path)
    assert list(rows[0]) == ["onset_s", "offset_s", "midi", "name", "cents", "velocity"]
    assert [int(r["midi"]) for r in rows] == [n.midi + transpose for n in NOTES]
    assert [r["name"] for r in rows] == [note_name(n.midi + transpose) for n in NOTES]
    assert [float(r["onset_s"]) for r in rows] == [n.onset for n in NOTES]
    assert [float(r["cents"]) for r in rows] == [n.cents for n in NOTES]
    assert [int(r["velocity"]) for r in rows] == [n.velocity for n in NOTES]


def midi_notes(path):
    """(onset s, offset s, note, velocity, onset tick) per note of a MIDI
    file, seconds through its own tempo map (mido plays it)."""
    mid = mido.MidiFile(path)
    out, now, open_ = [], 0.0, {}
    for msg in mid:                                  # time: seconds since the last message
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            open_[msg.note] = (now, msg.velocity)
        elif msg.type in ("note_off", "note_on"):
            on, vel = open_.pop(msg.note)
            out.append((on, now, msg.note, vel))
    ticks, tick = [], 0
    for msg in mid.tracks[1]:
        tick += msg.time
        if msg.type == "note_on":
            ticks.append(tick)
    return sorted(out), ticks, mid


def test_midi_file_plays_the_notes_at_their_times(tmp_path):
    """Read back with mido, through the file's tempo map: every note at its
    time (within 2 ms), pitch transposed, velocity kept."""
    beats = 0.4 + np.cumsum(np.linspace(0.52, 0.44, 9))   # speeding up, 115 -> 136 BPM
    path = tmp_path / "solo.mid"
    write_notes_midi(NOTES, path, beats=beats, tempo=120.0, transpose=14)
    notes, _, mid = midi_notes(path)
    assert mid.type == 1 and len(mid.tracks) == 2
    assert [n[2] for n in notes] == [n.midi + 14 for n in NOTES]
    assert [n[3] for n in notes] == [n.velocity for n in NOTES]
    assert np.max(np.abs(np.array([n[0] for n in notes]) - [n.onset for n in NOTES])) < 0.002
    assert np.max(np.abs(np.array([n[1] for n in notes]) - [n.offset for n in NOTES])) < 0.002


@pytest.mark.parametrize("first", [0.0, 0.2, 0.9, 1.83])
def test_midi_tempo_map_puts_notes_on_their_beats(tmp_path, first):
    """Notes played on the beats of an uneven beat track land on quarter
    notes in the file, one per beat, the first beat on a bar line (the time
    before it a pickup of whole beats)."""
    rng = np.random.default_rng(4)
    beats = np.cumsum(rng.uniform(0.45, 0.6, 12))          # rubato around 120 BPM
    beats += first - beats[0]
    on_beats = [Note(b, b + 0.2, 60 + k, 0.0, 80) for k, b in enumerate(beats)]
    between = [Note((a + b) / 2, (a + b) / 2 + 0.1, 50, 0.0, 80)
               for a, b in zip(beats[:-1], beats[1:])]
    path = tmp_path / "beats.mid"
    write_notes_midi(sorted(on_beats + between, key=lambda n: n.onset), path, beats=beats,
                     tempo=0.0)
    _, ticks, mid = midi_notes(path)
    tpb = mid.ticks_per_beat
    ticks = np.array(ticks)
    on, mid_ticks = ticks[::2], ticks[1::2]
    assert np.all(on % tpb == 0) and np.all(np.diff(on) == tpb)     # one quarter per beat
    assert np.all(mid_ticks - on[:-1] == tpb // 2)                  # halfway is an eighth
    # The 4/4 bar starts on the first beat.
    signatures, tick = [], 0
    for msg in mid.tracks[0]:
        tick += msg.time
        if msg.type == "time_signature":
            signatures.append((tick, msg.numerator))
    bar_start = [t for t, num in signatures if num == 4][0]
    assert (on[0] - bar_start) % (4 * tpb) == 0 and on[0] >= bar_start


def test_midi_without_beats_uses_the_tempo(tmp_path):
    path = tmp_path / "flat.mid"
    for beats in (np.zeros(0), np.array([1.0, 1.0])):      # none; one, twice
        write_notes_midi(NOTES, path, beats=beats, tempo=100.0)
        notes, ticks, mid = midi_notes(path)
        assert ticks[0] == round(0.5 * 100 / 60 * mid.ticks_per_beat)
        assert abs(notes[-1][0] - NOTES[-1].onset) < 0.002


def test_events_csv(tmp_path):
    """One row per event in time order; beats with their number in the bar,
    a downbeat every four, note_on/note_off per note (concert MIDI), the
    onsets of the track."""
    track, _, notes = scale()
    path = tmp_path / "events.csv"
    n = write_events_csv(track, notes, path)
    rows = read_csv(path)
    assert n == len(rows) and list(rows[0]) == ["time_s", "event", "value"]
    times = [float(r["time_s"]) for r in rows]
    assert times == sorted(times)
    kinds = {r["event"] for r in rows}
    assert kinds <= {"onset", "beat", "downbeat", "note_on", "note_off", "climax"}

    def of(kind):
        return [r for r in rows if r["event"] == kind]
    assert len(of("onset")) == track.onset_times.size
    assert [int(r["value"]) for r in of("note_on")] == [x.midi for x in notes]
    assert len(of("note_off")) == len(notes)
    beat = of("beat")
    assert np.allclose([float(r["time_s"]) for r in beat], track.beat_times, atol=6e-4)
    assert [int(r["value"]) for r in beat] == [k % 4 + 1 for k in range(len(beat))]
    assert [int(r["value"]) for r in of("downbeat")] == list(range(1, (len(beat) + 3) // 4 + 1))


def test_the_features_csv_stays_numeric(tmp_path):
    """Note names go in the notes file: every cell of the features CSV is a number."""
    from visualizer.analysis.report import write_csv
    track, _, _ = scale()
    path = tmp_path / "features.csv"
    write_csv(track, path, rate=20.0)
    rows = read_csv(path)
    assert len(rows) > 100 and "note" in rows[0]
    assert all(np.isfinite(float(v)) for row in rows for v in row.values())


# -------------------------------------------------------------- transposing
def test_parse_transpose():
    assert [parse_transpose(k) for k in ("concert", "Tenor", "alto", "soprano", "BARITONE")] \
        == [0, 14, 9, 2, 21]
    assert [parse_transpose(s) for s in ("+2", "-3", "14", " 0 ")] == [2, -3, 14, 0]
    for bad in ("oboe", "", "49", "2.5", "tenor sax"):
        with pytest.raises(VisualizerError, match="--transpose"):
            parse_transpose(bad)


# ------------------------------------------------------------ command line
def test_cli_writes_notes_and_events(tmp_path, capsys):
    wav = str(SAX.with_suffix(".wav"))
    mid, csv_path, events = tmp_path / "solo.mid", tmp_path / "solo.csv", tmp_path / "ev.csv"
    assert main(["analyze", wav, "--notes", str(mid), "--events", str(events),
                 "--transpose", "tenor"]) == 0
    assert main(["analyze", wav, "--notes", str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {mid} (15 notes, tenor)" in out and f"wrote {csv_path} (15 notes" in out
    _, ref, notes = scale()
    assert [n[2] for n in midi_notes(mid)[0]] == [m + 14 for *_, m in ref]
    assert [int(r["midi"]) for r in read_csv(csv_path)] == [m for *_, m in ref]
    assert {r["event"] for r in read_csv(events)} >= {"onset", "beat", "note_on", "note_off"}


@pytest.mark.parametrize("args", [["--notes", "solo.txt"], ["--notes", "solo"],
                                  ["--transpose", "oboe"], ["--transpose", "99"]])
def test_cli_bad_flags_are_one_line_and_exit_2(tmp_path, capsys, args):
    wav = str(SAX.with_suffix(".wav"))
    try:
        code = main(["analyze", wav] + [a if not a.startswith("solo") else str(tmp_path / a)
                                        for a in args])
    except SystemExit as e:                          # the parser's own errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "error" in err, err
    assert not list(tmp_path.iterdir())
