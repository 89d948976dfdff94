"""ISF files (Interactive Shader Format, https://isf.video, spec v2) as scenes.

An ISF file is a GLSL fragment shader that begins with a ``/* { JSON } */``
comment describing its inputs and passes. :func:`load_isf` turns that header
into a :class:`~visualizer.scenes.model.Scene` (``flavor="isf"``) and
:func:`~visualizer.scenes.isf_prelude.isf_prelude` writes the GLSL that
makes the unmodified body compile under ``#version 330 core`` in our
renderer.

How ISF maps onto scenes:

* ``float`` -> float param (range MIN..MAX, default 0..1); ``bool`` -> bool
  param; ``event`` -> bool param the renderer shows the shader as a
  one-frame pulse (true in the frame its switch turns on; see
  :mod:`~visualizer.scenes.isf_events`); ``long`` -> int param (range from
  VALUES, LABELS in the description); ``color`` -> color param (RGB; the
  shader sees a vec4, its alpha fixed at the default's); ``point2D`` -> two
  float params ``NAME_x`` and ``NAME_y`` (MIN and MAX vectors per axis; the
  shader sees ``vec2 NAME``). ``image`` -> ``Scene.image_inputs``, pictures
  the host feeds (see :func:`isf_role`). Headers other ISF hosts run are run
  with a warning (``Scene.warnings``, one line naming file and input): MIN
  and MAX reversed (swapped) or equal (widened by 1), a DEFAULT outside its
  range or a colour outside 0..1 (clamped), LABELS not one per value.
* ``audioFFT`` / ``audio`` -> ``Scene.audio_inputs``: the renderer binds our
  512x2 audio texture; the IMG_ functions read its spectrum row (0..1 like
  WebAudio) or its waveform row (0.5 = silence, as ISF wants) as a one-row
  grey image, so the y coordinate (ISF's channel) does not matter. MAX (the
  number of columns a shader asks for) is honoured: spectrum columns are
  averaged, waveform columns keep their peak.
* ``IMPORTED`` (``{name: {"PATH": file}}``, or a list of ``{"NAME", "PATH"}``)
  -> ``Scene.images``: files beside the ``.fs`` (PNG, JPEG, BMP, TIFF, GIF,
  WebP), read right side up by the IMG_ functions; a missing one is a
  SceneError naming the ``.fs`` and the image.
* PASSES -> one :class:`Pass` each, on the same file (PASSINDEX tells them
  apart). PERSISTENT targets (and ISF v1's PERSISTENT_BUFFERS) are feedback
  buffers. WIDTH and HEIGHT (numbers or expressions such as
  ``"floor($WIDTH/4.0)"`` or ``"$cells"``: see
  :mod:`~visualizer.scenes.isf_expr`) are checked at load and give the
  buffer its own size, evaluated each frame at the render size and the
  inputs' values (a buffer is made again, black, when its size changes);
  a pass drawing into it sees that size as RENDERSIZE and
  ``isf_FragNormCoord`` spans it. Buffers are 32-bit float; a target without
  ``FLOAT`` is clamped to 0..1 when drawn, as an 8-bit buffer would be. A
  pass that is not the last and has no TARGET draws into a hidden buffer,
  so PASSINDEX keeps counting. When the last pass has a TARGET (the usual
  ISF feedback effect), that buffer is kept double-buffered and one more
  pass stretches it over the picture.
* A vertex shader beside the file (``NAME.vs``, else ``NAME.vert``) runs
  for every pass: it gets the same uniforms, inputs and IMG_ functions,
  ``varying`` is ``out``, and ``isf_vertShaderInit()`` (it must call it)
  places the vertex of a quad drawn corner to corner, as ISF hosts draw it,
  and sets ``isf_FragNormCoord``; its varyings reach the fragment shader.
* TIME, TIMEDELTA, RENDERSIZE, FRAMEINDEX, DATE -> iTime, iTimeDelta,
  iResolution.xy (the size of the pass being drawn), iFrame, iDate (its month
  counted from 1, as ISF does); PASSINDEX; ``isf_FragNormCoord`` (and v1's
  ``vv_FragNormCoord``) is ``gl_FragCoord.xy / RENDERSIZE`` in the fragment
  shader. IMG_NORM_PIXEL, IMG_PIXEL (pixels from the bottom left),
  IMG_THIS_PIXEL and IMG_THIS_NORM_PIXEL (both the texel under this
  fragment, in normalised coordinates, as ISF's reference host reads them)
  and IMG_SIZE (the real size) read buffers, images and audio, clamped to
  the edge with linear filtering (a read at a texel's centre gets that texel
  alone, as on a GPU). The picture is shown over black (its alpha scales its
  colour), as ISF hosts show a transparent one.

Not supported, each a one-line SceneError or ShaderError naming the file:
cube-map IMPORTED images; vertex attributes in a ``.vs`` (there are none);
a ``.vs`` that never calls ``isf_vertShaderInit()``; a ``varying`` the
``.fs`` reads with no ``.vs`` to write it; one buffer drawn by two passes of
a frame; the three-argument (bias) IMG_PIXEL and IMG_NORM_PIXEL; passing an
image to the IMG_ functions through a variable or function parameter (the
first argument must be the image's own name, as in ISF's reference
implementation); assigning to ``isf_FragNormCoord`` in the fragment shader
(it is a #define here, a varying in ISF). Not errors but different: a
buffer resized by an input starts black (ISF's reference host scales the
old contents); texture2D() on an audio input sees the raw 512x2 texture
(the IMG_ functions are the way to read audio).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.analysis.features import TEXTURE_WIDTH
from visualizer.errors import SceneError
from visualizer.scenes import isf_expr
from visualizer.scenes.isf_assets import imported_images, vertex_shader
from visualizer.scenes.isf_params import color_param, finite, flag, float_param, long_param
from visualizer.scenes.model import (BUILT_IN_NAMES, GLSL_KEYWORDS, IDENT, SHADERS_DIR, Param,
                                     Pass, Scene)
from visualizer.userfile import label, shown

INPUT_TYPES = ("float", "bool", "long", "color", "point2D", "image", "audio", "audioFFT", "event")
"""Every input TYPE of ISF v2."""

_ISF_NAMES = {
    "TIME", "TIMEDELTA", "RENDERSIZE", "PASSINDEX", "FRAMEINDEX", "DATE", "main",
    "texture2D", "varying", "IMG_PIXEL", "IMG_NORM_PIXEL", "IMG_THIS_PIXEL",
    "IMG_THIS_NORM_PIXEL", "IMG_SIZE", "vv_FragNormCoord", "vv_vertShaderInit",
    "visualizer_FragColor",
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
    image_inputs: tuple[str, ...] = ()
    """``image`` inputs, fed by the host (an effect's picture, a transition's two)."""
    images: dict = field(default_factory=dict)
    """IMPORTED images: {sampler name: image file}."""
    events: tuple[str, ...] = ()
    """``event`` inputs (bool params the renderer turns into one-frame pulses)."""
    warnings: tuple[str, ...] = ()
    """What was let through but a user should hear of (one line each)."""


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
        image_inputs=isf.image_inputs, role=isf_role(isf),
        images=isf.images, warnings=isf.warnings, shaders_dir=Path(shaders_dir))


def read_isf(path: Path) -> IsfFile:
    """Parse and validate the JSON header of the ISF file at ``path``."""
    path = Path(path)
    header = _header(path)
    warnings: list[str] = []
    description = header.get("DESCRIPTION") or ""   # official files have "DESCRIPTION": null
    if not isinstance(description, str):
        warnings.append(f"{path}: DESCRIPTION: expected a string; ignored")
        description = ""
    categories = header.get("CATEGORIES") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        warnings.append(f"{path}: CATEGORIES: expected a list of strings; ignored")
    inputs = header.get("INPUTS", [])
    if not isinstance(inputs, list):
        raise SceneError(f"{path}: INPUTS: expected a list of input objects")
    taken: set[str] = set()
    params: dict[str, Param] = {}
    audio, colors, points, image_inputs = [], {}, [], []
    for i, spec in enumerate(inputs):
        _input(path, i, spec, taken, params, audio, colors, points, image_inputs, warnings)
    images = {}
    for name, file in imported_images(path, header):
        _claim(path, f"IMPORTED ({label(name)})", name, taken)
        images[name] = file
    numbers = [n for n, p in params.items() if p.type in ("float", "int", "bool")]
    passes, clamped, display = _passes(path, header, taken, numbers, vertex_shader(path))
    events = tuple(s["NAME"] for s in inputs if s.get("TYPE") == "event")
    return IsfFile(description, params, tuple(audio), passes, colors, tuple(points),
                   clamped, display, tuple(image_inputs), images, events, tuple(warnings))


def isf_role(isf: IsfFile) -> str:
    """What the file is for: a ``transition`` (ISF's startImage, endImage and
    a float progress), an ``effect`` (a filter: any other image input) or a
    ``scene`` (a generator)."""
    progress = isf.params.get("progress")
    if ({"startImage", "endImage"} <= set(isf.image_inputs)
            and progress is not None and progress.type == "float"):
        return "transition"
    return "effect" if isf.image_inputs else "scene"


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
           points: list, image_inputs: list, warnings: list) -> None:
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
        image_inputs.append(name)   # fed by the host: an effect's picture, a transition's two
        return
    if kind in ("audio", "audioFFT"):
        columns = TEXTURE_WIDTH
        if "MAX" in spec:
            m = finite(path, where + ".MAX", spec["MAX"])
            if m < 1 or m != int(m):
                raise SceneError(f"{path}: {where}.MAX: expected a whole number of samples >= 1")
            columns = min(int(m), TEXTURE_WIDTH)
        audio.append((name, kind, columns))
    elif kind in ("bool", "event"):
        default = flag(path, where + ".DEFAULT", spec.get("DEFAULT", False))
        params[name] = Param(name, default, 0.0, 1.0, desc, "bool")
    elif kind == "float":
        params[name] = float_param(path, where, name, spec, desc, warnings)
    elif kind == "long":
        params[name] = long_param(path, where, name, spec, desc, warnings)
    elif kind == "color":
        params[name], colors[name] = color_param(path, where, name, spec, desc, warnings)
    else:  # point2D
        vectors = {}
        for key in ("DEFAULT", "MIN", "MAX"):
            v = spec.get(key)
            if v is not None and (not isinstance(v, list) or len(v) != 2):
                raise SceneError(f"{path}: {where}.{key}: expected [x, y]")
            vectors[key] = None if v is None else [finite(path, f"{where}.{key}", c) for c in v]
        for axis in (0, 1):
            sub = f"{name}_{'xy'[axis]}"
            _claim(path, where, sub, taken)
            one = {k: v[axis] for k, v in vectors.items() if v is not None}
            params[sub] = float_param(path, f"{where}[{'xy'[axis]}]", sub, one,
                                       f"{desc or name} ({'xy'[axis]})", warnings)
        points.append(name)


def _passes(path: Path, header: dict, taken: set, numbers: list,
            vertex: Path | None) -> tuple[tuple[Pass, ...], tuple, int | None]:
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
        persistent = flag(path, where + ".PERSISTENT", spec.get("PERSISTENT", False)) \
            or target in legacy
        is_float = flag(path, where + ".FLOAT", spec.get("FLOAT", False)) or target in legacy_float
        if target is None and not last:
            target = f"isf_pass{i}"      # drawn but never read: keeps PASSINDEX counting
        if target is not None and not is_float:
            clamped.append(i)
        w = h = ""
        if target is not None:   # ISF v1 could size a buffer in PERSISTENT_BUFFERS
            old = legacy.get(target) if isinstance(legacy, dict) else None
            old = old if isinstance(old, dict) else {}
            w, h = (_size(path, f"{where}.{key}", spec.get(key, old.get(key)), numbers)
                    for key in ("WIDTH", "HEIGHT"))
        if target is not None and last:
            # The picture is this buffer: keep it double-buffered (so the pass can read
            # its own last frame whether PERSISTENT or not) and copy it out in one more pass.
            passes.append(Pass(path, target, True, width=w, height=h, vertex=vertex))
            display = len(passes)
            passes.append(Pass(path, None, False, vertex=vertex))
        else:
            passes.append(Pass(path, target, persistent, width=w, height=h, vertex=vertex))
    return tuple(passes), tuple(clamped), display


def _size(path: Path, where: str, value, numbers: list) -> str:
    """A pass's WIDTH or HEIGHT as expression text ("" = the render size),
    checked now so that a bad one is an error at load, not a black buffer."""
    if value is None:
        return ""
    try:
        text = isf_expr.size_expression(value)
        if text:
            isf_expr.check(text, numbers)
    except isf_expr.ExpressionError as e:
        raise SceneError(f"{path}: {where}: {shown(value)}: {e}") from None
    return text


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
