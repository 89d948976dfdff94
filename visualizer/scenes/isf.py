"""ISF files (Interactive Shader Format, https://isf.video, spec v2) as scenes.

An ISF file is a GLSL fragment shader that begins with a ``/* { JSON } */``
comment describing its inputs and passes. :func:`load_isf` turns that header
into a :class:`~visualizer.scenes.scene.Scene` (``flavor="isf"``) and
:func:`isf_prelude` writes the GLSL that makes the unmodified body compile
under ``#version 330 core`` in our renderer.

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
import re
from dataclasses import dataclass
from pathlib import Path

from visualizer.analysis.features import TEXTURE_WIDTH
from visualizer.errors import SceneError
from visualizer.scenes.scene import GLSL_KEYWORDS, INT_RANGE, Param, Pass, Scene
from visualizer.scenes.uniforms import ALL_UNIFORMS, prelude_declarations
from visualizer.userfile import label, shown

INPUT_TYPES = ("float", "bool", "long", "color", "point2D", "image", "audio", "audioFFT", "event")
"""Every input TYPE of ISF v2 (``image`` is recognised but rejected)."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")   # fullmatch: "$" would let "name\n" through
_ISF_NAMES = {
    "TIME", "TIMEDELTA", "RENDERSIZE", "PASSINDEX", "FRAMEINDEX", "DATE", "main",
    "texture2D", "varying", "IMG_PIXEL", "IMG_NORM_PIXEL", "IMG_THIS_PIXEL",
    "IMG_THIS_NORM_PIXEL", "IMG_SIZE", "vv_FragNormCoord", "visualizer_FragColor",
}
_RESERVED = {u.name for u in ALL_UNIFORMS} | _ISF_NAMES
_ROWS = {"audioFFT": 0.25, "audio": 0.75}
"""Texture y of each audio kind's row in the 512x2 audio texture."""
_TAPS = 16
"""Texture reads averaged into one column when an audio input asks for fewer (MAX)."""


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


def load_isf(path: Path) -> Scene:
    """Read an ISF ``.fs`` file as a scene; raises SceneError naming the file."""
    path = Path(path)
    isf = read_isf(path)
    words = path.stem.replace("_", " ")
    return Scene(
        key=path.stem, path=path, passes=isf.passes,
        title=words.title() if words.islower() else words,
        description=isf.description, params=isf.params, flavor="isf",
        audio_inputs=tuple((name, kind) for name, kind, _ in isf.audio))


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
            m = _number(path, where + ".MAX", spec["MAX"])
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
                or not all(0.0 <= _number(path, where + ".DEFAULT", v) <= 1.0 for v in default)):
            raise SceneError(f"{path}: {where}.DEFAULT: expected [r, g, b, a] in 0..1")
        rgba = [float(_number(path, where + ".DEFAULT", v)) for v in default] + [1.0]
        params[name] = Param(name, tuple(rgba[:3]), 0.0, 1.0, desc, "color")
        colors[name] = rgba[3]
    else:  # point2D
        vectors = {}
        for key in ("DEFAULT", "MIN", "MAX"):
            v = spec.get(key)
            if v is not None and (not isinstance(v, list) or len(v) != 2):
                raise SceneError(f"{path}: {where}.{key}: expected [x, y]")
            vectors[key] = None if v is None else [_number(path, f"{where}.{key}", c) for c in v]
        for axis in (0, 1):
            sub = f"{name}_{'xy'[axis]}"
            _claim(path, where, sub, taken)
            one = {k: v[axis] for k, v in vectors.items() if v is not None}
            params[sub] = _float_param(path, f"{where}[{'xy'[axis]}]", sub, one,
                                       f"{desc or name} ({'xy'[axis]})")
        points.append(name)


def _float_param(path: Path, where: str, name: str, spec: dict, desc: str) -> Param:
    low = _number(path, where + ".MIN", spec["MIN"]) if "MIN" in spec else None
    high = _number(path, where + ".MAX", spec["MAX"]) if "MAX" in spec else None
    default = _number(path, where + ".DEFAULT", spec["DEFAULT"]) if "DEFAULT" in spec else None
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
    if not _IDENT.fullmatch(name):
        raise SceneError(f"{path}: {where}: {shown(name)} is not a valid GLSL identifier")
    if name in GLSL_KEYWORDS:
        raise SceneError(f"{path}: {where}: {shown(name)} is a GLSL keyword")
    if name in _RESERVED or name.startswith(("gl_", "isf_")):
        raise SceneError(f"{path}: {where}: {shown(name)} clashes with a built-in name")
    if name in taken:
        raise SceneError(f"{path}: {where}: {shown(name)} is used twice")
    taken.add(name)


def _number(path: Path, where: str, value) -> float:
    """A finite number (JSON, as Python reads it, also has NaN, Infinity
    and integers too large for a float)."""
    v = None
    if isinstance(value, str):       # some ISF files quote their numbers: "MAX": "1"
        try:
            v = float(value)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            v = float(value)
        except OverflowError:
            pass
    if v is None or not math.isfinite(v):
        raise SceneError(f"{path}: {where}: expected a number, got {shown(value)}")
    return v


def _integer(path: Path, where: str, value) -> int:
    """An integer a GLSL int holds."""
    v = _number(path, where, value)
    if v != int(v) or not INT_RANGE[0] <= v <= INT_RANGE[1]:
        raise SceneError(f"{path}: {where}: expected an integer, got {shown(value)}")
    return int(v)



def _flag(path: Path, where: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):    # ISF files often write bools as 0.0 / 1.0
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise SceneError(f"{path}: {where}: expected true or false, got {shown(value)}")


# -- the prelude --------------------------------------------------------------

def isf_prelude(scene: Scene) -> str:
    """GLSL placed after ``#version 330 core`` that makes an ISF body compile.

    Every built-in uniform (iTime, iLevel, iBass, ... are a bonus for ISF
    authors), the scene's inputs, samplers for buffers and audio inputs,
    ISF's names as #defines, and the IMG_ functions.

    Each image name ``X`` is also a function-like macro: ``X()`` expands to
    the argument list that the overloaded ``isf_image``/``isf_size`` need
    (``X`` for a buffer; ``X, row, columns, is_fft`` for an audio input), and
    ``IMG_NORM_PIXEL(X, uv)`` becomes ``isf_image(X(), uv)``. The macro only
    expands when ``X`` is followed by ``(``, which a sampler's name never is,
    so ``X`` stays the sampler everywhere else.
    """
    isf = read_isf(scene.path)
    out = [prelude_declarations(), "", "// ISF", "uniform int PASSINDEX;"]
    out += [f"#define {k} {v}" for k, v in (
        ("TIME", "iTime"), ("TIMEDELTA", "iTimeDelta"), ("RENDERSIZE", "iResolution.xy"),
        ("FRAMEINDEX", "iFrame"), ("DATE", "(iDate + vec4(0.0, 1.0, 0.0, 0.0))"),  # month 1..12
        ("isf_FragNormCoord", "(gl_FragCoord.xy / iResolution.xy)"),
        ("vv_FragNormCoord", "isf_FragNormCoord"),
        ("gl_FragColor", "visualizer_FragColor"), ("texture2D", "texture"), ("varying", "in"))]

    out.append("// inputs")
    for name, p in scene.params.items():
        out.append(f"uniform {p.glsl_type} {name};")
        if name in isf.colors:   # ISF colors are vec4; the param is the RGB
            out.append(f"#define {name} vec4({name}, {_float(isf.colors[name])})")
    for name in isf.points:
        if f"{name}_x" in scene.params and f"{name}_y" in scene.params:
            out.append(f"#define {name} vec2({name}_x, {name}_y)")

    out.append("// images")
    for name in scene.buffers:
        out += [f"uniform sampler2D {name};", f"#define {name}(_) {name}"]
    columns = {name: n for name, _, n in isf.audio}
    for name, kind in scene.audio_inputs:
        row, fft = _ROWS[kind], float(kind == "audioFFT")
        n = columns.get(name, TEXTURE_WIDTH)
        out += [f"uniform sampler2D {name};",
                f"#define {name}(_) {name}, {_float(row)}, {_float(n)}, {_float(fft)}"]
    out.append(_IMAGE_FUNCTIONS.format(width=_float(TEXTURE_WIDTH), taps=_TAPS))

    wrap = []
    if isf.display is not None:
        target = scene.passes[isf.display - 1].target
        wrap.append(f"if (PASSINDEX == {isf.display}) {{ visualizer_FragColor = "
                    f"texelFetch({target}, ivec2(gl_FragCoord.xy), 0); return; }}")
    wrap.append("isf_main();")
    if isf.clamped:
        test = " || ".join(f"PASSINDEX == {i}" for i in isf.clamped)
        wrap.append(f"if ({test}) visualizer_FragColor = clamp(visualizer_FragColor, 0.0, 1.0);")
    if len(wrap) > 1:
        # The ISF file's own main becomes isf_main, called by a main that does the
        # above (visualizer_FragColor is declared only after this prelude, so this
        # code has to land where the file's main is).
        out += ["void isf_main();",
                f"#define main(_) main() {{ {' '.join(wrap)} }} void isf_main()"]
    return "\n".join(out)


def _float(v: float) -> str:
    return repr(float(v))


_IMAGE_FUNCTIONS = """
vec4 isf_image(sampler2D image, vec2 uv) {{      // a buffer, clamped to its edge like ISF's
    vec2 half_texel = 0.5 / vec2(textureSize(image, 0));
    return texture(image, clamp(uv, half_texel, 1.0 - half_texel));
}}
vec2 isf_size(sampler2D image) {{ return vec2(textureSize(image, 0)); }}
vec4 isf_image(sampler2D audio, float row, float columns, float fft, vec2 uv) {{
    // One row of the audio texture as a grey image `columns` wide (any y).
    float v;
    if (columns >= {width}) {{
        v = texture(audio, vec2(uv.x, row)).r;
    }} else {{                  // fewer columns: spectrum averaged, waveform peak kept
        float column = clamp(floor(uv.x * columns), 0.0, columns - 1.0);
        float sum = 0.0;
        float peak = 0.5;
        for (int i = 0; i < {taps}; i++) {{
            float s = texture(audio, vec2((column + (float(i) + 0.5) / {taps}.0) / columns, row)).r;
            sum += s;
            if (abs(s - 0.5) > abs(peak - 0.5)) peak = s;
        }}
        v = fft > 0.5 ? sum / {taps}.0 : peak;
    }}
    return vec4(v, v, v, 1.0);
}}
vec2 isf_size(sampler2D audio, float row, float columns, float fft) {{ return vec2(columns, 1.0); }}
#define IMG_NORM_PIXEL(image, uv) isf_image(image(), uv)
#define IMG_PIXEL(image, xy) isf_image(image(), (xy) / isf_size(image()))
#define IMG_THIS_NORM_PIXEL(image) isf_image(image(), isf_FragNormCoord)
#define IMG_THIS_PIXEL(image) isf_image(image(), isf_FragNormCoord)
#define IMG_SIZE(image) isf_size(image())"""
