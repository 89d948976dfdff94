"""The lead's notes from an offline analysis, and files for people and DAWs.

:func:`transcribe` cuts the zero-lag pitch track of a
:class:`~visualizer.analysis.track.FeatureTrack` into notes:

1. **Voiced runs.** A note sounds while the pitch tracker says voiced; gaps
   shorter than ``GAP_S`` (a breathy flicker) are bridged.
2. **Cuts.** Inside a run a new note starts at each onset of the track (flux
   attacks and note changes of the pitch, see
   :mod:`~visualizer.analysis.legato`), and where the pitch settles on
   another semitone for ``MIN_NOTE_S`` with no onset near (a change both
   detectors missed).
3. **Notes.** Each piece's pitch is the median of its tuning-corrected pitch
   over its middle (the ends glide), rounded: the note the player means,
   in concert pitch; ``cents`` is the mean deviation from it in the player's
   own tuning. A piece shorter than ``MIN_NOTE_S`` joins the note after it
   (a glide or a split attack), or is dropped if none follows.
4. **Velocity** from the note's loudness: the peak ``level_db`` of its first
   ``VELOCITY_S``, the recording's loudest note -> 127, 40 dB below it -> 1.

Writers: :func:`write_notes_csv`, :func:`write_notes_midi` (a Standard MIDI
File whose tempo map follows the beat track, so the notes land in bars in a
DAW) and :func:`write_events_csv` (onsets, beats, downbeats, notes, climaxes).
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visualizer.analysis.tuning import note_name
from visualizer.analysis.track import FeatureTrack
from visualizer.errors import OutputError, VisualizerError

GAP_S = 0.025
"""Unvoiced gaps shorter than this do not end a note."""
MIN_NOTE_S = 0.05
"""Shorter pieces are not notes of their own."""
ATTACK_S = 0.1
"""A note starts at an onset this much before its tone becomes periodic."""
EDGE = 0.2
"""Fraction of a note left out at each end when taking its pitch."""
VELOCITY_S = 0.1
VELOCITY_RANGE_DB = 40.0

TRANSPOSE = {"concert": 0, "soprano": 2, "alto": 9, "tenor": 14, "baritone": 21}
"""Written pitch = concert pitch + this many semitones, per instrument."""

TICKS_PER_BEAT = 480
TENOR_SAX_PROGRAM = 66
"""General MIDI program 67 (0-based 66), Tenor Sax."""


@dataclass(frozen=True)
class Note:
    """One note of the lead."""

    onset: float      # s
    offset: float     # s
    midi: int         # concert pitch
    cents: float      # mean deviation from midi in the player's tuning
    velocity: int     # 1..127 from the note's loudness


def parse_transpose(text: str) -> int:
    """Semitones from concert to written pitch: an instrument of
    :data:`TRANSPOSE` or a signed number of semitones (-48..48)."""
    key = str(text).strip().lower()
    if key in TRANSPOSE:
        return TRANSPOSE[key]
    try:
        value = int(key)
    except ValueError:
        value = None
    if value is None or not -48 <= value <= 48:
        raise VisualizerError(f"--transpose '{text}': expected {', '.join(TRANSPOSE)} "
                              f"or semitones from -48 to 48")
    return value


# ------------------------------------------------------------ transcription
def transcribe(track: FeatureTrack) -> list[Note]:
    """The lead's notes in time order (see the module docstring)."""
    n = track.rows.shape[0]
    if n == 0:
        return []
    hop = track.hop_seconds
    voiced = track.column("voiced") > 0.5
    semis = track.column("note").astype(np.float64) + track.column("cents") / 100.0
    onset_rows = np.unique(np.clip(np.round(np.asarray(track.onset_times) / hop - 0.5)
                                   .astype(np.int64), 0, n - 1))
    min_rows = max(2, round(MIN_NOTE_S / hop))
    pieces, free = [], 0                 # free: the first row after the previous run
    for a, b in _voiced_runs(voiced, max(1, round(GAP_S / hop))):
        # The attack (air, the tongue) comes before the tone is periodic: a
        # run starts at an onset just before it.
        lead = onset_rows[(onset_rows >= max(free, a - round(ATTACK_S / hop))) & (onset_rows < a)]
        if lead.size:
            a = int(lead[0])
        cuts = _cuts(a, b, semis, voiced, onset_rows, min_rows)
        pieces += list(zip(cuts[:-1], cuts[1:]))
        free = b
    pieces = _join_short(pieces, semis, voiced, min_rows)
    level = track.column("level_db").astype(np.float64)
    notes = [_note(a, b, semis, voiced, level, hop) for a, b in pieces]
    return _with_velocities([x for x in notes if x is not None])


def _voiced_runs(voiced: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """[start, stop) row ranges of voicing, gaps shorter than ``bridge`` bridged."""
    edges = np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs: list[list[int]] = []
    for a, b in zip(starts.tolist(), stops.tolist()):
        if runs and a - runs[-1][1] < bridge:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


def _cuts(a: int, b: int, semis: np.ndarray, voiced: np.ndarray, onset_rows: np.ndarray,
          min_rows: int) -> list[int]:
    """Row indices that cut the run [a, b) into notes, a and b included."""
    inside = onset_rows[(onset_rows > a + min_rows // 2) & (onset_rows < b - min_rows // 2)]
    cuts = [a] + inside.tolist()
    # The pitch settling on another semitone (0.75 away: vibrato does not
    # count) for min_rows, with no onset near: a change the onsets missed.
    held = round(float(semis[a]))
    cand, start, count = None, a, 0
    for i in range(a, b):
        if not voiced[i] or abs(semis[i] - held) < 0.75:
            cand = None
            continue
        label = round(float(semis[i]))
        if label != cand:
            cand, start, count = label, i, 0
        count += 1
        if count >= min_rows:
            held, cand = label, None
            if min(abs(c - start) for c in cuts) > min_rows:
                cuts.append(start)
    return sorted(set(cuts)) + [b]


def _join_short(pieces: list[tuple[int, int]], semis: np.ndarray, voiced: np.ndarray,
                min_rows: int) -> list[tuple[int, int]]:
    """A piece that is no note of its own joins the piece that starts where
    it ends (its onset is the note's), or is dropped: shorter than
    ``min_rows``, or shorter than twice that with no settled pitch (the
    glide between two notes, split off by a second attack onset)."""
    out: list[tuple[int, int]] = []
    carry = None                         # (start, stop) of a piece waiting
    for a, b in pieces:
        if carry is not None and carry[1] == a:
            a = carry[0]
        carry = None
        if b - a < min_rows or (b - a < 2 * min_rows and not _settled(a, b, semis, voiced)):
            carry = (a, b)
            continue
        out.append((a, b))
    return out


def _settled(a: int, b: int, semis: np.ndarray, voiced: np.ndarray) -> bool:
    """Whether the middle of [a, b) holds one semitone (within 35 cents)."""
    edge = int((b - a) * EDGE)
    m = semis[a + edge:b - edge][voiced[a + edge:b - edge]]
    return m.size > 0 and bool(np.all(np.abs(m - round(float(np.median(m)))) < 0.35))


def _note(a: int, b: int, semis: np.ndarray, voiced: np.ndarray, level: np.ndarray,
          hop: float) -> tuple | None:
    """(onset s, offset s, midi, cents, loudness dB) of rows [a, b), None if unvoiced."""
    edge = int((b - a) * EDGE)
    mid = slice(a + edge, b - edge)
    v = voiced[mid]
    if not v.any():
        return None
    pitch = float(np.median(semis[mid][v]))
    midi = int(round(pitch))
    cents = float(np.mean(semis[mid][v] - midi) * 100.0)
    loud = float(np.max(level[a:min(b, a + max(1, round(VELOCITY_S / hop)))]))
    # Row i describes the hop ending at (i + 1) * hop: an onset lies in its middle.
    return (a + 0.5) * hop, (b + 0.5) * hop, midi, round(cents, 1), loud


def _with_velocities(notes: list[tuple]) -> list[Note]:
    """Notes, each loudness (dB) made a MIDI velocity: the loudest note 127,
    ``VELOCITY_RANGE_DB`` below it 1, linear in dB between."""
    if not notes:
        return []
    top = max(loud for *_, loud in notes)
    return [Note(on, off, midi, cents,
                 int(round(1 + 126 * np.clip(1.0 + (loud - top) / VELOCITY_RANGE_DB, 0.0, 1.0))))
            for on, off, midi, cents, loud in notes]


# ------------------------------------------------------------------ writers
def write_notes_csv(notes, path, *, transpose: int = 0) -> None:
    """``onset_s,offset_s,midi,name,cents,velocity``, one row per note; midi
    and name ``transpose`` semitones from concert pitch (the player's written
    pitch for a transposing instrument)."""
    try:
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["onset_s", "offset_s", "midi", "name", "cents", "velocity"])
            for x in notes:
                m = x.midi + transpose
                out.writerow([f"{x.onset:.3f}", f"{x.offset:.3f}", m, note_name(m),
                              f"{x.cents:.1f}", x.velocity])
    except OSError as e:
        raise OutputError(f"{path}: cannot write notes ({e.strerror or e})") from None


def write_notes_midi(notes, path, *, beats: np.ndarray, tempo: float,
                     transpose: int = 0) -> None:
    """A Standard MIDI File (type 1): a conductor track whose tempo map puts
    beat k of ``beats`` (seconds) on a quarter note, the first beat on a bar
    line (the time before it a pickup), and the notes (``transpose``
    semitones from concert pitch) on a tenor sax track. With fewer than two
    beats the tempo is ``tempo`` BPM (120 if 0) throughout."""
    import mido

    knots, tempos, signatures = _tempo_map(np.asarray(beats, float), tempo)
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = [(0, mido.MetaMessage("track_name", name="tempo map", time=0))]
    conductor += [(tick, mido.MetaMessage("time_signature", numerator=num, denominator=4, time=0))
                  for tick, num in signatures]
    conductor += [(tick, mido.MetaMessage("set_tempo", tempo=us, time=0)) for tick, us in tempos]
    lead = [(0, mido.MetaMessage("track_name", name="lead", time=0)),
            (0, mido.Message("program_change", program=TENOR_SAX_PROGRAM, time=0))]
    for x in notes:
        m = int(np.clip(x.midi + transpose, 0, 127))
        on = _ticks(knots, x.onset)
        off = max(on + 1, _ticks(knots, x.offset))
        lead.append((on, mido.Message("note_on", note=m, velocity=int(x.velocity), time=0)))
        lead.append((off, mido.Message("note_off", note=m, velocity=0, time=0)))
    for events in (conductor, lead):
        # At one tick a note_off goes before a note_on (a repeated note).
        events.sort(key=lambda ev: (ev[0], ev[1].type != "note_off"))
        track, now = mido.MidiTrack(), 0
        for tick, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    try:
        mid.save(path)
    except OSError as e:
        raise OutputError(f"{path}: cannot write MIDI ({e.strerror or e})") from None


def _tempo_map(beats: np.ndarray, tempo: float):
    """(knots, tempos, signatures): knots (times s, ticks) of the piecewise
    linear time->tick map, (tick, microseconds per quarter) tempo changes and
    (tick, beats per bar) time signatures."""
    tpb = TICKS_PER_BEAT
    beats = np.sort(beats[np.isfinite(beats) & (beats >= 0)])
    if beats.size:
        beats = beats[np.concatenate([[True], np.diff(beats) > 1e-3])]    # no empty spans
    if beats.size < 2:
        us = int(round(60e6 / (tempo if tempo > 0 else 120.0)))
        return (np.array([0.0]), np.array([0]), us), [(0, us)], [(0, 4)]
    period = beats[1] - beats[0]
    pickup = int(round(beats[0] / period))
    if beats[0] > 0.0:
        pickup = max(pickup, 1)
    # Beat k at tick (pickup + k) * tpb; the tempo of each span, rounded to
    # whole microseconds, and the knot times rebuilt from the rounded tempos
    # so that the map here is the map a DAW reads.
    spans = np.diff(np.concatenate([[0.0], beats] if pickup else [beats]))
    counts = np.concatenate([[pickup], np.ones(beats.size - 1)] if pickup
                            else [np.ones(beats.size - 1)])
    us = np.maximum(np.round(spans / counts * 1e6), 1).astype(np.int64)
    ticks = np.concatenate([[0], np.cumsum(counts * tpb)]).astype(np.int64)
    times = np.concatenate([[0.0], np.cumsum(us * counts / 1e6)])
    tempos = [(int(t), int(u)) for t, u in zip(ticks[:-1], us)]
    # The lead-in: a pickup bar of its odd beats, then whole 4/4 bars, so
    # that the first beat (a downbeat, as the analysis counts) starts a bar.
    partial = pickup % 4
    signatures = [(0, partial)] if partial else []
    signatures.append((partial * tpb, 4))
    return (times, ticks, int(us[-1])), tempos, signatures


def _ticks(knots, t: float) -> int:
    """Seconds -> ticks through the tempo map (the last tempo runs on)."""
    times, ticks, last_us = knots
    if t <= times[-1]:
        return int(round(np.interp(t, times, ticks)))
    return int(round(ticks[-1] + (t - times[-1]) * 1e6 / last_us * TICKS_PER_BEAT))


def write_events_csv(track: FeatureTrack, notes, path) -> int:
    """``time_s,event,value`` rows in time order; returns how many.

    onset (value: its number, from 1), beat (its number in the 4/4 bar,
    1..4; beat 1 of the track is a downbeat), downbeat (the bar's number,
    from 1), note_on and note_off (the MIDI note, concert pitch), climax (the
    intensity arc there, 0..1).
    """
    rows: list[tuple[float, int, str, str]] = []
    for i, t in enumerate(np.asarray(track.onset_times, float), start=1):
        rows.append((t, 0, "onset", str(i)))
    for k, t in enumerate(np.asarray(track.beat_times, float)):
        if k % 4 == 0:
            rows.append((t, 1, "downbeat", str(k // 4 + 1)))
        rows.append((t, 2, "beat", str(k % 4 + 1)))
    for x in notes:
        rows.append((x.onset, 4, "note_on", str(x.midi)))
        rows.append((x.offset, 3, "note_off", str(x.midi)))
    if track.rows.shape[0]:
        climax = track.column("climax")
        peaks = np.flatnonzero((climax >= 0.999) & (np.diff(climax, prepend=0.0) > 0))
        for i in peaks:
            rows.append((float(track.times[i]), 5, "climax",
                         f"{float(track.column('intensity')[i]):.3f}"))
    rows.sort(key=lambda r: (round(r[0], 6), r[1]))
    try:
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["time_s", "event", "value"])
            for t, _, event, value in rows:
                out.writerow([f"{t:.3f}", event, value])
    except OSError as e:
        raise OutputError(f"{path}: cannot write events ({e.strerror or e})") from None
    return len(rows)


def notes_format(path) -> str:
    """'midi' or 'csv' from a notes file's extension; VisualizerError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix in (".mid", ".midi"):
        return "midi"
    if suffix == ".csv":
        return "csv"
    raise VisualizerError(f"--notes {path}: expected a .mid or .csv file")
