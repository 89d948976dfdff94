"""``--param NAME=VALUE``: a parameter set from the command line before the
first frame (``snapshot``, ``render``, ``live``).

    --param wind=2.5               every scene with a parameter ``wind``
    --param steppe/wind=2.5        the steppe's only
    --param fx/glow/amount=0.8     an effect's parameter
    --param club/warm=true         a bool (true/false, on/off, 1/0)
    --param eyes/tint=1,0.5,0.2    a colour (r,g,b in 0..1)

The value is the parameter's base value: its bindings still add the music
on top, as they do to a value set by a knob.
"""

import math
from dataclasses import dataclass

from visualizer.errors import VisualizerError
from visualizer.scenes.model import Param

_TRUE, _FALSE = ("true", "on", "yes", "1"), ("false", "off", "no", "0")


@dataclass(frozen=True)
class ParamSetting:
    """One ``--param``: ``name`` of scene ``scene`` ('' every scene that has
    it), or of effect ``effect``, set to ``value``."""

    text: str
    name: str
    value: object
    scene: str = ""
    effect: str = ""

    def apply(self, engine) -> None:
        """Set it on ``engine``'s scenes (or effect) as their base value."""
        if self.effect:
            engine.effects.slot(self.effect).state.set(self.name, self.value)
            return
        for key, state in engine.states.items():
            if (not self.scene or key == self.scene) and self.name in state.scene.params:
                state.set(self.name, self.value)


def parse_params(texts: list[str], scenes, effects=()) -> list[ParamSetting]:
    """Each ``--param`` text checked against the scenes and effects (lists of
    Scene) a run uses; a VisualizerError of one line naming the flag."""
    return [_parse(text, scenes, effects) for text in texts]


def _parse(text: str, scenes, effects) -> ParamSetting:
    def bad(why: str) -> VisualizerError:
        return VisualizerError(f"--param {text!r}: {why}")

    path, sep, raw = text.partition("=")
    if not sep or not path or not raw.strip():
        raise bad("expected NAME=VALUE, SCENE/NAME=VALUE or fx/EFFECT/NAME=VALUE")
    parts = path.split("/")
    by_key = {s.key: s for s in scenes}
    if parts[0] == "fx" and len(parts) == 3:
        fx = {e.key: e for e in effects}
        if parts[1] not in fx:
            raise bad(f"unknown effect '{parts[1]}' (known: {', '.join(fx) or 'none'})")
        param = fx[parts[1]].params.get(parts[2])
        if param is None:
            raise bad(f"effect '{parts[1]}' has no parameter '{parts[2]}' "
                      f"(its parameters: {', '.join(fx[parts[1]].params) or 'none'})")
        return ParamSetting(text, parts[2], _value(raw, param, bad), effect=parts[1])
    if len(parts) == 2:
        scene = by_key.get(parts[0])
        if scene is None:
            raise bad(f"unknown scene '{parts[0]}' (known: {', '.join(by_key)})")
        param = scene.params.get(parts[1])
        if param is None:
            raise bad(f"scene '{parts[0]}' has no parameter '{parts[1]}' "
                      f"(its parameters: {', '.join(scene.params) or 'none'})")
        return ParamSetting(text, parts[1], _value(raw, param, bad), scene=parts[0])
    if len(parts) != 1:
        raise bad("expected NAME=VALUE, SCENE/NAME=VALUE or fx/EFFECT/NAME=VALUE")
    having = [s.params[path] for s in scenes if path in s.params]
    if not having:
        raise bad(f"no scene here has a parameter '{path}'")
    values = {_value(raw, p, bad) for p in having}   # checked against each one's type and range
    return ParamSetting(text, path, values.pop() if len(values) == 1 else _value(raw, having[0], bad))


def _value(raw: str, param: Param, bad):
    raw = raw.strip()
    if param.type == "bool":
        if raw.lower() not in _TRUE + _FALSE:
            raise bad(f"'{param.name}' is a switch: give true or false")
        return raw.lower() in _TRUE
    if param.type == "color":
        try:
            rgb = tuple(float(v) for v in raw.split(","))
        except ValueError:
            rgb = ()
        if len(rgb) != 3 or not all(0.0 <= v <= 1.0 for v in rgb):
            raise bad(f"'{param.name}' is a colour: give r,g,b each 0..1")
        return rgb
    try:
        value = float(raw)
    except ValueError:
        raise bad(f"'{raw}' is not a number") from None
    if not math.isfinite(value) or not param.low <= value <= param.high:
        raise bad(f"{raw} is outside '{param.name}''s range {param.low:g}..{param.high:g}")
    if param.type == "int":
        if value != int(value):
            raise bad(f"'{param.name}' takes whole numbers")
        return int(value)
    return value
