"""What a mapped MIDI control does when it moves: a :class:`Binding` sends
its commands, a :class:`Footswitch` turns a pedal's up and down into
press, hold and double.

Footswitch timing: with only ``press`` it fires on the down edge. With
``hold``, ``press`` fires on a release before ``hold_seconds``. With
``double``, a single press must wait out the double window (``double_seconds``
from its down edge) before ``press`` fires: the price of telling one press
from two. The double itself fires on the second down edge, so tap tempo has no
added latency. Waiting is done by :meth:`Footswitch.expire`, which the render
loop reaches every frame through ``MidiInput.poll`` (no timer thread): timed
actions land within a frame.
"""

import math
from dataclasses import dataclass, replace

from visualizer.control.bus import Command


@dataclass(frozen=True)
class Binding:
    """What one entry sends: fixed commands, or commands whose value is the
    control's 0..127 mapped onto lo..hi (``scaled``)."""

    commands: tuple[Command, ...]
    scaled: bool = False
    lo: float = 0.0
    hi: float = 1.0

    def emit(self, raw: int, out: list) -> None:
        """Append the commands for the control's value ``raw`` (0..127) to ``out``."""
        if not self.scaled:
            out.extend(self.commands)
            return
        value = self.lo + (self.hi - self.lo) * raw / 127.0
        out.extend(replace(c, value=value) for c in self.commands)


@dataclass
class Footswitch:
    """A pedal's press / hold / double state machine (see the module docstring).

    Not thread-safe by itself: the mapping that owns it holds its lock.
    """

    press: Binding | None
    hold: Binding | None
    double: Binding | None
    hold_s: float = 0.8
    double_s: float = 0.35
    down: bool = False
    down_at: float = 0.0
    decided: bool = True          # this press has fired (or is waiting as `pending`)
    pending: float | None = None  # down time of a released single awaiting a second press

    def edge(self, is_down: bool, now: float, out: list) -> None:
        """The pedal is down (or up) at ``now``; append what that fires to ``out``."""
        self.expire(now, out)
        if is_down == self.down:
            return                # pedals that stream values repeat their state
        self.down = is_down
        if is_down:
            self.down_at, self.decided = now, False
            if self.pending is not None:
                self.pending, self.decided = None, True
                self._fire(self.double, out)
            elif self.hold is None and self.double is None:
                self.decided = True
                self._fire(self.press, out)
        elif not self.decided:
            self.decided = True
            if self.double is not None and now < self.down_at + self.double_s:
                self.pending = self.down_at
            else:
                self._fire(self.press, out)

    def expire(self, now: float, out: list) -> None:
        """Append to ``out`` what has fallen due by ``now`` (a hold, a single press)."""
        if self.pending is not None and now >= self.pending + self.double_s:
            self.pending = None
            self._fire(self.press, out)
        if self.down and not self.decided:
            if self.hold is not None:
                if now >= self.down_at + self.hold_s:
                    self.decided = True
                    self._fire(self.hold, out)
            elif now >= self.down_at + self.double_s:   # still down: it cannot be a double
                self.decided = True
                self._fire(self.press, out)

    def deadline(self) -> float:
        """When :meth:`expire` next has something to do (inf: nothing waits)."""
        if self.pending is not None:
            return self.pending + self.double_s
        if self.down and not self.decided:
            return self.down_at + (self.hold_s if self.hold is not None else self.double_s)
        return math.inf

    @staticmethod
    def _fire(what: Binding | None, out: list) -> None:
        if what is not None:
            what.emit(0, out)
