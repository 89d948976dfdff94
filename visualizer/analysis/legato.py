"""Legato onsets: a slurred note change has no attack, the pitch just moves.

Spectral flux (:mod:`~visualizer.analysis.onsets`) hears attacks. A slur
between two notes of a horn brings no burst of energy: the new note's
harmonics fade in while the old ones fade out, often under the room's tail
of the old note, and flux misses many of them. A listener hears a new note
because the *pitch* changed. :class:`NoteChangeDetector` reads the pitch
tracker's output, causally, hop by hop, and reports a note change when

1. the pitch left the current note by more than ``LEAVE`` semitones (the
   *departure*: where the note change is placed), and
2. it has since *settled*: for ``CONFIRM_S`` (3 hops, two pitch estimates)
   it stayed voiced within a ``SETTLED`` span whose centre lies at least
   ``NEW_NOTE`` semitones from the current note, and ``BEYOND_REACH``
   beyond the current note's vibrato.

The current note is a running mean of its pitch, so vibrato (60..70 cents
peak once a note is held) averages out and never reaches a new note; a glide
does not settle on the notes it passes; a bend is followed, not counted.
:class:`OnsetMerger` joins these with the flux onsets: an onset of one kind
within ``MERGE_S`` of one of the other kind already taken is the same note.

Delay (live): the pitch tracker's ``latency_hops`` (27 ms at 48 kHz, hop 256),
the rest of the glide after the departure, then ``CONFIRM_S``: 45 ms after
the new pitch arrives, typically 60..75 ms after a slur's glide begins.
``lag_out`` gives, per reported onset, the hops from its departure in the
audio to the report: offline code subtracts it (zero lag).
"""

import numpy as np


class NoteChangeDetector:
    """Causal note-change onsets from :class:`~visualizer.analysis.pitch.PitchTracker` rows.

    ``process(pitch, onset_out, lag_out)``: ``pitch`` (hops, 8) the tracker's
    output rows (pitch_hz and voiced in columns 0 and 2); writes True in
    ``onset_out`` on each hop a note change is confirmed and, there, in
    ``lag_out`` the hops from its departure in the audio to this hop.
    State carries over between calls (any batching gives the same result).
    Pitches are semitones from A440 (no tuning needed: only changes count).
    """

    LEAVE = 0.5
    """Semitones from the current note at which the pitch has left it."""
    NEW_NOTE = 0.75
    """The settled pitch lies at least this far from the current note:
    half a semitone of hysteresis beyond the rounding boundary."""
    SETTLED = 0.35
    """Span (semitones) the pitch stays in over the confirmation."""
    FOLLOW_S = 0.15
    """The current note is the pitch averaged over this time constant (a 5 Hz
    vibrato moves the average by a fifth of its depth)."""
    BEYOND_REACH = 0.4
    REACH_S = 0.3
    DELAY_S = 0.05
    """A new note must also lie ``BEYOND_REACH`` semitones beyond the largest
    deviation of the current note's pitch from it (decaying over ``REACH_S``,
    taken ``DELAY_S`` late so that a departure's own start does not count):
    a wide vibrato raises the bar, a straight note does not."""
    SETTLE_S = 0.1
    """For this long after a note's confirmation the pitch is still finishing
    its glide or scoop: the note is the plain mean of its pitch so far, and
    its reach does not count yet (vibrato has not begun)."""
    CONFIRM_S = 0.016
    """How long the pitch stays settled before a change counts: three hops
    at 48 kHz, two pitch estimates. One estimate, and a glide across a
    fourth (or a two-estimate transition glitch) would confirm a note on
    its way (an onset too many); longer only delays."""

    def __init__(self, *, hop_seconds: float, pitch_latency_hops: int):
        self.confirm = max(2, int(round(self.CONFIRM_S / hop_seconds)))
        self.pitch_latency_hops = int(pitch_latency_hops)
        self._follow = 1.0 - np.exp(-hop_seconds / self.FOLLOW_S)
        self._fade = np.exp(-hop_seconds / self.REACH_S)
        self._settle = int(round(self.SETTLE_S / hop_seconds))
        self._delay = max(1, int(round(self.DELAY_S / hop_seconds)))
        self.count = 0
        self.reset()

    def reset(self) -> None:
        """Forget the current note."""
        self._cur = None                 # the current note, semitones (float)
        self._reach = 0.0                # how far its vibrato swings (semitones)
        self._age = 0                    # voiced hops since it was confirmed
        self._sum = 0.0                  # its pitch summed since then
        self._line = [0.0] * self._delay  # the last DELAY_S of deviations, oldest first
        self._away = -1                  # hop index of the departure, -1: not away
        self._recent: list[float] = []   # the last `confirm` voiced pitches
        self._hop = 0

    def process(self, pitch: np.ndarray, onset_out: np.ndarray, lag_out: np.ndarray) -> None:
        """See the class docstring. ``onset_out`` (hops,) bool, ``lag_out`` (hops,) int."""
        h = pitch.shape[0]
        onset_out[:h] = False
        lag_out[:h] = 0
        voiced = pitch[:, 2] > 0.5
        semis = np.log2(np.where(voiced, np.maximum(pitch[:, 0], 1e-3), 440.0) / 440.0) * 12.0
        semis, voiced = semis.tolist(), voiced.tolist()
        for i in range(h):
            if self._step(voiced[i], semis[i]):
                onset_out[i] = True
                lag_out[i] = self._hop - self._away + self.pitch_latency_hops
                self.count += 1
            self._hop += 1

    def _step(self, voiced: bool, m: float) -> bool:
        """One hop; True when a note change is confirmed on it."""
        recent = self._recent
        if not voiced:
            recent.clear()               # settling restarts after a gap; the note holds
            return False
        recent.append(m)
        if len(recent) > self.confirm:
            del recent[0]
        settled = len(recent) == self.confirm and max(recent) - min(recent) <= self.SETTLED
        if self._cur is None:            # the first note: an attack, flux's to hear
            if settled:
                self._confirmed(sum(recent) / len(recent))
            return False
        cur = self._cur                  # the note as it was before this hop
        self._follow_note(m)
        if abs(m - cur) <= self.LEAVE:
            self._away = -1
            return False
        if self._away < 0:
            self._away = self._hop
        if not settled:
            return False
        centre = sum(recent) / len(recent)
        if abs(centre - cur) < max(self.NEW_NOTE, self._reach + self.BEYOND_REACH):
            return False
        self._confirmed(centre)
        return True

    def _follow_note(self, m: float) -> None:
        """Update the current note and how far its vibrato reaches."""
        self._age += 1
        if self._age <= self._settle:    # the plain mean since the confirmation
            self._sum += m
            self._cur = self._sum / (self._age + 1)
            dev = 0.0                    # the glide or scoop is ending: not vibrato
        else:
            # Every voiced hop counts, even a swing beyond LEAVE (or a wide
            # vibrato would bias the average to one side).
            dev = abs(m - self._cur)
            self._cur += self._follow * (m - self._cur)
        # The reach takes deviations of DELAY_S ago, so the start of a
        # departure (still within LEAVE) does not raise the bar for itself.
        line = self._line
        line.append(dev if dev <= self.LEAVE else 0.0)
        self._reach = max(self._reach * self._fade, line.pop(0))

    def _confirmed(self, centre: float) -> None:
        self._cur, self._sum, self._reach, self._age = centre, centre, 0.0, 0
        self._line[:] = [0.0] * len(self._line)


class OnsetMerger:
    """Joins onsets from several detectors into one stream, causally.

    Each onset comes with its event hop (the report hop minus its lag) and
    its source. One within ``merge_hops`` of an onset already taken from
    *another* source is the same note heard twice, and is dropped. (Each
    detector keeps its own onsets apart: two flux onsets 35 ms apart are two
    events, a grace note and its note.)
    """

    MERGE_S = 0.04
    """Two onsets of different sources closer than this are one note. Fast
    runs (16ths at 220 BPM) are 68 ms apart; the detectors agree on a note
    within ~20 ms."""

    def __init__(self, *, hop_seconds: float):
        self.merge_hops = max(1, int(round(self.MERGE_S / hop_seconds)))
        self._taken: list[tuple[int, int]] = []   # (event hop, source) of recent onsets
        self.count = 0

    def reset(self) -> None:
        """Forget every onset."""
        self._taken.clear()
        self.count = 0

    def offer(self, event_hop: int, source: int) -> bool:
        """An onset from ``source`` whose audio event is at ``event_hop``: True if it is new."""
        taken = self._taken
        if any(src != source and abs(event_hop - hop) <= self.merge_hops for hop, src in taken):
            return False
        taken.append((event_hop, source))
        if len(taken) > 8:
            del taken[0]
        self.count += 1
        return True
