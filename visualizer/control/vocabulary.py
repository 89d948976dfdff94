"""One vocabulary for every remote: an OSC address and its arguments become
one :class:`~visualizer.control.bus.Command`.

The OSC server (:mod:`visualizer.control.osc`, whose text has the table of
addresses) and the web remote (:mod:`visualizer.control.web`, whose page
and ``POST /api/<address>`` send the same addresses with a JSON list of
arguments) both call :func:`command`, so a surface, a phone and a script
say the same things and are checked the same way. Every address works with
or without the ``/visualizer`` prefix.
"""

import math

from visualizer.control.bus import Command, TOGGLE

PREFIX = "/visualizer"
"""Optional prefix of every address."""

_TRIGGERS = {"/scene/next": "next_scene", "/scene/prev": "prev_scene",
             "/cue/next": "next_cue", "/cue/prev": "prev_cue", "/tap": "tap"}
_FLAGS = {"/blackout": "blackout", "/freeze": "freeze", "/hud": "hud",
          "/record": "record", "/auto": "auto"}


class BadMessage(Exception):
    """A message no command can be made of; the text says why."""


class Names:
    """An immutable snapshot of the scene keys (in key order) and each
    scene's parameter names: what addresses and arguments may name."""

    def __init__(self, scenes: list[str], params: dict[str, list[str]],
                 effects: dict[str, list[str]] | None = None):
        self.scenes = tuple(scenes)
        self.params = {scene: frozenset(names) for scene, names in params.items()}
        self.any_param = frozenset().union(*self.params.values())
        self.effects = {fx: frozenset(names) for fx, names in (effects or {}).items()}
        """Each effect's parameter names, by effect key."""


def command(address: str, args: tuple, names: Names, *, source: str) -> Command | None:
    """The command ``address`` with ``args`` asks for, posted as from
    ``source``; None for a momentary button's release (a trigger with 0).

    ``args`` are OSC's (int, float, str, bool, bytes, None) or JSON's (the
    same, and lists and dicts, which no address takes). Raises
    :class:`BadMessage` for an unknown address, scene or parameter, or
    arguments of the wrong type, count or value (NaN, infinity).
    """
    if address.startswith(PREFIX + "/"):
        address = address[len(PREFIX):]
    if address in _TRIGGERS:
        if args and _number(args) == 0.0:
            return None
        return Command(_TRIGGERS[address], source=source)
    if address in _FLAGS:
        value = TOGGLE if not args else (1.0 if _number(args) >= 0.5 else 0.0)
        return Command(_FLAGS[address], value=value, source=source)
    if address == "/intensity":
        return Command("intensity", value=_unit(args), source=source)
    if address == "/scene":
        return _scene(args, names, source)
    if address == "/song":
        return _song(args, source)
    if address == "/look":
        if args and not (len(args) == 1 and isinstance(args[0], str)):
            raise BadMessage("/look takes a look's name (or nothing: the next look)")
        return Command("look", target=args[0] if args else "", source=source)
    if address.startswith(("/param/", "/param01/")):
        return _param(address, args, names, source)
    if address.startswith(("/fx/", "/fx01/")):
        return _fx(address, args, names, source)
    if address.startswith("/fxlook/"):
        name = address[len("/fxlook/"):]
        if name not in names.effects:
            raise BadMessage(f"unknown effect {describe(name)}")
        if args and not (len(args) == 1 and isinstance(args[0], str)):
            raise BadMessage("/fxlook/<effect> takes a look's name (or nothing: the next look)")
        return Command("fx_look", target=args[0] if args else "", scene=name, source=source)
    raise BadMessage("unknown address")


def describe(value) -> str:
    """A short account of an argument: a 60 KB blob is not quoted whole."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    if value is None:
        return "nil"
    return f"a {type(value).__name__}"


def _number(args: tuple) -> float:
    """The single finite numeric argument of a message."""
    if len(args) != 1:
        raise BadMessage(f"expected one number, got {len(args)} arguments")
    value = args[0]
    if isinstance(value, str) or not isinstance(value, (int, float)):
        raise BadMessage(f"expected a number, got {describe(value)}")
    try:
        value = float(value)
    except OverflowError:   # a JSON integer of 400 digits
        raise BadMessage("the number is too large") from None
    if not math.isfinite(value):
        raise BadMessage(f"value {value} is not finite")
    return value


def _unit(args: tuple) -> float:
    return min(max(_number(args), 0.0), 1.0)


def _index(value: float, count: int, what: str) -> int:
    if value != int(value) or value < 0 or (count >= 0 and value >= count):
        limit = f" (0..{count - 1})" if count > 0 else ""
        raise BadMessage(f"no {what} number {value:g}{limit}")
    return int(value)


def _scene(args: tuple, names: Names, source: str) -> Command:
    if len(args) == 1 and isinstance(args[0], str):
        if args[0] not in names.scenes:
            raise BadMessage(f"unknown scene {describe(args[0])} "
                             f"(known: {', '.join(names.scenes)})")
        return Command("scene", target=args[0], source=source)
    index = _index(_number(args), len(names.scenes), "scene")
    return Command("scene_index", value=float(index), source=source)


def _song(args: tuple, source: str) -> Command:
    # The setlist is not known here: the show checks the name or number.
    if len(args) == 1 and isinstance(args[0], str):
        if not args[0]:
            raise BadMessage("empty song name")
        return Command("song", target=args[0], source=source)
    index = _index(_number(args), -1, "song")
    return Command("song", value=float(index), source=source)


def _param(address: str, args: tuple, names: Names, source: str) -> Command:
    kind, *path = address[1:].split("/")
    if len(path) == 2:
        scene, name = path
        if scene not in names.params:
            raise BadMessage(f"unknown scene {describe(scene)}")
        if name not in names.params[scene]:
            known = ", ".join(sorted(names.params[scene])) or "none"
            raise BadMessage(f"scene '{scene}' has no parameter {describe(name)} (known: {known})")
    elif len(path) == 1 and path[0]:
        scene, name = "", path[0]
        if name not in names.any_param:
            raise BadMessage(f"no scene has a parameter {describe(name)}")
    else:
        raise BadMessage(f"expected /{kind}/<scene>/<name> or /{kind}/<name>")
    normalized = kind == "param01"
    value = _unit(args) if normalized else _number(args)
    return Command("param", target=name, value=value, scene=scene,
                   normalized=normalized, source=source)


def _fx(address: str, args: tuple, names: Names, source: str) -> Command:
    """/fx/NAME [on] [scene]: an effect on (1), off (0) or toggled (no
    argument), on the program or on one scene; /fx/NAME/PARAM value and
    /fx01/NAME/PARAM 0..1: one of its parameters."""
    kind, *path = address[1:].split("/")
    if not path or path[0] not in names.effects:
        known = ", ".join(sorted(names.effects)) or "none"
        raise BadMessage(f"unknown effect {describe(path[0] if path else '')} (known: {known})")
    name = path[0]
    if len(path) == 2 and path[1]:
        if path[1] not in names.effects[name]:
            known = ", ".join(sorted(names.effects[name])) or "none"
            raise BadMessage(f"effect '{name}' has no parameter {describe(path[1])} "
                             f"(known: {known})")
        normalized = kind == "fx01"
        value = _unit(args) if normalized else _number(args)
        return Command("fx_param", target=path[1], value=value, scene=name,
                       normalized=normalized, source=source)
    if len(path) != 1 or kind != "fx":
        raise BadMessage("expected /fx/<effect> [0|1] [scene] or /fx/<effect>/<parameter> value")
    scene = ""
    if len(args) == 2:
        if not isinstance(args[1], str) or args[1] not in names.scenes:
            raise BadMessage(f"unknown scene {describe(args[1])} (known: {', '.join(names.scenes)})")
        args, scene = args[:1], args[1]
    value = TOGGLE if not args else (1.0 if _number(args) >= 0.5 else 0.0)
    return Command("fx", target=name, value=value, scene=scene, source=source)
