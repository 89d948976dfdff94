"""Live notes out: the horn plays a synth.

The follower runs on the real analyzer over synthesised horn phrases (known
notes: legato steps, vibrato, scoops, tongued repeats, rests, soft and loud)
and over the shared tenor scale recording (its notes hand-checked). This
machine has no ALSA sequencer (no /dev/snd/seq), so no MIDI port can be
opened here: the message stream is checked where a port's ``send`` would
receive it, with a list's ``append`` standing in for that one function
(``NoteSender(send)``); the round trip through a real virtual port runs
where a sequencer exists and is skipped, saying why, where none does.
OSC notes go over real UDP, recordings are real files read back with mido.
"""

import ast
import csv
import os
import socket
import subprocess
import sys
import time

import mido
import moderngl
import numpy as np
import pytest
from pythonosc.osc_message import OscMessage

from conftest import ROOT, SHARED_DATA, run_cli, write_wav
from sax_signals import horn
from visualizer.analysis.analyzer import Analyzer
from visualizer.control.midi import list_ports
from visualizer.errors import ControlError
from visualizer.output.notes_out import NoteEvent, NoteFollower, NoteOut, NoteSender, open_output
from visualizer.output.osc_out import OscNoteSender
from recorder_rig import Rig

SR = 48000
FRAME = 800   # the live loop drains the input 60 times a second
TENOR = SHARED_DATA / "sax" / "359500__mtg__sax-tenor-e-major"


def phrase(notes) -> np.ndarray:
    """(start s, length s, MIDI, keyword arguments of horn) -> samples, with a quiet room."""
    end = max(start + length for start, length, *_ in notes) + 0.3
    x = np.random.default_rng(0).standard_normal(int(end * SR)).astype(np.float32) * 1e-4
    for start, length, midi, kw in notes:
        y = horn(midi, length, **kw)
        i = int(start * SR)
        x[i:i + y.size] += y
    return x


# A phrase with every case: legato steps, 50 cents of vibrato on a held
# note, a scoop of 90 cents after a rest, three tongued repeats (the last
# soft), a scooped note with vibrato, and a step down.
PHRASE = ((0.3, 0.4, 62, {}), (0.7, 0.4, 64, {}), (1.1, 0.8, 65, dict(vibrato=50)),
          (2.0, 0.3, 67, dict(scoop=90, amp=0.25)), (2.35, 0.3, 67, {}),
          (2.7, 0.3, 67, dict(amp=0.08)), (3.2, 1.0, 70, dict(vibrato=45, scoop=90)),
          (4.2, 0.3, 69, {}))


def follow(x: np.ndarray, **kw) -> list:
    """Analyse ``x`` as the live loop does (60 frames a second), following
    every hop; returns the MIDI messages handed to the port's send."""
    sent = []
    analyzer = Analyzer()
    notes = NoteOut(NoteFollower(**kw), [NoteSender(sent.append, bend=kw.get("bend", False))])
    notes.follow(analyzer)
    for i in range(0, x.shape[0], FRAME):
        analyzer.process(x[i:i + FRAME])
    notes.close()
    return sent


def timed(x: np.ndarray, **kw) -> list[NoteEvent]:
    """The events the follower decides, with their audio times."""
    events = []
    analyzer = Analyzer()
    notes = NoteOut(NoteFollower(**kw), [events.append])
    notes.follow(analyzer)
    for i in range(0, x.shape[0], FRAME):
        analyzer.process(x[i:i + FRAME])
    notes.close()
    return events


@pytest.fixture(scope="module")
def phrase_events():
    return timed(phrase(PHRASE))


def test_each_note_sounds_once_at_its_pitch_soon_after_it_starts(phrase_events):
    ons = [e for e in phrase_events if e.kind == "on"]
    assert [e.note for e in ons] == [n[2] for n in PHRASE]   # vibrato, scoops: no retrigger
    for e, (start, *_) in zip(ons, PHRASE):
        assert 0.0 < e.time - start < 0.09, (e, start)
    # Monophonic: every note-on but the first follows the previous note's off.
    sounding = None
    for e in phrase_events:
        if e.kind == "on":
            assert sounding is None, e
            sounding = e.note
        elif e.kind == "off":
            assert e.note == sounding
            sounding = None
    assert sounding is None


def test_rests_end_notes_and_velocity_follows_loudness(phrase_events):
    offs = {round(e.time, 2): e.note for e in phrase_events if e.kind == "off"}
    # The rest after the vibrato note (1.9 s to 2.0 s): it ends there, within 60 ms.
    assert any(1.9 <= t <= 1.96 and n == 65 for t, n in offs.items()), offs
    ons = [e for e in phrase_events if e.kind == "on"]
    soft, loud = ons[5], ons[4]          # the soft repeat against the one before it
    assert 1 <= soft.velocity < loud.velocity - 20 and loud.velocity > 100


def test_the_tenor_scale_plays_its_fifteen_notes():
    """A real tenor saxophone: the scale up and down, every note once, in time."""
    from visualizer.audio.file_source import FileSource, mono
    with FileSource(TENOR.with_suffix(".wav"), sample_rate=SR) as source:
        x = mono(source.read(SR * 20)).copy()
    with open(TENOR.with_suffix(".notes.csv")) as f:
        truth = [(float(r["onset_s"]), int(r["midi"])) for r in csv.DictReader(f)]
    ons = [e for e in timed(x) if e.kind == "on"]
    assert [e.note for e in ons] == [m for _, m in truth]
    delays = np.array([e.time - t for e, (t, _) in zip(ons, truth)])
    assert (delays > 0).all() and delays.max() < 0.12 and np.median(delays) < 0.07, delays


def test_the_port_gets_notes_and_pitch_bend_in_order():
    """Messages as a port's send receives them (a list's append stands in for it)."""
    x = phrase(((0.3, 0.8, 64, dict(vibrato=40)), (1.2, 0.5, 67, {})))
    sent = follow(x, bend=True)
    kinds = [m.type for m in sent]
    assert kinds.count("note_on") == 2 and kinds.count("note_off") == 2
    first_on = kinds.index("note_on")
    assert kinds[first_on - 1] == "pitchwheel"      # in tune from the first moment
    bends = [m.pitch for m in sent if m.type == "pitchwheel"]
    # 40 cents of vibrato on a 2-semitone bend range: about +-1640 around the note.
    assert 1000 < max(bends) < 2500 and -2500 < min(bends) < -1000, (min(bends), max(bends))
    assert all(m.channel == 0 for m in sent)
    plain = follow(x)
    assert "pitchwheel" not in {m.type for m in plain}
    assert [(m.type, m.note) for m in plain] == [(m.type, m.note) for m in sent
                                                 if m.type != "pitchwheel"]


def test_osc_notes_are_note_and_velocity_with_zero_for_off():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(2.0)
        sender = OscNoteSender("127.0.0.1", rx.getsockname()[1])
        try:
            for event in (NoteEvent("on", 0.1, 64, 90), NoteEvent("bend", 0.1, 64, bend=0.1),
                          NoteEvent("off", 0.5, 64)):
                sender(event)
            got = [OscMessage(rx.recv(1024)) for _ in range(2)]
        finally:
            sender.close()
    assert [(m.address, m.params) for m in got] == [("/visualizer/note", [64, 90]),
                                                   ("/visualizer/note", [64, 0])]
    assert sender.sent == 2 and sender.errors == 0


def test_a_recording_writes_the_notes_beside_it_timed_from_its_start(tmp_path):
    """The live loop's order: each frame's samples go to the recorder, then
    the analyzer (whose hops NoteOut follows); the recording starts 1 s in."""
    x = phrase(((0.5, 0.5, 62, {}), (1.4, 0.4, 65, {}), (2.0, 0.5, 67, {})))
    ctx = moderngl.create_standalone_context(require=330, backend="egl")
    try:
        events = []
        analyzer = Analyzer()
        notes = NoteOut(NoteFollower(), [events.append])
        notes.follow(analyzer)
        recorder = None
        for i in range(0, x.shape[0], FRAME):
            block = x[i:i + FRAME]
            if recorder is not None:
                recorder.write_audio(block)
            analyzer.process(block)
            if recorder is None and i + FRAME >= SR:   # R pressed: recording from 1.0 s
                recorder = Rig(ctx, (64, 36), tmp_path / "take.mp4", fps=30)
                notes.on_record(recorder)
                start = (i + FRAME) / SR
        recorder.stop()
        recorder.release()
    finally:
        ctx.release()
    midi = mido.MidiFile(tmp_path / "take.mid")
    t, got = 0.0, []
    for msg in midi:                      # iterating a file gives times in seconds
        t += msg.time
        if msg.type in ("note_on", "note_off"):
            got.append((msg.type, msg.note, round(t, 3)))
    decided = [(("note_on" if e.kind == "on" else "note_off"), e.note, e.time - start)
               for e in events if e.time >= start]
    # The note sounding at 1.0 s opens the take; the others are in it at the
    # times they were decided, counted from the recording's start.
    assert got[0] == ("note_on", 62, 0.0)
    assert [g[:2] for g in got[1:]] == [d[:2] for d in decided] == [
        ("note_off", 62), ("note_on", 65), ("note_off", 65), ("note_on", 67), ("note_off", 67)]
    for (_, _, a), (_, _, b) in zip(got[1:], decided):
        assert abs(a - b) < 0.002
    assert 0.4 < got[2][2] < 0.5   # the note at 1.4 s, 1.0 s into the file: heard 0.4 s in


def test_a_note_sounding_at_stop_ends_with_the_recording(tmp_path):
    ctx = moderngl.create_standalone_context(require=330, backend="egl")
    try:
        rec = Rig(ctx, (64, 36), tmp_path / "cut.mp4", fps=30)
        rec.start_notes()
        rec.write_audio(np.zeros(SR // 2, np.float32))
        rec.note(mido.Message("note_off", note=60), 0.05)   # its note-on came before the start
        rec.note(mido.Message("note_on", note=62, velocity=100), 0.2)
        rec.write_audio(np.zeros(SR // 2, np.float32))
        rec.stop()
        rec.release()
    finally:
        ctx.release()
    t, got = 0.0, []
    for msg in mido.MidiFile(tmp_path / "cut.mid"):
        t += msg.time
        if msg.type in ("note_on", "note_off"):
            got.append((msg.type, msg.note, round(t, 3)))
    assert got == [("note_on", 62, 0.2), ("note_off", 62, 1.0)]


def _sequencer() -> str | None:
    try:
        list_ports()
    except ControlError as e:
        return str(e)
    return None


def test_a_port_that_does_not_exist_is_one_line(tmp_path):
    with pytest.raises(ControlError) as err:
        open_output("no-such-synth-xyz")
    why = _sequencer()
    if why is None:
        assert str(err.value).startswith("MIDI output 'no-such-synth-xyz' not found (available: ")
    else:
        assert str(err.value).startswith("MIDI: no MIDI system (")
        if not os.path.exists("/dev/snd/seq"):
            assert "ALSA sequencer unavailable: " in str(err.value)
    r = run_cli("live", "--input", str(write_wav(tmp_path / "a.wav", np.zeros(SR, np.float32))),
                "--play", "none", "--frames", "1", "--midi-out", "no-such-synth-xyz")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("visualizer: error: MIDI")


def test_a_virtual_port_round_trip():
    """A real output port, read back by a real input port (needs a MIDI sequencer)."""
    why = _sequencer()
    if why is not None:
        pytest.skip(f"no MIDI sequencer on this machine: {why}")
    backend = mido.Backend("mido.backends.rtmidi", load=True)
    with backend.open_input("visualizer-notes-test", virtual=True) as port_in:
        out = open_output("visualizer-notes-test")
        try:
            sender = NoteSender(out.send)
            sender(NoteEvent("on", 0.0, 64, 90))
            sender(NoteEvent("off", 0.1, 64))
            got, deadline = [], time.monotonic() + 5.0     # a bound, not a timing assert
            while len(got) < 2 and time.monotonic() < deadline:
                got += list(port_in.iter_pending())
                time.sleep(0.005)
        finally:
            out.close()
    assert [(m.type, m.note, m.velocity) for m in got] == [("note_on", 64, 90),
                                                           ("note_off", 64, 0)]


def test_live_sends_the_notes_by_osc_and_records_them_as_mid(xdisplay, tmp_path):
    """`visualizer live` end to end (Xvfb): /visualizer/note over UDP, and
    the recording's notes in OUT.mid beside OUT.mp4."""
    x = phrase(((0.4, 0.4, 62, {}), (0.8, 0.4, 65, {}), (1.4, 0.5, 69, {})))
    wav = write_wav(tmp_path / "solo.wav", x, SR)
    out = tmp_path / "solo.mp4"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(0.2)
        r = run_cli("live", "--size", "320x180", "--frames", "200", "--play", "none",
                    "--input", str(wav), "--record", str(out),
                    "--osc-send", f"127.0.0.1:{rx.getsockname()[1]}", env={"DISPLAY": xdisplay})
        assert r.returncode == 0, r.stderr
        notes = []
        try:
            while True:
                data = rx.recv(65536)
                if data.startswith(b"/visualizer/note"):   # the features come as bundles
                    notes.append(OscMessage(data).params)
        except socket.timeout:
            pass
    ons = [n for n, v in notes if v > 0]
    assert ons[:3] == [62, 65, 69], notes
    assert notes.count([62, 0]) >= 1
    midi = mido.MidiFile(out.with_suffix(".mid"))
    played = [m.note for m in midi if m.type == "note_on" and m.velocity > 0]
    assert played[:3] == [62, 65, 69]


_HUD_PROBE = """
import sys
import visualizer.engine.live as live
from visualizer.cli import main

seen = []
fill = live.LiveLoop._fill_stats
def probe(self, frame, lost):
    fill(self, frame, lost)
    seen.append(self.stats.note)
live.LiveLoop._fill_stats = probe
code = main(sys.argv[1:])
print("notes seen", sorted(set(seen)))
sys.exit(code)
"""


def test_the_hud_names_the_note_as_the_player_reads_it(xdisplay, tmp_path):
    """A concert A4 (69) on a tenor is read as B5 (83): the HUD's note (its
    stats, filled by the real window each frame) is the written one."""
    wav = write_wav(tmp_path / "a.wav", phrase(((0.2, 1.5, 69, {}),)), SR)
    env = dict(os.environ, DISPLAY=xdisplay)
    r = subprocess.run([sys.executable, "-c", _HUD_PROBE, "live", "--size", "320x180",
                        "--frames", "90", "--play", "none", "--hud", "--transpose", "tenor",
                        "--input", str(wav)], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    seen = ast.literal_eval(r.stdout.split("notes seen", 1)[1].strip().splitlines()[0])
    assert 83 in seen and 69 not in seen, seen
