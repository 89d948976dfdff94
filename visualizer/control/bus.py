"""The control bus: keys, MIDI, OSC, the setlist and the automatic mode post
commands here from any thread; the render loop drains them once per frame.

Posting never blocks and never raises: a full bus drops the oldest command
and counts it. Control threads touch nothing else, so an exception in a
MIDI or OSC handler cannot reach the render loop, and all GL stays on the
main thread.
"""

import threading
from collections import deque
from dataclasses import dataclass

ACTIONS = {
    "scene": "switch to scene `target` (its key) with its transition",
    "scene_index": "switch to scene number `value` (0-based, the keys 1-9 order)",
    "next_scene": "the next scene in key order",
    "prev_scene": "the previous scene in key order",
    "next_cue": "the setlist's next cue (the next song after its last)",
    "prev_cue": "the setlist's previous cue",
    "song": "jump to the setlist's song `target` (its name) or number `value`",
    "look": "crossfade scene `scene` ('' the current) to its look `target` ('' its next look)",
    "param": "set parameter `target` of scene `scene` ('' the current) to `value`"
             " (0..1 of its range when `normalized`)",
    "fx": "effect `target` on (`value` 1), off (0) or toggle (-1); on scene `scene` only"
          " if one is named, else on the program picture",
    "fx_look": "crossfade effect `scene` to its look `target` ('' its next look)",
    "fx_param": "set parameter `target` of effect `scene` to `value`"
                " (0..1 of its range when `normalized`)",
    "intensity": "the master intensity, `value` 0..1 (an expression pedal)",
    "blackout": "fade to black (`value` 1), back (0), or toggle (-1)",
    "freeze": "hold the picture (`value` 1), release (0), or toggle (-1)",
    "tap": "tap tempo",
    "hud": "show the heads-up display (1), hide (0), or toggle (-1)",
    "record": "start recording (1), stop (0), or toggle (-1)",
    "auto": "automatic scene changes on (1), off (0), or toggle (-1)",
}
"""Every command the show understands, and what it does."""

TOGGLE = -1.0


@dataclass(frozen=True)
class Command:
    """One thing a control asks of the show."""

    action: str
    target: str = ""
    value: float = 0.0
    scene: str = ""
    normalized: bool = False
    source: str = ""   # "key", "midi", "osc", "setlist", "auto": for the HUD and logs

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action '{self.action}' (known: {', '.join(ACTIONS)})")


class ControlBus:
    """A bounded many-writer, one-reader queue of commands with counters."""

    def __init__(self, capacity: int = 1024):
        self._queue: deque[Command] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()   # writers only; held for an append
        self.posted = 0
        self.dropped = 0      # oldest commands dropped because the bus was full
        self.rejected = 0     # malformed or unknown messages a control ignored
        self.failed = 0       # commands whose handling raised (counted, not fatal)
        self.last_error = ""

    def post(self, command: Command) -> None:
        """Queue ``command``; from any thread, never blocks on the reader."""
        with self._lock:
            if len(self._queue) >= self._capacity:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(command)
            self.posted += 1

    def reject(self, why: str) -> None:
        """Count a message a control could not understand. ``why`` is kept
        as ``last_error``: controls pass constant text for floods (OSC's bad
        datagrams), so a flood costs a count, not a string each."""
        with self._lock:
            self.rejected += 1
            self.last_error = why

    def summary(self) -> str:
        """One line on what went wrong, for the HUD; "" when nothing did."""
        if not (self.failed or self.rejected):
            return ""
        counts = [f"{self.failed} control commands failed" if self.failed else "",
                  f"{self.rejected} control messages ignored" if self.rejected else ""]
        return f"{', '.join(c for c in counts if c)} (last: {self.last_error})"

    def pop(self) -> Command | None:
        """The oldest queued command, or None (the render thread; allocates nothing)."""
        try:
            return self._queue.popleft()
        except IndexError:
            return None

    def drain(self) -> list[Command]:
        """Every queued command, oldest first."""
        out = []
        while (command := self.pop()) is not None:
            out.append(command)
        return out
