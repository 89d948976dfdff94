"""Scenes are data: a TOML file in scenes/ naming GLSL shaders, parameters
and audio bindings.

    title = "Vortex"
    description = "The music swirls around him like a vortex."
    order = 1                  # position for keys 1-9 (optional)
    render_scale = 0.75        # draw at this fraction of the output size (optional)
    transition = "dissolve"    # how keys, MIDI and OSC enter it (default crossfade)
    transition_beats = 2       # over this many beats (default 1)
    input = "lead"             # whose features drive it: lead (default) or backing
    shader = "vortex.glsl"     # one pass; or several [[passes]] (below)

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

    [[passes]]                 # instead of `shader`: drawn in order
    shader = "trails.glsl"
    target = "trails"          # a float buffer, a sampler2D uniform in every pass
    feedback = true            # keeps its last frame, which its own pass reads
    [[passes]]
    shader = "final.glsl"      # no target: the picture

Each parameter becomes a uniform of its name (float, int, bool or vec3).
Unknown keys and out-of-range values are errors naming the file and key.
"""

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.errors import SceneError
from visualizer.scenes.uniforms import ALL_UNIFORMS
from visualizer.userfile import label, read_toml, shown

ROOT = Path(__file__).resolve().parent.parent.parent
SCENES_DIR = Path(os.environ.get("VISUALIZER_SCENES", ROOT / "scenes"))
SHADERS_DIR = Path(os.environ.get("VISUALIZER_SHADERS", ROOT / "shaders"))
TRANSITIONS_DIR = SHADERS_DIR / "transitions"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")   # fullmatch: "$" would let "name\n" through
GLSL_KEYWORDS = frozenset("""
    attribute const uniform varying layout centroid flat smooth noperspective break continue do
    for while switch case default if else in out inout float int void bool true false invariant
    discard return mat2 mat3 mat4 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4
    vec2 vec3 vec4 ivec2 ivec3 ivec4 bvec2 bvec3 bvec4 uint uvec2 uvec3 uvec4 lowp mediump highp
    precision sampler1D sampler2D sampler3D samplerCube sampler1DShadow sampler2DShadow
    samplerCubeShadow sampler1DArray sampler2DArray sampler1DArrayShadow sampler2DArrayShadow
    isampler1D isampler2D isampler3D isamplerCube isampler1DArray isampler2DArray usampler1D
    usampler2D usampler3D usamplerCube usampler1DArray usampler2DArray sampler2DRect
    sampler2DRectShadow isampler2DRect usampler2DRect samplerBuffer isamplerBuffer usamplerBuffer
    sampler2DMS isampler2DMS usampler2DMS sampler2DMSArray isampler2DMSArray usampler2DMSArray
    struct common partition active asm class union enum typedef template this packed goto inline
    noinline volatile public static extern external interface long short double half fixed
    unsigned superp input output hvec2 hvec3 hvec4 dvec2 dvec3 dvec4 fvec2 fvec3 fvec4
    sampler3DRect filter image1D image2D image3D imageCube iimage1D iimage2D iimage3D iimageCube
    uimage1D uimage2D uimage3D uimageCube image1DArray image2DArray iimage1DArray iimage2DArray
    uimage1DArray uimage2DArray image1DShadow image2DShadow image1DArrayShadow image2DArrayShadow
    imageBuffer iimageBuffer uimageBuffer sizeof cast namespace using row_major main
""".split())
"""Words a GLSL 3.30 name cannot be (keywords, reserved words, ``main``)."""
_RESERVED = {u.name for u in ALL_UNIFORMS}
INT_RANGE = (-2**31, 2**31 - 1)
"""What a GLSL int holds: the range of an int parameter."""
_SCENE_KEYS = {"title", "description", "shader", "order", "params", "bindings", "passes",
               "render_scale", "transition", "transition_beats", "input"}
INPUTS = ("lead", "backing")
"""The live inputs a scene can follow: the lead (the saxophone) or a backing track."""
_PARAM_KEYS = {"type", "default", "range", "description"}
_BINDING_KEYS = {"param", "feature", "gain", "attack", "release"}
_PASS_KEYS = {"shader", "target", "feedback"}
PARAM_TYPES = {"float": "float", "int": "int", "bool": "bool", "color": "vec3"}
"""Parameter types and their GLSL types."""


@dataclass(frozen=True)
class Param:
    """A scene parameter: a uniform with a default (inside its range)."""

    name: str
    default: float | int | bool | tuple
    low: float = 0.0
    high: float = 1.0
    description: str = ""
    type: str = "float"

    @property
    def glsl_type(self) -> str:
        return PARAM_TYPES[self.type]

    def clamp(self, value):
        """``value`` made valid for this parameter (NaN is the default)."""
        if self.type == "bool":
            return bool(value)
        if self.type == "color":
            return tuple(min(max(_or(float(v), d), 0.0), 1.0) for v, d in zip(value, self.default))
        v = min(max(_or(float(value), float(self.default)), self.low), self.high)
        return int(round(v)) if self.type == "int" else v


@dataclass(frozen=True)
class Binding:
    """``param`` follows ``feature`` x ``gain``, with its own attack and release (s)."""

    param: str
    feature: str
    gain: float = 1.0
    attack: float = 0.02
    release: float = 0.25


@dataclass(frozen=True)
class Pass:
    """One shader pass; ``target`` None draws the picture."""

    shader: Path
    target: str | None = None
    feedback: bool = False


@dataclass(frozen=True)
class Scene:
    """A loaded scene description (data only; no GL)."""

    key: str
    path: Path
    passes: tuple[Pass, ...]
    title: str
    description: str = ""
    order: int = 1000
    params: dict[str, Param] = field(default_factory=dict)
    bindings: tuple[Binding, ...] = ()
    render_scale: float = 1.0
    flavor: str = "glsl"
    """'glsl' (our prelude, Shadertoy's mainImage) or 'isf' (an ISF .fs file)."""
    audio_inputs: tuple[tuple[str, str], ...] = ()
    """ISF ``audio`` / ``audioFFT`` inputs: (sampler name, kind), bound to the audio texture."""
    transition: str = "crossfade"
    """The transition a live switch to this scene uses."""
    transition_beats: float = 1.0
    input: str = "lead"
    """Which live input's features drive the scene (see ``INPUTS``)."""

    @property
    def shader(self) -> Path:
        """The shader that draws the picture (the last pass)."""
        return self.passes[-1].shader

    @property
    def buffers(self) -> list[str]:
        """Named buffers, in pass order."""
        return [p.target for p in self.passes if p.target]

    @property
    def files(self) -> list[Path]:
        """The scene file and its shaders (includes are found by the loader)."""
        return [self.path] + [p.shader for p in self.passes]


def load_scene(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """Read and validate one scene file; raises SceneError naming file and key.

    A ``.fs`` file is an ISF shader; a bare ``.glsl`` file is a Shadertoy
    shader (``mainImage``), run as it is with no parameters.
    """
    path = Path(path)
    if path.suffix.lower() == ".fs":
        from visualizer.scenes.isf import load_isf
        return load_isf(path)
    if path.suffix.lower() == ".glsl":
        if not path.is_file():
            raise SceneError(f"{path}: shader file not found")
        return Scene(key=path.stem, path=path, passes=(Pass(path),),
                     title=path.stem.replace("_", " ").title(),
                     description=f"Shadertoy shader {path.name}")
    data = read_toml(path, SceneError, "scene file")
    _no_unknown(path, data, _SCENE_KEYS, "")
    passes = _passes(path, data, shaders_dir)
    params = {}
    for name, spec in _typed(path, data, "params", dict, default={}).items():
        params[name] = _param(path, name, spec)
    bindings = tuple(_binding(path, i, spec, params)
                     for i, spec in enumerate(_typed(path, data, "bindings", list, default=[])))
    scale = _typed(path, data, "render_scale", (int, float), default=1.0)
    if not 0.1 <= scale <= 1.0:
        raise SceneError(f"{path}: render_scale: {scale} is outside 0.1..1")
    transition = _typed(path, data, "transition", str, default="crossfade")
    known = sorted(p.stem for p in (shaders_dir / "transitions").glob("*.glsl"))
    if "transition" in data and transition not in known:
        raise SceneError(f"{path}: transition: unknown {shown(transition)} (known: {', '.join(known)})")
    beats = _typed(path, data, "transition_beats", (int, float), default=1.0)
    if not 0 <= beats <= 64:
        raise SceneError(f"{path}: transition_beats: {beats} is outside 0..64")
    source = _typed(path, data, "input", str, default="lead")
    if source not in INPUTS:
        raise SceneError(f"{path}: input: {shown(source)} is not one of {', '.join(INPUTS)}")
    return Scene(
        key=path.stem, path=path, passes=passes,
        title=_typed(path, data, "title", str, default=path.stem.replace("_", " ").title()),
        description=_typed(path, data, "description", str, default=""),
        order=_typed(path, data, "order", int, default=1000),
        params=params, bindings=bindings, render_scale=float(scale),
        transition=transition, transition_beats=float(beats), input=source)


def _passes(path: Path, data: dict, shaders_dir: Path) -> tuple[Pass, ...]:
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
        _no_unknown(path, spec, _PASS_KEYS, where + ".")
        shader = spec.get("shader")
        if not isinstance(shader, str):
            raise SceneError(f"{path}: {where}.shader: missing")
        file = shaders_dir / shader
        if not file.is_file():
            raise SceneError(f"{path}: {where}.shader: file {label(str(file))} not found")
        target = spec.get("target")
        last = i == len(specs) - 1
        if target is not None:
            if not isinstance(target, str) or not _usable(target):
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
    if not _IDENT.fullmatch(name) or name in GLSL_KEYWORDS or name.startswith("gl_"):
        raise SceneError(f"{path}: {where}: not a usable GLSL name")
    if name in _RESERVED:
        raise SceneError(f"{path}: {where}: clashes with the built-in uniform {name}")
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected a table with default and range")
    _no_unknown(path, spec, _PARAM_KEYS, where + ".")
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
                or not all(_number(v) and 0 <= v <= 1 for v in default)):
            raise SceneError(f"{path}: {where}.default: expected [r, g, b] in 0..1")
        return Param(name, tuple(float(v) for v in default), 0.0, 1.0, desc, kind)
    rng = spec.get("range")
    if not _number(default) or (kind == "int" and not isinstance(default, int)):
        raise SceneError(f"{path}: {where}.default: expected a{'n integer' if kind == 'int' else ' number'}")
    if (not isinstance(rng, list) or len(rng) != 2 or not all(_number(v) for v in rng)
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
    _no_unknown(path, spec, _BINDING_KEYS, where + ".")
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
        if not _number(v) or not math.isfinite(v) or (low is not None and v < low):
            raise SceneError(f"{path}: {where}.{key}: expected a number"
                             + (" >= 0" if low is not None else ""))
        values[key] = float(v)
    return Binding(param, feature, **values)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _or(value: float, default: float) -> float:
    """``value``, or ``default`` where it is NaN (which no comparison clamps)."""
    return default if value != value else value


def _usable(name: str) -> bool:
    """A name that can be a GLSL uniform of ours (a buffer's sampler)."""
    return (bool(_IDENT.fullmatch(name)) and name not in GLSL_KEYWORDS and name not in _RESERVED
            and not name.startswith("gl_"))


def _no_unknown(path: Path, data: dict, allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise SceneError(f"{path}: {prefix}{label(key)}: unknown key (known: {known})")


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


def discover(scenes_dir: Path = SCENES_DIR, *, shaders_dir: Path = SHADERS_DIR) -> list[Scene]:
    """Every scene in ``scenes_dir`` (TOML scenes and ISF .fs files), by ``order`` then key."""
    folder = Path(scenes_dir)
    paths = sorted(list(folder.glob("*.toml")) + list(folder.glob("*.fs")))
    scenes = [load_scene(p, shaders_dir=shaders_dir) for p in paths]
    return sorted(scenes, key=lambda s: (s.order, s.key))


def find(name: str, scenes: list[Scene]) -> Scene:
    """The scene called ``name`` (its key), or a scene file's path (.toml, a
    Shadertoy .glsl, an ISF .fs), or a SceneError listing the known ones."""
    for scene in scenes:
        if scene.key == name:
            return scene
    if Path(name).suffix.lower() in (".toml", ".glsl", ".fs"):
        scene = load_scene(Path(name))
        scenes.append(scene)
        return scene
    known = ", ".join(s.key for s in scenes) or "none"
    raise SceneError(f"unknown scene '{name}' (known: {known})")
