"""Live notes out: the horn plays a synth.

:class:`NoteFollower` reads the features of each analysed frame and decides,
causally, when the lead's notes start and stop:

- **A note starts** once the pitch has settled on a semitone: voiced, the same
  semitone and within ``start_spread`` semitones for ``settle_s`` (within
  ``spread`` for a change), and within ``centre`` semitones of its middle
  (or held off-centre for ``off_centre_s``: a player out of tune). A scoop
  up into a note is on its way, not settled and not centred, so the synth
  hears the note it lands on, not the one it started from.
- **It changes** when the pitch settles on another semitone at least
  ``0.5 + margin`` semitones from the sounding one: vibrato (even 50 cents
  wide) and scoops inside a note do not retrigger it.
- **It is re-attacked** (off, then on again) when an onset comes and the
  pitch settles after it on the same note, ``attack_wait_s`` after the
  onset at the earliest: a tongued repeat. An onset that brings another
  note is one change, not a re-attack and then a change, and one within
  ``own_onset_s`` of a note-on is that note's own attack, heard late.
- **It stops** after ``release_s`` unvoiced (a rest, a breath, silence).

Velocity is the loudness at the attack: the loudest ``level_db`` (the
unsmoothed RMS of the newest 43 ms) while the note settled, relative to the
recent peak, the 30 dB below it mapped onto 1..127 (the smoothed ``level``
releases over 250 ms, so a soft note after a loud one would read loud).
Notes are at concert pitch, as the horn sounds (``--transpose`` only renames
them for the reader); with ``bend``, pitch bend follows the sounding pitch
(cents and the player's tuning) within the note.

Events go out through sinks, each a callable taking a :class:`NoteEvent`:
:class:`NoteSender` turns them into MIDI messages and hands each to one
``send`` function (a mido output port's ``send``; the only seam a test
replaces), :class:`~visualizer.output.osc_out.OscNoteSender` sends
``/visualizer/note midi velocity`` (a note-off is velocity 0).
:class:`NoteOut` is the live loop's per-frame callback
(``LiveOptions.on_frame``) that joins a follower to its sinks, following the
analyzer hop by hop, and logs the notes into a recording (``OUT.mid`` beside
``OUT.mp4``).
"""

import math
from dataclasses import dataclass

import numpy as np

from visualizer.analysis.features import FEATURE_INDEX as COL
from visualizer.errors import ControlError

_VOICED, _NOTE, _CENTS = COL["voiced"], COL["note"], COL["cents"]
_TUNING, _LEVEL_DB, _ONSETS = COL["tuning"], COL["level_db"], COL["onset_count"]

_PEAK_DECAY_DB_S = 3.0     # the recent peak falls this fast (the analyzer's gain does too)
_VELOCITY_RANGE_DB = 30.0  # velocity 1..127 spans this far below the recent peak

BEND_RANGE = 2.0
"""Semitones of a full pitch bend: the General MIDI default of every synth."""


@dataclass(frozen=True)
class NoteEvent:
    """A note decision: ``kind`` "on", "off" or "bend", at audio time ``time`` s.

    ``note`` is the MIDI note at concert pitch; ``velocity`` 1..127 for "on"
    (0 otherwise); ``bend`` the sounding pitch minus ``note`` in semitones.
    """

    kind: str
    time: float
    note: int
    velocity: int = 0
    bend: float = 0.0


class NoteFollower:
    """Note-on, note-off and pitch bend from a stream of analysed frames or hops.

    Call :meth:`update` with each frame's (or hop's) values (``FeatureFrame.values``,
    (n_features,)) and its audio time; it returns the events decided then (a
    list reused between calls). Thresholds are in seconds, so any rate works;
    each decision waits for the next update after it is due, so hop by hop
    (:meth:`NoteOut.follow`) decides sooner than frame by frame.

    ``settle_s``: how long a candidate semitone must hold. ``start_spread``,
    ``spread``: how far (semitones) its pitch may wander meanwhile, for a
    note from silence and for a change. ``centre``: how near the middle of
    its semitone a note from silence must be (``off_centre_s`` later, any
    pitch will do). ``margin``: a change needs the pitch ``0.5 + margin``
    semitones from the sounding note. ``release_s``: unvoiced this long ends
    the note. ``attack_wait_s``: a re-attack waits this long after its onset;
    ``own_onset_s``: an onset this soon after a note-on belongs to it.
    ``bend``: emit "bend" events when the sounding pitch moves by ``bend_step``.
    """

    def __init__(self, *, settle_s: float = 0.008, start_spread: float = 0.15,
                 spread: float = 0.3, centre: float = 0.25, off_centre_s: float = 0.06,
                 margin: float = 0.2, release_s: float = 0.03, attack_wait_s: float = 0.04,
                 own_onset_s: float = 0.05, bend: bool = False, bend_step: float = 0.02):
        self.settle_s, self.spread, self.margin = settle_s, spread, margin
        # A scoop into a note from silence moves 20-30 cents in a frame as it
        # lands; a note that starts must hold steadier than that.
        self.start_spread = start_spread
        self.centre, self.off_centre_s = centre, off_centre_s
        self.release_s, self.bend, self.bend_step = release_s, bend, bend_step
        # The pitch shows a legato change up to about 30 ms after the onset
        # detector fires on it: a re-attack waits that out, so that a new
        # note is one change, not a repeat of the old note and then a change.
        self.attack_wait_s = attack_wait_s
        self.own_onset_s = own_onset_s
        self.sounding: int | None = None   # the note on now
        self.velocity = 0                  # its velocity
        self._events: list[NoteEvent] = []
        self._onsets = None                # onset count last seen
        self._attack: float | None = None  # an onset waiting for its pitch to settle
        self._started = -math.inf          # time of the last note-on
        self._cand: int | None = None      # candidate semitone, since when, its pitch range
        self._since = self._lo = self._hi = 0.0
        self._loudest = -120.0             # dBFS, the loudest while the candidate held
        self._peak_db, self._last = -120.0, 0.0   # the recent peak, decaying; last update
        self._unvoiced_since: float | None = None
        self._bent = 0.0                   # the bend last sent

    def update(self, values: np.ndarray, time: float) -> list[NoteEvent]:
        """The events decided by one frame at audio time ``time`` (s)."""
        ev = self._events
        ev.clear()
        onsets = float(values[_ONSETS])
        # The onset detector may report a note's attack after its note-on:
        # that onset is the note's own, not a re-attack.
        if (self._onsets is not None and onsets > self._onsets
                and time - self._started >= self.own_onset_s):
            self._attack = time
        self._onsets = onsets
        if values[_VOICED] <= 0.5:
            self._cand = None
            if self.sounding is not None:
                if self._unvoiced_since is None:
                    self._unvoiced_since = time
                if time - self._unvoiced_since >= self.release_s:
                    self._off(time)
            return ev
        self._unvoiced_since = None
        note = int(round(float(values[_NOTE])))
        pitch = note + float(values[_CENTS]) / 100.0   # in the player's own tuning
        level = float(values[_LEVEL_DB])
        self._peak_db = max(level, self._peak_db - _PEAK_DECAY_DB_S * max(time - self._last, 0.0))
        self._last = time
        self._track(note, pitch, level, time)
        settled = time - self._since >= self.settle_s
        if self.sounding is None:
            # A note from silence starts near the middle of its semitone; far
            # off it, the pitch is usually still on its way (a scoop lands).
            centred = abs(pitch - note) <= self.centre or time - self._since >= self.off_centre_s
            if settled and centred:
                self._on(note, time, values)
        elif note != self.sounding:
            if settled and abs(pitch - self.sounding) >= 0.5 + self.margin:
                self._off(time)
                self._on(note, time, values)
        elif (self._attack is not None and settled and self._since >= self._attack
              and time - self._attack >= self.attack_wait_s):
            self._off(time)    # a tongued repeat of the same note
            self._on(note, time, values)
        if self.sounding is not None and self.bend:
            bend = self._bend_of(values)
            if abs(bend - self._bent) >= self.bend_step:
                self._bent = bend
                ev.append(NoteEvent("bend", time, self.sounding, bend=bend))
        return ev

    def flush(self, time: float) -> list[NoteEvent]:
        """End the sounding note, if any (the input stops, the show ends)."""
        self._events.clear()
        if self.sounding is not None:
            self._off(time)
        return self._events

    def _track(self, note: int, pitch: float, level: float, time: float) -> None:
        """The candidate: one semitone, its pitch within ``spread``, since ``_since``.

        An onset on the sounding note restarts it, so that a re-attack is
        judged on the pitch after the attack (a new note needs no restart).
        """
        spread = self.spread if self.sounding is not None else self.start_spread
        restart = (note != self._cand or max(self._hi, pitch) - min(self._lo, pitch) > spread
                   or (note == self.sounding and self._attack is not None
                       and self._since < self._attack))
        if restart:
            self._cand, self._since, self._loudest = note, time, level
            self._lo = self._hi = pitch
        else:
            self._lo, self._hi = min(self._lo, pitch), max(self._hi, pitch)
            self._loudest = max(self._loudest, level)

    def _on(self, note: int, time: float, values: np.ndarray) -> None:
        self._attack = None
        self.sounding, self._started = note, time
        if self.bend:   # in tune from the first moment
            self._bent = self._bend_of(values)
            self._events.append(NoteEvent("bend", time, note, bend=self._bent))
        loudness = 1.0 + (self._loudest - self._peak_db) / _VELOCITY_RANGE_DB
        self.velocity = int(np.clip(round(1 + 126 * loudness), 1, 127))
        self._events.append(NoteEvent("on", time, note, self.velocity))

    def _off(self, time: float) -> None:
        self._events.append(NoteEvent("off", time, self.sounding))
        self.sounding = None
        self._unvoiced_since = None

    def _bend_of(self, values: np.ndarray) -> float:
        """Sounding pitch (A440 grid) minus the sounding note, in semitones."""
        pitch = float(values[_NOTE]) + (float(values[_CENTS]) + float(values[_TUNING])) / 100.0
        return float(np.clip(pitch - self.sounding, -BEND_RANGE, BEND_RANGE))


class NoteSender:
    """Note events as MIDI messages handed to ``send`` (a mido output port's send).

    ``channel`` 0..15. Pitch bend messages go out only with ``bend``; their
    full range is :data:`BEND_RANGE` semitones. ``sent`` counts messages.
    """

    def __init__(self, send, *, channel: int = 0, bend: bool = False):
        import mido
        self._message = mido.Message
        self.send, self.channel, self.bend = send, channel, bend
        self.sent = 0

    def __call__(self, event: NoteEvent) -> None:
        msg = self.message(event)
        if msg is not None:
            self.send(msg)
            self.sent += 1

    def message(self, event: NoteEvent):
        """The mido.Message for ``event``, or None (a bend without ``bend``)."""
        if event.kind == "on":
            return self._message("note_on", channel=self.channel, note=event.note,
                                 velocity=event.velocity)
        if event.kind == "off":
            return self._message("note_off", channel=self.channel, note=event.note, velocity=0)
        if self.bend:
            pitch = round(event.bend / BEND_RANGE * 8191)
            return self._message("pitchwheel", channel=self.channel,
                                 pitch=min(max(pitch, -8192), 8191))
        return None


class NoteOut:
    """The live loop's per-frame callback: follow the notes, hand them to the sinks.

    :meth:`on_frame` has :attr:`LiveOptions.on_frame`'s signature. On its first
    call it follows the lead's analyzer hop by hop (:meth:`follow`, through
    the analyzer's ``on_rows``), so a note settles within the frame that
    analyses it rather than a frame later; events then go out while the
    frame is analysed. :meth:`on_record` (``LiveOptions.on_record``) makes
    each new recording log the notes into its .mid, timed from its start.
    """

    def __init__(self, follower: NoteFollower, sinks: list, *, bend: bool = False):
        self.follower, self.sinks, self.bend = follower, list(sinks), bend
        self.recorder = None
        self._take: NoteSender | None = None
        self._analyzer = None
        self._hops, self._hop_s = 0, 0.0
        self._time = 0.0     # audio time of the newest values followed
        self._origin = 0.0   # audio time at which the recording started

    def follow(self, analyzer) -> None:
        """Follow every hop ``analyzer`` analyses from now on (it calls :meth:`rows`)."""
        self._analyzer, self._hop_s = analyzer, analyzer.hop_seconds
        self._hops = analyzer.frame.hops
        analyzer.on_rows = self.rows

    def rows(self, rows: np.ndarray) -> None:
        """One batch of per-hop feature rows, (hops, n_features); hop i ends at (i + 1) hops."""
        for row in rows:
            self._hops += 1
            self._time = self._hops * self._hop_s
            self._emit(self.follower.update(row, self._time))

    def on_frame(self, show, frame) -> None:
        if self._analyzer is None:
            self.follow(show.engine.analyzer)   # hop by hop from the next frame on
            self._time = frame.time

    def on_record(self, recorder) -> None:
        recorder.start_notes()
        self.recorder = recorder
        # The recording's sound starts after the audio analysed so far.
        self._origin = self._analyzer.frame.time if self._analyzer is not None else self._time
        self._take = NoteSender(lambda msg: recorder.note(msg, self._time - self._origin),
                                bend=self.bend)
        if self.follower.sounding is not None:   # the note already sounding opens the take
            self._take(NoteEvent("on", self._time, self.follower.sounding,
                                 self.follower.velocity))

    def close(self) -> None:
        """End a sounding note on every sink (a synth must not hang on a note)."""
        self._emit(self.follower.flush(self._time))

    def _emit(self, events: list[NoteEvent]) -> None:
        for event in events:
            for sink in self.sinks:
                sink(event)
            if self._take is not None:
                self._take(event)


def open_output(port: str):
    """The mido output port named by ``port`` (exact, or part of a name), or
    'virtual' for a port of our own named "visualizer"; ControlError (one
    line) if there is none or no MIDI system."""
    from visualizer.control.midi.ports import VIRTUAL, backend, port_error

    midi = backend()   # quiets ALSA's own complaints first
    try:
        if port == VIRTUAL:
            return midi.open_output("visualizer", virtual=True)
        names = midi.get_output_names()
        chosen = [n for n in names if n == port] or [n for n in names if port.lower() in n.lower()]
        if not chosen:
            raise ControlError(f"MIDI output '{port}' not found"
                               f" (available: {', '.join(names) or 'none'})")
        return midi.open_output(chosen[0])
    except (OSError, NotImplementedError) as e:
        raise port_error(e, f"MIDI output '{port}'") from None


def all_notes_off(send, channel: int = 0) -> None:
    """Silence a synth: All Notes Off and a centred pitch bend."""
    import mido
    send(mido.Message("control_change", channel=channel, control=123, value=0))
    send(mido.Message("pitchwheel", channel=channel, pitch=0))
