"""The MIDI mapping file (TOML): what each pedal, pad and knob does.

A mapping file says what each control does:

    channel = 0              # listen to this channel only (0-15; default all)
    program_scenes = true    # program change N picks scene N (default) unless
                             # a [[program]] entry says otherwise
    [[note]]                 # a pad: note-on with velocity > 0
    note = 36
    action = "scene"         # any control action (bus.ACTIONS)
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

Effects: ``action = "fx"`` with ``fx = "glow"`` turns an effect on, off or
over (``value``; ``scene`` puts it on that scene only); ``action =
"fx_param"`` with ``fx`` and ``param`` moves one of its parameters from a knob.

Action arguments: ``scene`` (scene), ``index`` (scene_index, 0-based),
``song`` (song: a name or a number), ``param`` with ``scene``, or ``params``
(param), ``value`` (param and intensity: 0..1, default the note's velocity or
the CC's value; blackout, freeze, hud, record, auto: 1 on, 0 off, -1 toggle,
the default). Any entry may name its own ``channel``. Several entries may
share a control and each sends its command; a footswitch's CC is its own.
Errors name the file and the table counting from 1:
``midi.toml: [[cc]] 2: action: unknown action 'jump' (known: ...)``.

A :class:`MidiMap` is such a file checked against the scenes and their
parameters; it answers what a message asks for (:meth:`MidiMap.command`)
and keeps the footswitches' state (:mod:`visualizer.control.midi.bindings`).
"""

import math
import threading
from pathlib import Path

from visualizer.control.bus import ACTIONS, Command, TOGGLE
from visualizer.control.midi.bindings import Binding, Footswitch
from visualizer.errors import ControlError
from visualizer.userfile import check_keys, is_int, is_number, read_toml, shown

KINDS = ("note", "program", "cc", "footswitch")
"""The tables of a mapping file, in the order a written file lists them."""
NUMBER = {"note": "note", "program": "program", "cc": "cc", "footswitch": "cc"}
"""The key of each table that names its control's number."""
_ARGS = {"scene", "index", "song", "param", "params", "value", "range", "look", "fx"}
_KEYS = {
    "note": {"note", "channel", "action"} | _ARGS,
    "program": {"program", "channel", "action"} | _ARGS,
    "cc": {"cc", "channel", "action"} | _ARGS,
    "footswitch": {"cc", "channel", "press", "hold", "hold_seconds", "double", "double_seconds"},
}
_TOP = {"channel", "program_scenes", *KINDS}
CONTINUOUS = {"param", "intensity", "fx_param"}
"""Actions that take a value 0..1 from the control (a knob, a pedal, a velocity)."""
_SWITCHED = {"blackout", "freeze", "hud", "record", "auto", "fx"}   # on, off or toggle
_USES = {"scene": {"scene"}, "scene_index": {"index"}, "song": {"song"},
         "look": {"look", "scene"}, "fx_param": {"fx", "param", "value", "range"},
         "param": {"scene", "param", "params", "value", "range"},
         "intensity": {"value", "range"}, **{a: {"value"} for a in _SWITCHED},
         "fx": {"fx", "scene", "value"}, "fx_look": {"fx", "look"}}
SWITCH_CCS = range(64, 70)
"""The on/off pedal CCs of the MIDI spec (sustain .. hold 2): MIDI learn makes
an action learned on one of them a [[footswitch]] press."""


class MidiMap:
    """A validated mapping from MIDI messages to commands, with the footswitch
    state. Thread-safe: ports' callbacks call :meth:`command`, the render loop
    :meth:`poll`, MIDI learn :meth:`install`."""

    def __init__(self, scenes: list[str], params: dict[str, list[str]], *,
                 path: str | Path | None = None, data: dict | None = None,
                 effects: dict[str, list[str]] | None = None):
        """An empty mapping (program changes still pick scenes), or ``data``
        as read from a mapping file at ``path``; ``effects``: each effect's
        parameter names, by effect key."""
        self.scenes = list(scenes)
        self.params = {k: list(v) for k, v in params.items()}
        self.effects = {k: list(v) for k, v in (effects or {}).items()}
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._deadline = math.inf
        self.data: dict = {}
        self.install(data or {})

    @classmethod
    def load(cls, path: str | Path, scenes: list[str], params: dict[str, list[str]], *,
             missing_ok: bool = False, effects: dict[str, list[str]] | None = None) -> "MidiMap":
        """Read and validate a mapping file; ``missing_ok`` gives an empty
        mapping for a file that does not exist yet (MIDI learn creates it)."""
        if missing_ok and not Path(path).exists():
            return cls(scenes, params, path=path, effects=effects)
        return cls(scenes, params, path=path, effects=effects,
                   data=read_toml(Path(path), ControlError, "MIDI map"))

    # -- building -------------------------------------------------------------

    def install(self, data: dict) -> None:
        """Validate ``data`` (a mapping file's tables) and use it from now on;
        raises ControlError and keeps the old mapping if it is invalid."""
        tables = self.check(data)
        with self._lock:
            self.data = data
            (self.channel, self.program_scenes, self._notes, self._programs,
             self._ccs, self._switches) = tables
            self._switch_list = [sw for entries in self._switches.values() for _, sw in entries]
            self._cc_last: dict[tuple[int, int], int] = {}
            self._deadline = math.inf

    @property
    def _file(self) -> Path | str:
        """What errors name: the file, or "MIDI map" for one never read or saved."""
        return self.path or "MIDI map"

    def _err(self, text: str) -> ControlError:
        return ControlError(f"{self._file}: {text}")

    def check(self, data: dict):
        """Validate ``data`` as :meth:`install` does, without using it: the
        compiled tables, or ControlError naming the file, the table counting
        from 1, and the key."""
        if not isinstance(data, dict):
            raise self._err("expected a table")
        check_keys(self._file, data, _TOP, ControlError)
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
        check_keys(self._file, spec, _KEYS[kind], ControlError, f"{where}: ")
        name = NUMBER[kind]
        number = spec.get(name)
        if not is_int(number) or not 0 <= number <= 127:
            raise self._err(f"{where}: {name}: expected a number 0..127")
        ch = self._channel(f"{where}: channel", spec.get("channel", channel))
        if kind != "footswitch":
            return number, ch, self.binding(where, spec, kind)
        actions = {}
        for key in ("press", "hold", "double"):
            value = spec.get(key)
            if isinstance(value, str):
                value = {"action": value}
            if value is not None and not isinstance(value, dict):
                raise self._err(f"{where}: {key}: expected an action or a table")
            actions[key] = None if value is None else self.binding(f"{where}: {key}", value, kind)
        if not any(actions.values()):
            raise self._err(f"{where}: expected press, hold or double")
        times = {}
        for key, default in (("hold_seconds", 0.8), ("double_seconds", 0.35)):
            value = spec.get(key, default)
            if not is_number(value) or not 0 < value <= 10:
                raise self._err(f"{where}: {key}: expected seconds in (0, 10]")
            times[key] = float(value)
        return number, ch, Footswitch(actions["press"], actions["hold"], actions["double"],
                                      times["hold_seconds"], times["double_seconds"])

    def _channel(self, where: str, value) -> int | None:
        if value is not None and (not is_int(value) or not 0 <= value <= 15):
            raise self._err(f"{where}: expected a MIDI channel 0..15")
        return value

    def binding(self, where: str, spec: dict, kind: str) -> Binding:
        """The :class:`Binding` of one action ``spec`` (``action`` and its
        arguments) on a control of table ``kind``; ControlError naming
        ``where`` if it is not valid."""
        action = spec.get("action")
        if not isinstance(action, str) or action not in ACTIONS:
            got = "missing" if action is None else f"unknown action {shown(action)}"
            raise self._err(f"{where}: action: {got} (known: {', '.join(ACTIONS)})")
        for key in spec.keys() & _ARGS:
            if key not in _USES.get(action, ()):
                raise self._err(f"{where}: {key}: not used by action '{action}'")
        if kind == "footswitch":   # an inline table: only the action and its arguments
            check_keys(self._file, spec, _ARGS | {"action"}, ControlError, f"{where}: ")
        value = spec.get("value")
        scaled = action in CONTINUOUS and value is None and kind in ("note", "cc")
        if value is not None:
            if action in _SWITCHED and value not in (0, 1, -1):
                raise self._err(f"{where}: value: expected 1 (on), 0 (off) or -1 (toggle)")
            if action in CONTINUOUS and (not is_number(value) or not 0 <= value <= 1):
                raise self._err(f"{where}: value: expected a number 0..1")
        elif action in CONTINUOUS and not scaled:
            raise self._err(f"{where}: value: missing (0..1)")
        value = float(TOGGLE if value is None and action in _SWITCHED else value or 0.0)
        lo, hi = 0.0, 1.0
        if "range" in spec:
            rng = spec["range"]
            if not scaled or not (isinstance(rng, list) and len(rng) == 2
                                  and all(is_number(v) and 0 <= v <= 1 for v in rng) and rng[0] != rng[1]):
                raise self._err(f"{where}: range: expected [low, high] within 0..1 on a knob or pad"
                                " without a value")
            lo, hi = float(rng[0]), float(rng[1])
        commands = self._commands(where, action, spec, value)
        return Binding(commands, scaled, lo, hi)

    def _commands(self, where: str, action: str, spec: dict, value: float) -> tuple[Command, ...]:
        if action == "look":   # a look by name, of a scene or the current one; none: the next
            look, scene = spec.get("look", ""), spec.get("scene", "")
            if not isinstance(look, str) or (scene and scene not in self.scenes):
                raise self._err(f"{where}: look: expected a look's name (and a scene of ours)")
            return (Command("look", target=look, scene=scene, source="midi"),)
        if action in ("fx", "fx_param", "fx_look"):
            return (self._fx(where, action, spec, value),)
        if action == "scene":
            scene = spec.get("scene")
            if scene not in self.scenes:
                raise self._err(f"{where}: scene: {shown(scene)} is not a scene "
                                f"(known: {', '.join(self.scenes)})")
            return (Command("scene", target=scene, source="midi"),)
        if action == "scene_index":
            index = spec.get("index")
            if not is_int(index) or not 0 <= index < max(len(self.scenes), 1):
                raise self._err(f"{where}: index: expected a scene number 0..{len(self.scenes) - 1}")
            return (Command("scene_index", value=float(index), source="midi"),)
        if action == "song":
            song = spec.get("song")
            if isinstance(song, str) and song:
                return (Command("song", target=song, source="midi"),)
            if is_int(song) and song >= 0:
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

    def _fx(self, where: str, action: str, spec: dict, value: float) -> Command:
        """An effect on, off or toggled (on one scene if ``scene`` names one), or
        one of its parameters from the knob."""
        fx = spec.get("fx")
        if fx not in self.effects:
            raise self._err(f"{where}: fx: {shown(fx)} is not an effect "
                            f"(known: {', '.join(self.effects) or 'none'})")
        if action == "fx_look":   # a look by name; none: the next
            look = spec.get("look", "")
            if not isinstance(look, str):
                raise self._err(f"{where}: look: expected a look's name")
            return Command("fx_look", target=look, scene=fx, source="midi")
        if action == "fx":
            scene = spec.get("scene", "")
            if scene and scene not in self.scenes:
                raise self._err(f"{where}: scene: {shown(scene)} is not a scene")
            return Command("fx", target=fx, scene=scene, value=value, source="midi")
        param = spec.get("param")
        if param not in self.effects[fx]:
            raise self._err(f"{where}: param: {shown(param)} is not a parameter of effect "
                            f"{shown(fx)} (its parameters: {', '.join(self.effects[fx]) or 'none'})")
        return Command("fx_param", target=param, scene=fx, value=value, normalized=True,
                       source="midi")

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

