"""MIDI control: foot pedals, pads, knobs and program changes post commands
to the control bus (mido over python-rtmidi).

A mapping file (TOML) says what each control does:

    channel = 0              # listen to this channel only (0-15; default all)
    program_scenes = true    # program change N picks scene N (default) unless
                             # a [[program]] entry says otherwise
    [[note]]                 # a pad: note-on with velocity > 0
    note = 36
    action = "scene"         # any control action (control.ACTIONS)
    scene = "vortex"

    [[program]]
    program = 3
    action = "next_cue"

    [[cc]]                   # a knob or expression pedal: 0..127 sweeps
    cc = 21                  # `range` (default [0, 1]) of the parameter's range
    action = "param"
    scene = "vortex"         # "" or left out: the current scene
    param = "spin"
    range = [0.2, 1.0]       # [1, 0] turns the knob around

    [[cc]]                   # one knob for every scene: the parameter it moves in each
    cc = 22
    action = "param"
    params = { vortex = "flare", club = "spot" }

    [[cc]]                   # any other action makes the CC a button: it fires
    cc = 80                  # when the value rises through 64
    action = "blackout"

    [[footswitch]]           # a sustain-style pedal: CC >= 64 is down
    cc = 64
    press = "next_cue"       # an action, or { action = "scene", scene = "night" }
    hold = "prev_cue"        # held for hold_seconds (0.8): fires once, while held
    double = "tap"           # a second press within double_seconds (0.35)

Action arguments: ``scene`` (scene), ``index`` (scene_index, 0-based),
``song`` (song: a name or a number), ``param`` with ``scene``, or ``params``
(param), ``value`` (param and intensity: 0..1, default the note's velocity or
the CC's value; blackout, freeze, hud, record, auto: 1 on, 0 off, -1 toggle,
the default). Any entry may name its own ``channel``. Several entries may
share a control and each sends its command; a footswitch's CC is its own.
Errors name the file and the table counting from 1:
``midi.toml: [[cc]] 2: action: unknown action 'jump' (known: ...)``.

Footswitch timing: with only ``press`` it fires on the down edge. With
``hold``, ``press`` fires on a release before ``hold_seconds``. With
``double``, a single press must wait out the double window (``double_seconds``
from its down edge) before ``press`` fires: the price of telling one press
from two. The double itself fires on the second down edge, so tap tempo has no
added latency. Waiting is done by :meth:`MidiInput.poll`, which the render
loop calls every frame (no timer thread): timed actions land within a frame.

Messages nothing is mapped to (note-offs, clock, sysex, pitch bend) are
counted as ignored, not errors. mido drops bytes a port sends that do not
parse before they reach :meth:`MidiInput.feed`; feed() also takes raw bytes
and counts malformed ones with ``bus.reject``, as it does any exception.
"""

import json
import math
import os
import re
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from visualizer.control.bus import ACTIONS, Command, ControlBus, TOGGLE
from visualizer.errors import ControlError
from visualizer.userfile import label, read_toml, shown

KINDS = ("note", "program", "cc", "footswitch")
"""The tables of a mapping file, in the order a written file lists them."""
_NUMBER = {"note": "note", "program": "program", "cc": "cc", "footswitch": "cc"}
_ARGS = {"scene", "index", "song", "param", "params", "value", "range"}
_KEYS = {
    "note": {"note", "channel", "action"} | _ARGS,
    "program": {"program", "channel", "action"} | _ARGS,
    "cc": {"cc", "channel", "action"} | _ARGS,
    "footswitch": {"cc", "channel", "press", "hold", "hold_seconds", "double", "double_seconds"},
}
_TOP = {"channel", "program_scenes", *KINDS}
_CONTINUOUS = {"param", "intensity"}            # a value 0..1 from the control
_SWITCHED = {"blackout", "freeze", "hud", "record", "auto"}   # on, off or toggle
_USES = {"scene": {"scene"}, "scene_index": {"index"}, "song": {"song"},
         "param": {"scene", "param", "params", "value", "range"},
         "intensity": {"value", "range"}, **{a: {"value"} for a in _SWITCHED}}
SWITCH_CCS = range(64, 70)
"""The on/off pedal CCs of the MIDI spec (sustain .. hold 2): MIDI learn makes
an action learned on one of them a [[footswitch]] press."""


@dataclass(frozen=True)
class _Out:
    """What one entry sends: fixed commands, or commands whose value is the
    control's 0..127 mapped onto lo..hi (``scaled``)."""

    commands: tuple[Command, ...]
    scaled: bool = False
    lo: float = 0.0
    hi: float = 1.0

    def emit(self, raw: int, out: list) -> None:
        if not self.scaled:
            out.extend(self.commands)
            return
        value = self.lo + (self.hi - self.lo) * raw / 127.0
        out.extend(replace(c, value=value) for c in self.commands)


@dataclass
class _Footswitch:
    """A pedal's press / hold / double state machine (see the module docstring)."""

    press: _Out | None
    hold: _Out | None
    double: _Out | None
    hold_s: float = 0.8
    double_s: float = 0.35
    down: bool = False
    down_at: float = 0.0
    decided: bool = True          # this press has fired (or is waiting as `pending`)
    pending: float | None = None  # down time of a released single awaiting a second press

    def edge(self, is_down: bool, now: float, out: list) -> None:
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
        if self.pending is not None:
            return self.pending + self.double_s
        if self.down and not self.decided:
            return self.down_at + (self.hold_s if self.hold is not None else self.double_s)
        return math.inf

    @staticmethod
    def _fire(what: _Out | None, out: list) -> None:
        if what is not None:
            what.emit(0, out)


class MidiMap:
    """A validated mapping from MIDI messages to commands, with the footswitch
    state. Thread-safe: ports' callbacks call :meth:`command`, the render loop
    :meth:`poll`, MIDI learn :meth:`install`."""

    def __init__(self, scenes: list[str], params: dict[str, list[str]], *,
                 path: str | Path | None = None, data: dict | None = None):
        """An empty mapping (program changes still pick scenes), or ``data``
        as read from a mapping file at ``path``."""
        self.scenes = list(scenes)
        self.params = {k: list(v) for k, v in params.items()}
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._deadline = math.inf
        self.data: dict = {}
        self.install(data or {})

    @classmethod
    def load(cls, path: str | Path, scenes: list[str], params: dict[str, list[str]], *,
             missing_ok: bool = False) -> "MidiMap":
        """Read and validate a mapping file; ``missing_ok`` gives an empty
        mapping for a file that does not exist yet (MIDI learn creates it)."""
        if missing_ok and not Path(path).exists():
            return cls(scenes, params, path=path)
        return cls(scenes, params, path=path, data=read_toml(Path(path), ControlError, "MIDI map"))

    # -- building -------------------------------------------------------------

    def install(self, data: dict) -> None:
        """Validate ``data`` (a mapping file's tables) and use it from now on;
        raises ControlError and keeps the old mapping if it is invalid."""
        tables = self._compile(data)
        with self._lock:
            self.data = data
            (self.channel, self.program_scenes, self._notes, self._programs,
             self._ccs, self._switches) = tables
            self._switch_list = [sw for entries in self._switches.values() for _, sw in entries]
            self._cc_last: dict[tuple[int, int], int] = {}
            self._deadline = math.inf

    def _err(self, text: str) -> ControlError:
        return ControlError(f"{self.path or 'MIDI map'}: {text}")

    def _compile(self, data: dict):
        if not isinstance(data, dict):
            raise self._err("expected a table")
        for key in data:
            if key not in _TOP:
                raise self._err(f"{label(key)}: unknown key (known: {', '.join(sorted(_TOP))})")
        channel = self._channel("channel", data.get("channel"))
        program_scenes = data.get("program_scenes", True)
        if not isinstance(program_scenes, bool):
            raise self._err("program_scenes: expected true or false")
        tables = {kind: {} for kind in KINDS}
        for kind in KINDS:
            entries = data.get(kind, [])
            if not isinstance(entries, list):
                raise self._err(f"{kind}: expected [[{kind}]] tables")
            for i, spec in enumerate(entries):
                where = f"[[{kind}]] {i + 1}"
                number, ch, out = self._entry(kind, where, spec, channel)
                if kind == "footswitch" and any(_overlap(c, ch) for c, _ in tables[kind].get(number, ())):
                    raise self._err(f"{where}: cc {number} already has a footswitch")
                tables[kind].setdefault(number, []).append((ch, out))
        for number, switches in tables["footswitch"].items():
            for ch, _ in switches:
                if any(_overlap(c, ch) for c, _ in tables["cc"].get(number, ())):
                    raise self._err(f"cc {number} is both a [[footswitch]] and a [[cc]]")
        return (channel, program_scenes, tables["note"], tables["program"],
                tables["cc"], tables["footswitch"])

    def _entry(self, kind: str, where: str, spec, channel):
        if not isinstance(spec, dict):
            raise self._err(f"{where}: expected a table")
        for key in spec:
            if key not in _KEYS[kind]:
                raise self._err(f"{where}: {label(key)}: unknown key "
                                f"(known: {', '.join(sorted(_KEYS[kind]))})")
        name = _NUMBER[kind]
        number = spec.get(name)
        if not _int(number) or not 0 <= number <= 127:
            raise self._err(f"{where}: {name}: expected a number 0..127")
        ch = self._channel(f"{where}: channel", spec.get("channel", channel))
        if kind != "footswitch":
            return number, ch, self._out(where, spec, kind)
        actions = {}
        for key in ("press", "hold", "double"):
            value = spec.get(key)
            if isinstance(value, str):
                value = {"action": value}
            if value is not None and not isinstance(value, dict):
                raise self._err(f"{where}: {key}: expected an action or a table")
            actions[key] = None if value is None else self._out(f"{where}: {key}", value, kind)
        if not any(actions.values()):
            raise self._err(f"{where}: expected press, hold or double")
        times = {}
        for key, default in (("hold_seconds", 0.8), ("double_seconds", 0.35)):
            value = spec.get(key, default)
            if not _num(value) or not 0 < value <= 10:
                raise self._err(f"{where}: {key}: expected seconds in (0, 10]")
            times[key] = float(value)
        return number, ch, _Footswitch(actions["press"], actions["hold"], actions["double"],
                                       times["hold_seconds"], times["double_seconds"])

    def _channel(self, where: str, value) -> int | None:
        if value is not None and (not _int(value) or not 0 <= value <= 15):
            raise self._err(f"{where}: expected a MIDI channel 0..15")
        return value

    def _out(self, where: str, spec: dict, kind: str) -> _Out:
        """The commands of one action ``spec`` (``action`` and its arguments)."""
        action = spec.get("action")
        if not isinstance(action, str) or action not in ACTIONS:
            got = "missing" if action is None else f"unknown action {shown(action)}"
            raise self._err(f"{where}: action: {got} (known: {', '.join(ACTIONS)})")
        for key in spec.keys() & _ARGS:
            if key not in _USES.get(action, ()):
                raise self._err(f"{where}: {key}: not used by action '{action}'")
        if kind == "footswitch" and spec.keys() - _ARGS - {"action"}:
            bad = sorted(spec.keys() - _ARGS - {"action"})[0]
            raise self._err(f"{where}: {label(bad)}: unknown key")
        value = spec.get("value")
        scaled = action in _CONTINUOUS and value is None and kind in ("note", "cc")
        if value is not None:
            if action in _SWITCHED and value not in (0, 1, -1):
                raise self._err(f"{where}: value: expected 1 (on), 0 (off) or -1 (toggle)")
            if action in _CONTINUOUS and (not _num(value) or not 0 <= value <= 1):
                raise self._err(f"{where}: value: expected a number 0..1")
        elif action in _CONTINUOUS and not scaled:
            raise self._err(f"{where}: value: missing (0..1)")
        value = float(TOGGLE if value is None and action in _SWITCHED else value or 0.0)
        lo, hi = 0.0, 1.0
        if "range" in spec:
            rng = spec["range"]
            if not scaled or not (isinstance(rng, list) and len(rng) == 2
                                  and all(_num(v) and 0 <= v <= 1 for v in rng) and rng[0] != rng[1]):
                raise self._err(f"{where}: range: expected [low, high] within 0..1 on a knob or pad"
                                " without a value")
            lo, hi = float(rng[0]), float(rng[1])
        commands = self._commands(where, action, spec, value)
        return _Out(commands, scaled, lo, hi)

    def _commands(self, where: str, action: str, spec: dict, value: float) -> tuple[Command, ...]:
        if action == "scene":
            scene = spec.get("scene")
            if scene not in self.scenes:
                raise self._err(f"{where}: scene: {shown(scene)} is not a scene "
                                f"(known: {', '.join(self.scenes)})")
            return (Command("scene", target=scene, source="midi"),)
        if action == "scene_index":
            index = spec.get("index")
            if not _int(index) or not 0 <= index < max(len(self.scenes), 1):
                raise self._err(f"{where}: index: expected a scene number 0..{len(self.scenes) - 1}")
            return (Command("scene_index", value=float(index), source="midi"),)
        if action == "song":
            song = spec.get("song")
            if isinstance(song, str) and song:
                return (Command("song", target=song, source="midi"),)
            if _int(song) and song >= 0:
                return (Command("song", value=float(song), source="midi"),)
            raise self._err(f"{where}: song: expected a song's name or number")
        if action == "param":
            if "params" in spec:
                pairs = spec["params"]
                if "param" in spec or "scene" in spec or not isinstance(pairs, dict) or not pairs:
                    raise self._err(f"{where}: params: expected {{ scene = \"param\", ... }}"
                                    " (and no param or scene)")
                pairs = list(pairs.items())
            else:
                pairs = [(spec.get("scene", ""), spec.get("param"))]
            return tuple(Command("param", target=self._param(where, s, p), scene=s, value=value,
                                 normalized=True, source="midi") for s, p in pairs)
        return (Command(action, value=value, source="midi"),)

    def _param(self, where: str, scene, param) -> str:
        if not isinstance(param, str) or not isinstance(scene, str):
            raise self._err(f"{where}: param: expected a parameter name (and scene a scene key)")
        if scene == "":
            if not any(param in names for names in self.params.values()):
                raise self._err(f"{where}: param: {shown(param)} is not a parameter of any scene")
            return param
        if scene not in self.params:
            raise self._err(f"{where}: scene: {shown(scene)} is not a scene "
                            f"(known: {', '.join(self.params)})")
        if param not in self.params[scene]:
            raise self._err(f"{where}: param: {shown(param)} is not a parameter of scene {shown(scene)}"
                            f" (its parameters: {', '.join(self.params[scene]) or 'none'})")
        return param

    # -- running --------------------------------------------------------------

    def command(self, msg, now: float) -> list[Command] | None:
        """The commands a mido message asks for: None if nothing is mapped to
        it, a list (empty while a footswitch waits) if something is; ``now``
        in seconds on the clock :meth:`poll` gets."""
        out: list[Command] = []
        kind, channel = msg.type, getattr(msg, "channel", None)
        with self._lock:
            if kind == "control_change":
                number, value = msg.control, msg.value
                hit = False
                for ch, sw in self._switches.get(number, ()):
                    if ch is None or ch == channel:
                        hit = True
                        sw.edge(value >= 64, now, out)
                        self._deadline = min(s.deadline() for s in self._switch_list)
                entries = self._ccs.get(number)
                if entries:
                    key = (channel, number)
                    rising = value >= 64 > self._cc_last.get(key, 0)
                    self._cc_last[key] = value
                    for ch, o in entries:
                        if ch is None or ch == channel:
                            hit = True
                            if o.scaled or rising:
                                o.emit(value, out)
            elif kind == "note_on" and msg.velocity > 0:
                hit = _emit(self._notes.get(msg.note), channel, msg.velocity, out)
            elif kind == "program_change":
                hit = _emit(self._programs.get(msg.program), channel, 0, out)
                if not hit and self.program_scenes and msg.program < len(self.scenes) \
                        and self.channel in (None, channel):
                    hit = True
                    out.append(Command("scene_index", value=float(msg.program), source="midi"))
            else:
                hit = False              # note-off, clock, sysex, pitch bend, ...
        return out if hit else None

    def poll(self, now: float) -> tuple[Command, ...] | list[Command]:
        """Footswitch actions that fell due by ``now`` (hold, the end of a
        double window). For the render loop: one compare when none is due,
        and it never waits for the lock (a busy lock means: next frame)."""
        if now < self._deadline or not self._lock.acquire(blocking=False):
            return ()
        try:
            out: list[Command] = []
            for sw in self._switch_list:
                sw.expire(now, out)
            self._deadline = min(sw.deadline() for sw in self._switch_list)
            return out
        finally:
            self._lock.release()


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
        self.mapping._out("MIDI learn", entry, "cc" if _knob(entry) else "footswitch")  # validates
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
                new = {_NUMBER[kind]: number, **entry}
            if self.mapping.channel is not None and msg.channel != self.mapping.channel:
                new["channel"] = msg.channel
            old = self.mapping.data
            data, removed = _rebind(old, kind, new, msg.channel, self.mapping.channel)
            self.mapping._compile(data)                 # raises before anything is written
            _save(self.path, old, data, removed, {kind: new})
            self.mapping.install(data)
            self.last = f"{_NUMBER[kind]} {number} -> {_describe(entry)}"
            return True


class MidiInput:
    """MIDI ports -> :class:`MidiMap` -> the control bus. Ports call
    :meth:`feed` from rtmidi's thread; errors there are counted on the bus
    (``bus.rejected``, ``bus.last_error``), never raised."""

    def __init__(self, bus: ControlBus, mapping: MidiMap, port: str | None = None,
                 learn: MidiLearn | None = None, *, clock=time.monotonic):
        """``port``: (part of) an input's name; None opens every input but
        ALSA's "Midi Through". Nothing is opened until :meth:`open`."""
        self.bus = bus
        self.mapping = mapping
        self.port = port
        self.learn = learn
        self.clock = clock
        self.received = 0      # messages fed, from ports or tests
        self.ignored = 0       # messages nothing is mapped to (clock, note-off, sysex, ...)
        self.ports: list = []
        self._count = threading.Lock()   # several ports may call feed at once

    def open(self) -> "MidiInput":
        """Open the input(s) named by ``port``; ControlError if none can be."""
        names = list_ports()
        if self.port is None:
            chosen = [n for n in names if "midi through" not in n.lower()]
            if not chosen:
                raise ControlError(f"MIDI: no input ports (available: {', '.join(names) or 'none'})")
        else:
            exact = [n for n in names if n == self.port]
            chosen = exact or [n for n in names if self.port.lower() in n.lower()][:1]
            if not chosen:
                raise ControlError(f"MIDI input '{self.port}' not found"
                                   f" (available: {', '.join(names) or 'none'})")
        try:
            for name in chosen:
                self._open(name)
        except ControlError:
            self.close()
            raise
        return self

    def open_virtual(self, name: str = "visualizer") -> "MidiInput":
        """Open a virtual input other programs can send to (ALSA, CoreMIDI, JACK)."""
        self._open(name, virtual=True)
        return self

    def _open(self, name: str, virtual: bool = False) -> None:
        try:
            self.ports.append(_backend().open_input(name, virtual=virtual, callback=self.feed))
        except (OSError, NotImplementedError) as e:
            if _no_system(e):
                raise ControlError(f"MIDI: no MIDI system ({_why(e)})") from None
            raise ControlError(f"MIDI input '{name}': cannot open: {e}") from None

    def close(self) -> None:
        """Close every port (their callbacks stop first)."""
        for port in self.ports:
            port.close()
        self.ports = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def feed(self, msg, now: float | None = None) -> None:
        """Handle one message exactly as a port's callback does: a
        mido.Message, or raw bytes (checked: malformed bytes are rejected).
        ``now`` defaults to the clock."""
        import mido

        with self._count:
            self.received += 1
        try:
            if isinstance(msg, (bytes, bytearray, list, tuple)):
                msg = mido.Message.from_bytes(msg)
            if not isinstance(msg, mido.Message):
                raise TypeError(f"not a MIDI message: {msg!r}")
            if self.learn is not None and self.learn.offer(msg):
                return
            commands = self.mapping.command(msg, self.clock() if now is None else now)
        except Exception as e:   # a control thread must never die: count it, keep going
            self.bus.reject(f"MIDI: {type(e).__name__}: {e}")
            return
        if commands is None:
            with self._count:
                self.ignored += 1
            return
        for command in commands:
            self.bus.post(command)

    def poll(self, now: float | None = None) -> int:
        """Post the footswitch actions due by ``now``; the render loop calls
        this each frame. Returns how many it posted."""
        commands = self.mapping.poll(self.clock() if now is None else now)
        for command in commands:
            self.bus.post(command)
        return len(commands)


def list_ports() -> list[str]:
    """The names of the MIDI inputs; ControlError if there is no MIDI system."""
    try:
        return _backend().get_input_names()
    except (OSError, NotImplementedError) as e:
        raise ControlError(f"MIDI: no MIDI system ({_why(e)})") from None


def _backend():
    import mido

    from visualizer.audio.portaudio import silence_native_logs
    # ALSA prints its own "ALSA lib seq_hw.c ... failed" before our one-line
    # error when there is no sequencer: silence it before rtmidi opens ALSA.
    silence_native_logs()
    try:
        return mido.Backend("mido.backends.rtmidi", load=True)
    except ImportError as e:
        raise ControlError(f"MIDI: python-rtmidi is not installed ({e})") from None


def _no_system(e: Exception) -> bool:
    import rtmidi
    return isinstance(e, rtmidi.SystemError)    # rtmidi could not start its MIDI API


def _why(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return f"ALSA sequencer unavailable: {text}" if "alsa" in text.lower() else text


def _emit(entries, channel: int, raw: int, out: list) -> bool:
    """Emit the entries listening on ``channel``; whether there were any."""
    hit = False
    for ch, o in entries or ():
        if ch is None or ch == channel:
            hit = True
            o.emit(raw, out)
    return hit


def _overlap(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# -- learn: targets, rebinding, saving ------------------------------------------

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
    key = {"scene": "scene", "scene_index": "index", "song": "song"}.get(action, "value")
    if len(args) != 1:
        raise ControlError(f"MIDI learn: {target!r}: expected ({action!r}, {key})")
    return {"action": action, key: args[0]}


def _knob(entry: dict) -> bool:
    """Whether a target takes its value from the control (a knob, a pedal, velocity)."""
    return entry["action"] in _CONTINUOUS and "value" not in entry


def _inline(entry: dict):
    return entry["action"] if len(entry) == 1 else dict(entry)


def _describe(entry: dict) -> str:
    if entry["action"] == "param":
        return f"param {entry.get('scene') or '(current)'}.{entry['param']}"
    args = [str(v) for k, v in entry.items() if k != "action"]
    return " ".join([entry["action"], *args])


def _rebind(data: dict, kind: str, new: dict, channel: int, default: int | None):
    """``data`` with every binding of the control ``new`` names replaced by
    ``new``; also which entries (kind -> indices) were removed."""
    same = ("cc", "footswitch") if kind in ("cc", "footswitch") else (kind,)
    number = new[_NUMBER[kind]]
    out = {k: v for k, v in data.items() if k not in KINDS}
    removed = {}
    for k in KINDS:
        entries = data.get(k, [])
        gone = [i for i, e in enumerate(entries) if k in same and e.get(_NUMBER[k]) == number
                and e.get("channel", default) in (None, channel)]
        kept = [e for i, e in enumerate(entries) if i not in gone]
        removed[k] = gone
        if k == kind:
            kept.append(new)
        if kept:
            out[k] = kept
    return out, removed


_HEADER = re.compile(r"^\s*\[\[\s*(\w+)\s*\]\]\s*(#.*)?$")


def _save(path: Path, old: dict, new: dict, removed: dict, added: dict) -> None:
    """Write ``new`` to ``path``: edit the file's text when it still holds
    ``old`` (its comments stay), else write the whole mapping."""
    text = None
    try:
        current = path.read_text()
        if tomllib.loads(current) == old:
            text = _edit(current, removed, added)
            if text is not None and tomllib.loads(text) != new:
                text = None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass                                    # missing or unreadable: write it whole
    if text is None:
        text = dumps(new)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise ControlError(f"{path}: cannot save MIDI map: {e}") from None


def _edit(text: str, removed: dict, added: dict) -> str | None:
    """``text`` without the removed [[tables]] (and the comment lines right
    above them) and with the added ones at the end; None if its layout is not
    one this can edit (the caller then writes the file whole)."""
    lines = text.splitlines()
    heads = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    if any(kind not in KINDS for _, kind in heads) or any(
            line.lstrip().startswith("[") and not _HEADER.match(line) for line in lines):
        return None
    starts = []
    for i, _ in heads:                       # a table owns the comments right above it
        while i > 0 and lines[i - 1].lstrip().startswith("#"):
            i -= 1
        starts.append(i)
    drop, seen = set(), {k: 0 for k in KINDS}
    for n, (i, kind) in enumerate(heads):
        if seen[kind] in removed.get(kind, ()):
            end = starts[n + 1] if n + 1 < len(heads) else len(lines)
            drop.update(range(starts[n], end))
        seen[kind] += 1
    kept = [line for i, line in enumerate(lines) if i not in drop]
    while kept and not kept[-1].strip():
        kept.pop()
    for kind, entry in added.items():
        kept += ["", f"[[{kind}]]", *(f"{_key(k)} = {_value(v)}" for k, v in entry.items())]
    return "\n".join(kept) + "\n"


def dumps(data: dict) -> str:
    """A mapping as TOML text (this schema only: numbers, strings, booleans,
    lists and inline tables under [[note]], [[program]], [[cc]], [[footswitch]])."""
    lines = ["# MIDI map for visualizer (written by MIDI learn; see visualizer/control/midi.py)"]
    for key in ("channel", "program_scenes"):
        if key in data:
            lines.append(f"{key} = {_value(data[key])}")
    for kind in KINDS:
        for entry in data.get(kind, []):
            lines += ["", f"[[{kind}]]", *(f"{_key(k)} = {_value(v)}" for k, v in entry.items())]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _value(key)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)                       # 1.0, 1e-05, inf, nan: all valid TOML
    if isinstance(v, str):                   # JSON's escapes are TOML's; DEL must be escaped too
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")
