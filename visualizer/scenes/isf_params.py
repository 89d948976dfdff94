"""ISF inputs as scene parameters (data only): ranges, defaults, and the
number, integer and flag values of a header as real ISF files write them
(numbers in quotes, bools as 0.0/1.0).

Where other ISF hosts run a header that is odd rather than broken (MIN and
MAX reversed, a DEFAULT outside its range, a colour outside 0..1, LABELS
that do not match VALUES), the input is made usable and a one-line warning
naming the file and the input is added to ``warnings``; what cannot be read
at all is a SceneError naming the file and the key.
"""

import math
from pathlib import Path

from visualizer.errors import SceneError
from visualizer.scenes.model import INT_RANGE, Param
from visualizer.userfile import is_number, shown


def float_param(path: Path, where: str, name: str, spec: dict, desc: str,
                warnings: list) -> Param:
    """A ``float`` input (or one axis of a ``point2D``) as a float param:
    range MIN..MAX (0..1, widened to the DEFAULT, where missing)."""
    low = finite(path, where + ".MIN", spec["MIN"]) if "MIN" in spec else None
    high = finite(path, where + ".MAX", spec["MAX"]) if "MAX" in spec else None
    default = finite(path, where + ".DEFAULT", spec["DEFAULT"]) if "DEFAULT" in spec else None
    if low is not None and high is not None and low >= high:
        # Other ISF hosts run such a file (their sliders just run backwards).
        low, high = min(low, high), max(low, high) + (low == high)
        warnings.append(f"{path}: {where}: MIN and MAX are reversed or equal; "
                        f"used {low}..{high}")
    if low is None:
        low = min(0.0, default if default is not None else 0.0)
        if high is not None and low >= high:
            low = high - 1.0
    if high is None:
        high = max(1.0, default if default is not None else 1.0)
        if high <= low:
            high = low + 1.0
    if default is None:
        default = min(max(0.0, low), high)
    default = _inside(path, where, default, low, high, warnings)
    return Param(name, float(default), float(low), float(high), desc, "float")


def _inside(path: Path, where: str, default, low, high, warnings: list):
    """``default`` clamped into low..high, with a warning if it was outside
    (other ISF hosts start such an input outside its slider's range)."""
    if low <= default <= high:
        return default
    inside = min(max(default, low), high)
    warnings.append(f"{path}: {where}.DEFAULT: {default} is outside {low}..{high}; used {inside}")
    return inside


def color_param(path: Path, where: str, name: str, spec: dict, desc: str,
                warnings: list) -> tuple[Param, float]:
    """A color input's param (its RGB) and the alpha the shader sees."""
    default = spec.get("DEFAULT", [0.0, 0.0, 0.0, 1.0])
    if not isinstance(default, list) or len(default) not in (3, 4):
        raise SceneError(f"{path}: {where}.DEFAULT: expected [r, g, b, a] in 0..1")
    rgba = [float(finite(path, where + ".DEFAULT", v)) for v in default] + [1.0]
    if not all(0.0 <= v <= 1.0 for v in rgba):
        warnings.append(f"{path}: {where}.DEFAULT: {shown(default)} is outside 0..1; clamped")
        rgba = [min(max(v, 0.0), 1.0) for v in rgba]
    return Param(name, tuple(rgba[:3]), 0.0, 1.0, desc, "color"), rgba[3]


def long_param(path: Path, where: str, name: str, spec: dict, desc: str,
               warnings: list) -> Param:
    """A ``long`` input as an int param: range from VALUES (LABELS shown in
    its description), else MIN..MAX."""
    values = spec.get("VALUES")
    if values is not None:
        if not isinstance(values, list) or not values:
            raise SceneError(f"{path}: {where}.VALUES: expected a list of integers")
        values = [integer(path, where + ".VALUES", v) for v in values]
        labels = spec.get("LABELS")
        if labels is not None:
            if (not isinstance(labels, list) or len(labels) != len(values)
                    or not all(isinstance(s, str) for s in labels)):
                warnings.append(f"{path}: {where}.LABELS: expected one string per value; "
                                "a value without one is shown as its number")
                given = labels if isinstance(labels, list) else []
                labels = [given[k] if k < len(given) and isinstance(given[k], str) else str(v)
                          for k, v in enumerate(values)]
            menu = ", ".join(f"{v} = {s}" for v, s in zip(values, labels))
            desc = f"{desc} ({menu})" if desc else menu
        low, high = min(values), max(values)
    else:
        low = integer(path, where + ".MIN", spec.get("MIN", 0))
        high = integer(path, where + ".MAX", spec.get("MAX", max(low + 1, 1)))
        if low >= high:
            low, high = min(low, high), max(low, high) + (low == high)
            warnings.append(f"{path}: {where}: MIN and MAX are reversed or equal; "
                            f"used {low}..{high}")
    default = integer(path, where + ".DEFAULT", spec.get("DEFAULT", values[0] if values else low))
    default = _inside(path, where, default, low, high, warnings)
    return Param(name, default, float(low), float(max(high, low + 1)), desc, "int")


def finite(path: Path, where: str, value) -> float:
    """A finite number (JSON, as Python reads it, also has NaN, Infinity
    and integers too large for a float)."""
    v = None
    if isinstance(value, str):       # some ISF files quote their numbers: "MAX": "1"
        try:
            v = float(value)
        except ValueError:
            pass
    elif is_number(value):
        try:
            v = float(value)
        except OverflowError:
            pass
    if v is None or not math.isfinite(v):
        raise SceneError(f"{path}: {where}: expected a number, got {shown(value)}")
    return v


def integer(path: Path, where: str, value) -> int:
    """An integer a GLSL int holds."""
    v = finite(path, where, value)
    if v != int(v) or not INT_RANGE[0] <= v <= INT_RANGE[1]:
        raise SceneError(f"{path}: {where}: expected an integer, got {shown(value)}")
    return int(v)


def flag(path: Path, where: str, value) -> bool:
    """A header's true or false, as real files write it."""
    if isinstance(value, bool):
        return value
    if is_number(value):    # ISF files often write bools as 0.0 / 1.0
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise SceneError(f"{path}: {where}: expected true or false, got {shown(value)}")
