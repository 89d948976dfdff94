"""Scenes are data: a TOML file in scenes/ naming a GLSL shader and its parameters.

    title = "Vortex"
    description = "The music swirls around him like a vortex."
    shader = "vortex.glsl"          # relative to the shaders folder
    order = 1                       # position for keys 1-9 (optional)

    [params.spin]
    default = 1.0
    range = [0.0, 4.0]
    description = "Turns per second at full level."

Each parameter becomes a ``uniform float`` of the same name in the shader.
Unknown keys and out-of-range defaults are errors naming the file and key.
"""

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.errors import SceneError
from visualizer.render.uniforms import ALL_UNIFORMS

ROOT = Path(__file__).resolve().parent.parent
SCENES_DIR = Path(os.environ.get("VISUALIZER_SCENES", ROOT / "scenes"))
SHADERS_DIR = Path(os.environ.get("VISUALIZER_SHADERS", ROOT / "shaders"))

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {u.name for u in ALL_UNIFORMS}
_SCENE_KEYS = {"title", "description", "shader", "order", "params"}
_PARAM_KEYS = {"default", "range", "description"}


@dataclass(frozen=True)
class Param:
    """A scene parameter: a float uniform with a default inside its range."""

    name: str
    default: float
    low: float
    high: float
    description: str = ""


@dataclass(frozen=True)
class Scene:
    """A loaded scene description (data only; no GL)."""

    key: str
    path: Path
    shader: Path
    title: str
    description: str = ""
    order: int = 1000
    params: dict[str, Param] = field(default_factory=dict)


def load_scene(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """Read and validate one scene file; raises SceneError naming file and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SceneError(f"{path}: scene file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise SceneError(f"{path}: malformed TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SceneError(f"{path}: cannot read scene file: {e}") from None
    _no_unknown(path, data, _SCENE_KEYS, "")
    shader_name = _typed(path, data, "shader", str, required=True)
    shader = (shaders_dir / shader_name)
    if not shader.is_file():
        raise SceneError(f"{path}: shader: file {shader} not found")
    params = {}
    raw_params = _typed(path, data, "params", dict, default={})
    for name, spec in raw_params.items():
        params[name] = _param(path, name, spec)
    return Scene(
        key=path.stem, path=path, shader=shader,
        title=_typed(path, data, "title", str, default=path.stem.replace("_", " ").title()),
        description=_typed(path, data, "description", str, default=""),
        order=_typed(path, data, "order", int, default=1000),
        params=params)


def _param(path: Path, name: str, spec: object) -> Param:
    where = f"params.{name}"
    if not _IDENT.match(name):
        raise SceneError(f"{path}: {where}: not a valid GLSL identifier")
    if name in _RESERVED:
        raise SceneError(f"{path}: {where}: clashes with the built-in uniform {name}")
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected a table with default and range")
    _no_unknown(path, spec, _PARAM_KEYS, where + ".")
    default = spec.get("default")
    rng = spec.get("range")
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        raise SceneError(f"{path}: {where}.default: expected a number")
    if (not isinstance(rng, list) or len(rng) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)
            or rng[0] >= rng[1]):
        raise SceneError(f"{path}: {where}.range: expected [low, high] with low < high")
    if not rng[0] <= default <= rng[1]:
        raise SceneError(f"{path}: {where}.default: {default} is outside range {rng}")
    desc = spec.get("description", "")
    if not isinstance(desc, str):
        raise SceneError(f"{path}: {where}.description: expected a string")
    return Param(name, float(default), float(rng[0]), float(rng[1]), desc)


def _no_unknown(path: Path, data: dict, allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise SceneError(f"{path}: {prefix}{key}: unknown key (known: {known})")


def _typed(path: Path, data: dict, key: str, kind: type, *, default=None, required=False):
    if key not in data:
        if required:
            raise SceneError(f"{path}: {key}: missing")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SceneError(f"{path}: {key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def discover(scenes_dir: Path = SCENES_DIR, *, shaders_dir: Path = SHADERS_DIR) -> list[Scene]:
    """Every scene in ``scenes_dir``, sorted by ``order`` then key."""
    paths = sorted(Path(scenes_dir).glob("*.toml"))
    scenes = [load_scene(p, shaders_dir=shaders_dir) for p in paths]
    return sorted(scenes, key=lambda s: (s.order, s.key))


def find(name: str, scenes: list[Scene]) -> Scene:
    """The scene called ``name`` (its key), or a SceneError listing the known ones."""
    for scene in scenes:
        if scene.key == name:
            return scene
    known = ", ".join(s.key for s in scenes) or "none"
    raise SceneError(f"unknown scene '{name}' (known: {known})")
