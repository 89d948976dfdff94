"""Scene files: a TOML file naming GLSL shaders, parameters and audio
bindings.

    title = "Vortex"
    description = "The music swirls around him like a vortex."
    order = 1                  # position for keys 1-9 (optional)
    render_scale = 0.75        # draw at this fraction of the output size (optional)
    transition = "dissolve"    # how keys, MIDI and OSC enter it (default crossfade)
    transition_beats = 2       # over this many beats (default 1)
    input = "lead"             # whose features drive it: lead (default) or backing
    shader = "vortex.glsl"     # one pass; or several [[passes]] (below); or
    # isf = "Bloom.fs"         # an ISF file (generator, filter or transition) whose
                               # inputs take the bindings and looks below

    [params.spin]
    type = "float"             # float (default), int, bool or color
    default = 1.0
    range = [0.0, 4.0]
    description = "Turns per second."

    [[bindings]]               # spin follows the level: spin + 1.5 * level
    param = "spin"
    feature = "level"
    gain = 1.5
    attack = 0.02              # seconds
    release = 0.4

    [shadertoy]                # instead of `shader`: Shadertoy's Buffers A-D and Image
                               # with their iChannels (see visualizer.scenes.shadertoy)
    [[passes]]                 # instead of `shader`: drawn in order
    shader = "trails.glsl"
    target = "trails"          # a float buffer, a sampler2D uniform in every pass
    feedback = true            # keeps its last frame, which its own pass reads
    [[passes]]
    shader = "final.glsl"      # no target: the picture

A shader is looked for beside the scene file first, then in the built-in
shaders folder, so a scene folder of one's own can hold its TOML and GLSL
together. Each parameter becomes a uniform of its name (float, int, bool or
vec3). Unknown keys and out-of-range values are errors naming the file and
key.
"""

import math
from dataclasses import replace
from pathlib import Path

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.errors import SceneError
from visualizer.scenes.isf import load_isf
from visualizer.scenes.shadertoy import layout_passes
from visualizer.scenes.model import (BUILT_IN_NAMES, GLSL_KEYWORDS, IDENT, INPUTS, INT_RANGE,
                                     PARAM_TYPES, Binding, Param, Pass, Scene, shader_folders,
                                     usable_name)
from visualizer.userfile import check_keys, is_number, label, read_toml, shown

_SCENE_KEYS = {"title", "description", "shader", "order", "params", "bindings", "passes",
               "render_scale", "transition", "transition_beats", "input", "looks", "isf",
               "shadertoy"}
_PARAM_KEYS = {"type", "default", "range", "description"}
_BINDING_KEYS = {"param", "feature", "gain", "attack", "release"}
_PASS_KEYS = {"shader", "target", "feedback"}


def load_toml_scene(path: Path, *, shaders_dir: Path) -> Scene:
    """Read and validate the scene file at ``path``; raises SceneError
    naming the file and key. Its shaders are looked for beside it, then in
    ``shaders_dir`` (whose ``transitions/`` are the transitions it may name)."""
    path = Path(path)
    data = read_toml(path, SceneError, "scene file")
    check_keys(path, data, _SCENE_KEYS, SceneError)
    shaders_dir = Path(shaders_dir)
    isf = _isf(path, data, shader_folders(path, shaders_dir), shaders_dir)
    # [shadertoy]: Buffers A-D and Image with their iChannels (visualizer.scenes.shadertoy)
    toy = (layout_passes(path, data, shader_folders(path, shaders_dir))
           if "shadertoy" in data else None)
    passes = (isf.passes if isf else toy[0] if toy
              else _passes(path, data, shader_folders(path, shaders_dir)))
    params = dict(isf.params) if isf else {}
    for name, spec in _typed(path, data, "params", dict, default={}).items():
        params[name] = _param(path, name, spec)
    bindings = tuple(_binding(path, i, spec, params)
                     for i, spec in enumerate(_typed(path, data, "bindings", list, default=[])))
    looks = _looks(path, _typed(path, data, "looks", dict, default={}), params)
    scale = _typed(path, data, "render_scale", (int, float), default=1.0)
    if not 0.1 <= scale <= 1.0:
        raise SceneError(f"{path}: render_scale: {scale} is outside 0.1..1")
    transition = _typed(path, data, "transition", str, default="crossfade")
    known = sorted(p.stem for p in (shaders_dir / "transitions").glob("*.glsl"))
    if "transition" in data and transition not in known and not _isf_transition(path, transition):
        raise SceneError(f"{path}: transition: unknown {shown(transition)} (known: {', '.join(known)})")
    beats = _typed(path, data, "transition_beats", (int, float), default=1.0)
    if not 0 <= beats <= 64:
        raise SceneError(f"{path}: transition_beats: {beats} is outside 0..64")
    source = _typed(path, data, "input", str, default="lead")
    if source not in INPUTS:
        raise SceneError(f"{path}: input: {shown(source)} is not one of {', '.join(INPUTS)}")
    scene = Scene(
        key=path.stem, path=path, passes=passes,
        title=_typed(path, data, "title", str, default=path.stem.replace("_", " ").title()),
        description=_typed(path, data, "description", str,
                           default=isf.description if isf else ""),
        order=_typed(path, data, "order", int, default=1000),
        params=params, bindings=bindings, render_scale=float(scale),
        transition=transition, transition_beats=float(beats), input=source,
        looks=looks, shaders_dir=shaders_dir)
    if isf is None:
        return replace(scene, images=toy[1]) if toy else scene
    return replace(scene, flavor="isf", audio_inputs=isf.audio_inputs, images=isf.images,
                   image_inputs=isf.image_inputs, role=isf.role, warnings=isf.warnings)


def _isf_transition(path: Path, name: str) -> bool:
    """Whether ``name``.fs beside the scene file is an ISF transition (a folder's
    own transitions join the built-in ones)."""
    file = path.parent / f"{name}.fs"
    if not IDENT.fullmatch(name.replace(" ", "_")) or not file.is_file():
        return False
    try:
        return load_isf(file).role == "transition"
    except SceneError:
        return False


def _isf(path: Path, data: dict, folders: tuple[Path, ...], shaders_dir: Path) -> Scene | None:
    """The ISF file the scene file names with ``isf = "..."``, loaded (None if it names none)."""
    if "isf" not in data:
        return None
    if "shader" in data or "passes" in data:
        raise SceneError(f"{path}: give one of shader, [[passes]] or isf")
    name = _typed(path, data, "isf", str)
    file = next((f for f in (d / name for d in folders) if f.is_file()), None)
    if file is None or file.suffix.lower() != ".fs":
        where_not = " or ".join(label(str(d)) for d in folders)
        raise SceneError(f"{path}: isf: ISF file {label(name)} not found (looked in {where_not})"
                         if file is None else f"{path}: isf: {label(name)} is not an ISF .fs file")
    return load_isf(file, shaders_dir=shaders_dir)


def _looks(path: Path, tables: dict, params: dict[str, Param]) -> dict[str, dict]:
    """``[looks.NAME]`` tables: each names values for some of the parameters."""
    looks = {}
    for name, values in tables.items():
        where = f"looks.{label(name)}"
        if not isinstance(values, dict) or not values:
            raise SceneError(f"{path}: {where}: expected a table of parameter values")
        check_keys(path, values, set(params), SceneError, where)
        looks[name] = {key: _look_value(path, f"{where}.{label(key)}", params[key], value)
                       for key, value in values.items()}
    return looks


def _look_value(path: Path, where: str, param: Param, value):
    if param.type == "bool":
        if not isinstance(value, bool):
            raise SceneError(f"{path}: {where}: expected true or false")
        return value
    if param.type == "color":
        if not (isinstance(value, list) and len(value) == 3 and all(map(is_number, value))):
            raise SceneError(f"{path}: {where}: expected a colour [r, g, b]")
        return param.clamp(value)
    if not is_number(value) or not math.isfinite(value) or not param.low <= value <= param.high:
        raise SceneError(f"{path}: {where}: expected a number in {param.low:g}..{param.high:g}")
    return param.clamp(value)


def _passes(path: Path, data: dict, folders: tuple[Path, ...]) -> tuple[Pass, ...]:
    if ("shader" in data) == ("passes" in data):
        raise SceneError(f"{path}: give either shader or [[passes]]")
    if "shader" in data:
        specs = [{"shader": _typed(path, data, "shader", str)}]
    else:
        specs = _typed(path, data, "passes", list)
        if not specs:
            raise SceneError(f"{path}: passes: at least one pass is needed")
    passes, targets = [], set()
    for i, spec in enumerate(specs):
        where = f"passes[{i}]"
        if not isinstance(spec, dict):
            raise SceneError(f"{path}: {where}: expected a table")
        check_keys(path, spec, _PASS_KEYS, SceneError, where)
        shader = spec.get("shader")
        if not isinstance(shader, str):
            raise SceneError(f"{path}: {where}.shader: missing")
        file = next((f for f in (d / shader for d in folders) if f.is_file()), None)
        if file is None:
            where_not = " or ".join(label(str(d)) for d in folders)
            raise SceneError(f"{path}: {where}.shader: file {label(shader)} not found "
                             f"(looked in {where_not})")
        target = spec.get("target")
        last = i == len(specs) - 1
        if target is not None:
            if not isinstance(target, str) or not usable_name(target):
                raise SceneError(f"{path}: {where}.target: {shown(target)} is not a usable name")
            if target in targets:
                raise SceneError(f"{path}: {where}.target: {shown(target)} is drawn twice")
            targets.add(target)
        elif not last:
            raise SceneError(f"{path}: {where}.target: every pass but the last needs one")
        if last and target is not None:
            raise SceneError(f"{path}: {where}.target: the last pass draws the picture")
        feedback = spec.get("feedback", False)
        if not isinstance(feedback, bool):
            raise SceneError(f"{path}: {where}.feedback: expected true or false")
        passes.append(Pass(file, target, feedback))
    return tuple(passes)


def _param(path: Path, name: str, spec: object) -> Param:
    where = f"params.{label(name)}"
    if not IDENT.fullmatch(name) or name in GLSL_KEYWORDS or name.startswith("gl_"):
        raise SceneError(f"{path}: {where}: not a usable GLSL name")
    if name in BUILT_IN_NAMES:
        raise SceneError(f"{path}: {where}: clashes with the built-in uniform {name}")
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected a table with default and range")
    check_keys(path, spec, _PARAM_KEYS, SceneError, where)
    kind = spec.get("type", "float")
    if not isinstance(kind, str) or kind not in PARAM_TYPES:
        raise SceneError(f"{path}: {where}.type: {shown(kind)} is not one of {', '.join(PARAM_TYPES)}")
    desc = spec.get("description", "")
    if not isinstance(desc, str):
        raise SceneError(f"{path}: {where}.description: expected a string")
    default = spec.get("default")
    if kind == "bool":
        if not isinstance(default, bool):
            raise SceneError(f"{path}: {where}.default: expected true or false")
        return Param(name, default, 0.0, 1.0, desc, kind)
    if kind == "color":
        if (not isinstance(default, list) or len(default) != 3
                or not all(is_number(v) and 0 <= v <= 1 for v in default)):
            raise SceneError(f"{path}: {where}.default: expected [r, g, b] in 0..1")
        return Param(name, tuple(float(v) for v in default), 0.0, 1.0, desc, kind)
    rng = spec.get("range")
    if not is_number(default) or (kind == "int" and not isinstance(default, int)):
        raise SceneError(f"{path}: {where}.default: expected a{'n integer' if kind == 'int' else ' number'}")
    if (not isinstance(rng, list) or len(rng) != 2 or not all(is_number(v) for v in rng)
            or rng[0] >= rng[1]):
        raise SceneError(f"{path}: {where}.range: expected [low, high] with low < high")
    low, high = INT_RANGE if kind == "int" else (-math.inf, math.inf)
    if not all(math.isfinite(v) and low <= v <= high for v in rng):   # a uniform holds it
        raise SceneError(f"{path}: {where}.range: {rng} is not within "
                         + ("a GLSL int's range" if kind == "int" else "finite numbers"))
    if not rng[0] <= default <= rng[1]:
        raise SceneError(f"{path}: {where}.default: {default} is outside range {rng}")
    value = int(default) if kind == "int" else float(default)
    return Param(name, value, float(rng[0]), float(rng[1]), desc, kind)


def _binding(path: Path, i: int, spec: object, params: dict[str, Param]) -> Binding:
    where = f"bindings[{i}]"
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected a table")
    check_keys(path, spec, _BINDING_KEYS, SceneError, where)
    param, feature = spec.get("param"), spec.get("feature")
    if not isinstance(param, str) or param not in params:
        raise SceneError(f"{path}: {where}.param: {shown(param)} is not a parameter of this scene")
    if params[param].type not in ("float", "int"):
        raise SceneError(f"{path}: {where}.param: {shown(param)} is a {params[param].type}; "
                         "only float and int parameters can follow the music")
    if not isinstance(feature, str) or feature not in FEATURE_INDEX:
        raise SceneError(f"{path}: {where}.feature: {shown(feature)} is not a feature "
                         f"(see the README's uniform list)")
    values = {}
    for key, default, low in (("gain", 1.0, None), ("attack", 0.02, 0.0), ("release", 0.25, 0.0)):
        v = spec.get(key, default)
        if not is_number(v) or not math.isfinite(v) or (low is not None and v < low):
            raise SceneError(f"{path}: {where}.{key}: expected a number"
                             + (" >= 0" if low is not None else ""))
        values[key] = float(v)
    return Binding(param, feature, **values)


def _typed(path: Path, data: dict, key: str, kind, *, default=None):
    if key not in data:
        if default is None:
            raise SceneError(f"{path}: {key}: missing")
        return default
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (int in kinds and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in kinds)
        raise SceneError(f"{path}: {key}: expected {names}, got {type(value).__name__}")
    return value
