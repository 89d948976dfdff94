"""MIDI learn: move a control, name what it does, and it is bound and saved.

Target first (:meth:`MidiLearn.arm`, then move a control) or control first
(:meth:`MidiLearn.listen`, move a control, then arm): the control is bound
to the target in the mapping at once and the mapping file is saved, its
comments kept where its layout allows (:mod:`visualizer.control.midi.mapfile`).
A binding replaces every earlier one of the same control; an action learned
on a sustain-style pedal CC (64-69) becomes a [[footswitch]] press.
"""

import threading
from pathlib import Path

from visualizer.control.midi.mapfile import save
from visualizer.control.midi.mapping import CONTINUOUS, KINDS, NUMBER, SWITCH_CCS, MidiMap
from visualizer.errors import ControlError


class MidiLearn:
    """Binds the next control that moves to an armed target and saves the
    mapping file (created if missing; its comments are kept where possible)."""

    def __init__(self, mapping: MidiMap, path: str | Path | None = None):
        self.mapping = mapping
        self.path = Path(path) if path is not None else mapping.path
        if self.path is None:
            raise ControlError("MIDI learn: no mapping file to save to")
        if mapping.path is None:
            mapping.path = self.path
        self._entry: dict | None = None
        self._listening = False
        self._moved = None       # the control moved while listening, bound by arm()
        self._lock = threading.Lock()
        self.last = ""
        """What the last learn bound, e.g. ``cc 21 -> param vortex.spin`` (for the HUD)."""

    @property
    def armed(self) -> bool:
        return self._entry is not None

    def arm(self, target) -> None:
        """Wait for a control for ``target``: an action name ("intensity",
        "next_cue", "blackout", ...) or a tuple: ("param", scene, name),
        ("scene", key), ("scene_index", n), ("song", name or number),
        (action, value). Raises ControlError for a target that cannot be bound."""
        entry = _target_entry(target)
        self.mapping.binding("MIDI learn", entry, "cc" if _knob(entry) else "footswitch")  # validates
        with self._lock:
            moved, self._moved, self._listening = self._moved, None, False
            self._entry = entry
        if moved is not None:   # the control came first: bind it now
            self.offer(moved)

    def listen(self) -> None:
        """Learn mode, control first: controls moved from now on do nothing;
        the last of them is bound by the next :meth:`arm`."""
        with self._lock:
            self._listening, self._moved = True, None

    def cancel(self) -> None:
        with self._lock:
            self._entry, self._listening, self._moved = None, False, None

    def offer(self, msg) -> bool:
        """Learn ``msg`` if armed and it is a CC, note-on or program change;
        True when it was learned or held for a later arm() (it then does
        nothing else)."""
        kind = {"control_change": "cc", "note_on": "note", "program_change": "program"}.get(msg.type)
        if kind is None or (kind == "note" and msg.velocity == 0):
            return False
        if self._entry is None:
            if not self._listening:
                return False
            with self._lock:
                if self._listening:
                    self._moved = msg
                    return True
        with self._lock:
            entry = self._entry
            if entry is None or (kind == "program" and _knob(entry)):
                return False                    # a program change has no value to turn
            self._entry = None
            number = getattr(msg, {"cc": "control", "note": "note", "program": "program"}[kind])
            if kind == "cc" and not _knob(entry) and number in SWITCH_CCS:
                kind, new = "footswitch", {"cc": number, "press": _inline(entry)}
            else:
                new = {NUMBER[kind]: number, **entry}
            if self.mapping.channel is not None and msg.channel != self.mapping.channel:
                new["channel"] = msg.channel
            old = self.mapping.data
            data, removed = _rebind(old, kind, new, msg.channel, self.mapping.channel)
            self.mapping.check(data)                 # raises before anything is written
            save(self.path, old, data, removed, {kind: new})
            self.mapping.install(data)
            self.last = f"{NUMBER[kind]} {number} -> {_describe(entry)}"
            return True


def _target_entry(target) -> dict:
    """An arm() target as a mapping entry's action keys."""
    if isinstance(target, str):
        return {"action": target}
    if not isinstance(target, tuple) or not target:
        raise ControlError(f"MIDI learn: {target!r}: expected an action or a tuple")
    action, *args = target
    if not args:
        return {"action": action}
    if action == "param" and len(args) == 2:
        scene, name = args
        return {"action": "param", **({"scene": scene} if scene else {}), "param": name}
    if action == "fx_param" and len(args) == 2:
        return {"action": "fx_param", "fx": args[0], "param": args[1]}
    if action == "fx" and len(args) == 1:
        return {"action": "fx", "fx": args[0]}
    key = {"scene": "scene", "scene_index": "index", "song": "song"}.get(action, "value")
    if len(args) != 1:
        raise ControlError(f"MIDI learn: {target!r}: expected ({action!r}, {key})")
    return {"action": action, key: args[0]}


def _knob(entry: dict) -> bool:
    """Whether a target takes its value from the control (a knob, a pedal, velocity)."""
    return entry["action"] in CONTINUOUS and "value" not in entry


def _inline(entry: dict):
    return entry["action"] if len(entry) == 1 else dict(entry)


def _describe(entry: dict) -> str:
    if entry["action"] == "param":
        return f"param {entry.get('scene') or '(current)'}.{entry['param']}"
    if entry["action"] == "fx_param":
        return f"fx {entry['fx']}.{entry['param']}"
    args = [str(v) for k, v in entry.items() if k != "action"]
    return " ".join([entry["action"], *args])


def _rebind(data: dict, kind: str, new: dict, channel: int, default: int | None):
    """``data`` with every binding of the control ``new`` names replaced by
    ``new``; also which entries (kind -> indices) were removed."""
    same = ("cc", "footswitch") if kind in ("cc", "footswitch") else (kind,)
    number = new[NUMBER[kind]]
    out = {k: v for k, v in data.items() if k not in KINDS}
    removed = {}
    for k in KINDS:
        entries = data.get(k, [])
        gone = [i for i, e in enumerate(entries) if k in same and e.get(NUMBER[k]) == number
                and e.get("channel", default) in (None, channel)]
        kept = [e for i, e in enumerate(entries) if i not in gone]
        removed[k] = gone
        if k == kind:
            kept.append(new)
        if kept:
            out[k] = kept
    return out, removed
