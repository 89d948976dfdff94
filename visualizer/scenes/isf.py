"""ISF files (Interactive Shader Format, https://isf.video, spec v2) as scenes.

An ISF file is a GLSL fragment shader that begins with a ``/* { JSON } */``
comment describing its inputs and passes. :func:`load_isf` turns that header
into a :class:`~visualizer.scenes.model.Scene` (``flavor="isf"``) and
:func:`~visualizer.scenes.isf_prelude.isf_prelude` writes the GLSL that
makes the unmodified body compile under ``#version 330 core`` in our
renderer.

How ISF maps onto scenes:

* ``float`` -> float param (range MIN..MAX, default 0..1); ``bool`` and
  ``event`` -> bool param (an event is a plain switch here); ``long`` -> int
  param (range from VALUES, labels in the description); ``color`` -> color
  param (RGB; the shader still sees a vec4, its alpha fixed at the default's);
  ``point2D`` -> two float params ``NAME_x`` and ``NAME_y`` (the shader sees
  ``vec2 NAME``).
* ``audioFFT`` / ``audio`` -> ``Scene.audio_inputs``: the renderer binds our
  512x2 audio texture; the IMG_ functions read its spectrum row (0..1 like
  WebAudio) or its waveform row (0.5 = silence, as ISF wants) as a one-row
  grey image, so the y coordinate (ISF's channel) does not matter. MAX (the
  number of columns a shader asks for) is honoured: spectrum columns are
  averaged, waveform columns keep their peak.
* PASSES -> one :class:`Pass` each, on the same file (PASSINDEX tells them
  apart). PERSISTENT targets are feedback buffers. Our buffers are always
  32-bit float; a target without ``FLOAT`` is clamped to 0..1 when drawn, as
  an 8-bit buffer would be. A pass that is not the last and has no TARGET
  draws into a hidden buffer, so PASSINDEX keeps counting. When the last pass
  has a TARGET (the usual ISF feedback effect: one PERSISTENT pass whose
  buffer is the picture), that buffer is kept double-buffered and one more
  pass copies it to the picture.
* TIME, TIMEDELTA, RENDERSIZE, FRAMEINDEX, DATE -> iTime, iTimeDelta,
  iResolution.xy, iFrame, iDate (with the month counted from 1, as ISF does).

Not supported: ``image`` inputs (filters and transitions need a picture to
work on; this visualizer runs generators) and ``IMPORTED`` images, which are
SceneErrors; the WIDTH/HEIGHT of passes (every buffer is drawn at the render
size, so a 1x1 state buffer is a full-size one holding the same value
everywhere); custom vertex shaders (``.vs`` files; ``varying`` becomes ``in``
and has nothing to receive); one buffer drawn by two passes of a frame
(SceneError); passing an image to the IMG_ functions through a variable or
function parameter (the first argument must be the image's own name, as in
ISF's reference implementation); texture2D() on an audio input (it sees the
raw 512x2 texture; the IMG_ functions are the way to read audio).
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

from visualizer.analysis.features import TEXTURE_WIDTH
from visualizer.errors import SceneError
from visualizer.scenes.model import (BUILT_IN_NAMES, GLSL_KEYWORDS, IDENT, INT_RANGE,
                                     SHADERS_DIR, Param, Pass, Scene)
from visualizer.userfile import is_number, label, shown

INPUT_TYPES = ("float", "bool", "long", "color", "point2D", "image", "audio", "audioFFT", "event")
"""Every input TYPE of ISF v2 (``image`` is recognised but rejected)."""

_ISF_NAMES = {
    "TIME", "TIMEDELTA", "RENDERSIZE", "PASSINDEX", "FRAMEINDEX", "DATE", "main",
    "texture2D", "varying", "IMG_PIXEL", "IMG_NORM_PIXEL", "IMG_THIS_PIXEL",
    "IMG_THIS_NORM_PIXEL", "IMG_SIZE", "vv_FragNormCoord", "visualizer_FragColor",
}
_RESERVED = BUILT_IN_NAMES | _ISF_NAMES


@dataclass(frozen=True)
class IsfFile:
    """What an ISF header says, validated (data only)."""

    description: str
    params: dict[str, Param]
    audio: tuple[tuple[str, str, int], ...]
    """(name, 'audio' or 'audioFFT', columns)."""
    passes: tuple[Pass, ...]
    colors: dict[str, float]
    """Color input -> the alpha the shader sees."""
    points: tuple[str, ...]
    """point2D inputs (params NAME_x, NAME_y)."""
    clamped: tuple[int, ...] = ()
    """Indices of passes whose target is not FLOAT (clamped to 0..1)."""
    display: int | None = None
    """Index of the added pass that copies the last ISF pass's buffer to the picture."""


def load_isf(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """Read an ISF ``.fs`` file as a scene; raises SceneError naming the file.
    ``shaders_dir``: the built-in shaders, searched (after the file's own
    folder) for anything it includes."""
    path = Path(path)
    isf = read_isf(path)
    words = path.stem.replace("_", " ")
    return Scene(
        key=path.stem, path=path, passes=isf.passes,
        title=words.title() if words.islower() else words,
        description=isf.description, params=isf.params, flavor="isf",
        audio_inputs=tuple((name, kind) for name, kind, _ in isf.audio),
        shaders_dir=Path(shaders_dir))


def read_isf(path: Path) -> IsfFile:
    """Parse and validate the JSON header of the ISF file at ``path``."""
    path = Path(path)
    header = _header(path)
    description = header.get("DESCRIPTION", "")
    if not isinstance(description, str):
        raise SceneError(f"{path}: DESCRIPTION: expected a string")
    categories = header.get("CATEGORIES", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise SceneError(f"{path}: CATEGORIES: expected a list of strings")
    if header.get("IMPORTED"):
        raise SceneError(f"{path}: IMPORTED: imported images are not supported")
    inputs = header.get("INPUTS", [])
    if not isinstance(inputs, list):
        raise SceneError(f"{path}: INPUTS: expected a list of input objects")
    taken: set[str] = set()
    params: dict[str, Param] = {}
    audio, colors, points = [], {}, []
    for i, spec in enumerate(inputs):
        _input(path, i, spec, taken, params, audio, colors, points)
    passes, clamped, display = _passes(path, header, taken)
    return IsfFile(description, params, tuple(audio), passes, colors, tuple(points),
                   clamped, display)


# -- the header ---------------------------------------------------------------

def _header(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SceneError(f"{path}: ISF file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SceneError(f"{path}: cannot read ISF file: {e}") from None
    start = len(text) - len(text.lstrip())
    if not text.startswith("/*", start):
        raise SceneError(f"{path}: no ISF header: the file must begin with a "
                         "/* { JSON } */ comment")
    end = text.find("*/", start + 2)
    if end < 0:
        raise SceneError(f"{path}: ISF header: the /* comment is never closed")
    try:
        header = json.loads(text[start + 2:end])
    except json.JSONDecodeError as e:
        line = text.count("\n", 0, start + 2) + e.lineno
        raise SceneError(f"{path}:{line}: ISF header: invalid JSON: {e.msg}") from None
    except RecursionError:   # the decoder recurses once per level
        raise SceneError(f"{path}: ISF header: invalid JSON: nested too deeply") from None
    if not isinstance(header, dict):
        raise SceneError(f"{path}: ISF header: expected a JSON object {{...}}")
    return header


def _input(path: Path, i: int, spec, taken: set, params: dict, audio: list, colors: dict,
           points: list) -> None:
    where = f"INPUTS[{i}]"
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected an object with NAME and TYPE")
    name, kind = spec.get("NAME"), spec.get("TYPE")
    if not isinstance(name, str):
        raise SceneError(f"{path}: {where}.NAME: missing")
    where = f"{where} ({label(name)})"
    _claim(path, where + ".NAME", name, taken)
    if kind not in INPUT_TYPES:
        raise SceneError(f"{path}: {where}.TYPE: {shown(kind)} is not one of {', '.join(INPUT_TYPES)}")
    text = spec.get("LABEL", "")
    desc = text if isinstance(text, str) else ""

    if kind == "image":
        raise SceneError(f"{path}: {where}: image inputs are not supported "
                         "(only generators run here: there is no picture to feed a filter)")
    if kind in ("audio", "audioFFT"):
        columns = TEXTURE_WIDTH
        if "MAX" in spec:
            m = _finite(path, where + ".MAX", spec["MAX"])
            if m < 1 or m != int(m):
                raise SceneError(f"{path}: {where}.MAX: expected a whole number of samples >= 1")
            columns = min(int(m), TEXTURE_WIDTH)
        audio.append((name, kind, columns))
    elif kind in ("bool", "event"):
        default = _flag(path, where + ".DEFAULT", spec.get("DEFAULT", False))
        params[name] = Param(name, default, 0.0, 1.0, desc, "bool")
    elif kind == "float":
        params[name] = _float_param(path, where, name, spec, desc)
    elif kind == "long":
        params[name] = _long_param(path, where, name, spec, desc)
    elif kind == "color":
        default = spec.get("DEFAULT", [0.0, 0.0, 0.0, 1.0])
        if (not isinstance(default, list) or len(default) not in (3, 4)
                or not all(0.0 <= _finite(path, where + ".DEFAULT", v) <= 1.0 for v in default)):
            raise SceneError(f"{path}: {where}.DEFAULT: expected [r, g, b, a] in 0..1")
        rgba = [float(_finite(path, where + ".DEFAULT", v)) for v in default] + [1.0]
        params[name] = Param(name, tuple(rgba[:3]), 0.0, 1.0, desc, "color")
        colors[name] = rgba[3]
    else:  # point2D
        vectors = {}
        for key in ("DEFAULT", "MIN", "MAX"):
            v = spec.get(key)
            if v is not None and (not isinstance(v, list) or len(v) != 2):
                raise SceneError(f"{path}: {where}.{key}: expected [x, y]")
            vectors[key] = None if v is None else [_finite(path, f"{where}.{key}", c) for c in v]
        for axis in (0, 1):
            sub = f"{name}_{'xy'[axis]}"
            _claim(path, where, sub, taken)
            one = {k: v[axis] for k, v in vectors.items() if v is not None}
            params[sub] = _float_param(path, f"{where}[{'xy'[axis]}]", sub, one,
                                       f"{desc or name} ({'xy'[axis]})")
        points.append(name)


def _float_param(path: Path, where: str, name: str, spec: dict, desc: str) -> Param:
    low = _finite(path, where + ".MIN", spec["MIN"]) if "MIN" in spec else None
    high = _finite(path, where + ".MAX", spec["MAX"]) if "MAX" in spec else None
    default = _finite(path, where + ".DEFAULT", spec["DEFAULT"]) if "DEFAULT" in spec else None
    if low is not None and high is not None and low >= high:
        raise SceneError(f"{path}: {where}: MIN {low} is not below MAX {high}")
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
    if not low <= default <= high:
        raise SceneError(f"{path}: {where}.DEFAULT: {default} is outside MIN..MAX ({low}..{high})")
    return Param(name, float(default), float(low), float(high), desc, "float")


def _long_param(path: Path, where: str, name: str, spec: dict, desc: str) -> Param:
    values = spec.get("VALUES")
    if values is not None:
        if not isinstance(values, list) or not values:
            raise SceneError(f"{path}: {where}.VALUES: expected a list of integers")
        values = [_integer(path, where + ".VALUES", v) for v in values]
        labels = spec.get("LABELS")
        if labels is not None:
            if (not isinstance(labels, list) or len(labels) != len(values)
                    or not all(isinstance(s, str) for s in labels)):
                raise SceneError(f"{path}: {where}.LABELS: expected one string per value")
            menu = ", ".join(f"{v} = {s}" for v, s in zip(values, labels))
            desc = f"{desc} ({menu})" if desc else menu
        low, high = min(values), max(values)
    else:
        low = _integer(path, where + ".MIN", spec.get("MIN", 0))
        high = _integer(path, where + ".MAX", spec.get("MAX", max(low + 1, 1)))
        if low >= high:
            raise SceneError(f"{path}: {where}: MIN {low} is not below MAX {high}")
    default = _integer(path, where + ".DEFAULT", spec.get("DEFAULT", values[0] if values else low))
    if not low <= default <= high:
        raise SceneError(f"{path}: {where}.DEFAULT: {default} is outside {low}..{high}")
    return Param(name, default, float(low), float(max(high, low + 1)), desc, "int")


def _passes(path: Path, header: dict, taken: set) -> tuple[tuple[Pass, ...], tuple, int | None]:
    specs = header.get("PASSES") or [{}]
    if not isinstance(specs, list):
        raise SceneError(f"{path}: PASSES: expected a list of pass objects")
    # ISF v1 named its persistent buffers in a top-level list (or object).
    legacy = header.get("PERSISTENT_BUFFERS") or []
    if not isinstance(legacy, (list, dict)) or not all(isinstance(n, str) for n in legacy):
        raise SceneError(f"{path}: PERSISTENT_BUFFERS: expected a list of buffer names")
    legacy_float = {n for n in legacy if isinstance(legacy, dict) and isinstance(legacy[n], dict)
                    and legacy[n].get("FLOAT")}
    passes, clamped, display, drawn = [], [], None, {}
    for i, spec in enumerate(specs):
        where = f"PASSES[{i}]"
        if not isinstance(spec, dict):
            raise SceneError(f"{path}: {where}: expected an object")
        target = spec.get("TARGET") or None
        last = i == len(specs) - 1
        if target is not None:
            if not isinstance(target, str):
                raise SceneError(f"{path}: {where}.TARGET: expected a buffer name")
            if target in drawn:
                raise SceneError(f"{path}: {where}.TARGET: {shown(target)} is already drawn by "
                                 f"PASSES[{drawn[target]}]; drawing one buffer twice per frame "
                                 "is not supported")
            _claim(path, where + ".TARGET", target, taken)
            drawn[target] = i
        persistent = _flag(path, where + ".PERSISTENT", spec.get("PERSISTENT", False)) \
            or target in legacy
        is_float = _flag(path, where + ".FLOAT", spec.get("FLOAT", False)) or target in legacy_float
        if target is None and not last:
            target = f"isf_pass{i}"      # drawn but never read: keeps PASSINDEX counting
        if target is not None and not is_float:
            clamped.append(i)
        if target is not None and last:
            # The picture is this buffer: keep it double-buffered (so the pass can read
            # its own last frame whether PERSISTENT or not) and copy it out in one more pass.
            passes.append(Pass(path, target, True))
            display = len(passes)
            passes.append(Pass(path, None, False))
        else:
            passes.append(Pass(path, target, persistent))
    return tuple(passes), tuple(clamped), display


def _claim(path: Path, where: str, name: str, taken: set) -> None:
    if not IDENT.fullmatch(name):
        raise SceneError(f"{path}: {where}: {shown(name)} is not a valid GLSL identifier")
    if name in GLSL_KEYWORDS:
        raise SceneError(f"{path}: {where}: {shown(name)} is a GLSL keyword")
    if name in _RESERVED or name.startswith(("gl_", "isf_")):
        raise SceneError(f"{path}: {where}: {shown(name)} clashes with a built-in name")
    if name in taken:
        raise SceneError(f"{path}: {where}: {shown(name)} is used twice")
    taken.add(name)


def _finite(path: Path, where: str, value) -> float:
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


def _integer(path: Path, where: str, value) -> int:
    """An integer a GLSL int holds."""
    v = _finite(path, where, value)
    if v != int(v) or not INT_RANGE[0] <= v <= INT_RANGE[1]:
        raise SceneError(f"{path}: {where}: expected an integer, got {shown(value)}")
    return int(v)


def _flag(path: Path, where: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if is_number(value):    # ISF files often write bools as 0.0 / 1.0
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise SceneError(f"{path}: {where}: expected true or false, got {shown(value)}")
