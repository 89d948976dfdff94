"""The scene library: load a scene from any file it can be, and gather the
scenes of the built-in folder and of a performer's own folders.

A scene is a TOML file (:mod:`visualizer.scenes.toml_scene`), an ISF
``.fs`` shader (:mod:`visualizer.scenes.isf`), a bare Shadertoy ``.glsl``
shader or a Shadertoy JSON export (:mod:`visualizer.scenes.shadertoy`, as is
a TOML's ``[shadertoy]`` table); :func:`load_scene` tells them apart by the
file's suffix. The types
(:class:`Scene`, :class:`Param`, :class:`Pass`, ...) live in
:mod:`visualizer.scenes.model` and are named here too, for callers that
load scenes and use them.

Scene folders. :func:`discover` reads the built-in folder (``scenes/``, or
``VISUALIZER_SCENES``) and then each of a performer's folders in turn. A
scene's key is its file name without the suffix; a scene whose key an
earlier folder already had replaces that one, so a performer's
``vortex.toml`` is the vortex (their own takes the built-in one's place),
and of two of their folders the one named later wins. A scene TOML finds
its shaders beside itself first and then in the built-in ``shaders/`` (or
``VISUALIZER_SHADERS``), whose ``lib/`` and ``transitions/`` every scene
shares.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from visualizer.errors import SceneError
from visualizer.scenes.isf import load_isf
from visualizer.scenes.model import (GLSL_KEYWORDS, INPUTS, INT_RANGE, PARAM_TYPES, ROOT,
                                     SCENES_DIR, SHADERS_DIR, TRANSITIONS_DIR, Binding, Param,
                                     Pass, Scene)
from visualizer.scenes.shadertoy import load_shadertoy_json, unbound_channels
from visualizer.scenes.toml_scene import load_toml_scene
from visualizer.userfile import label

__all__ = [   # the model's names too: what a caller of the loader works with
    "discover", "discover_effects", "discover_transitions", "find", "library", "Library",
    "load_scene", "reload_scene", "SCENE_SUFFIXES",
    "Binding", "Param", "Pass", "Scene", "GLSL_KEYWORDS", "INPUTS", "INT_RANGE", "PARAM_TYPES",
    "ROOT", "SCENES_DIR", "SHADERS_DIR", "TRANSITIONS_DIR",
]

SCENE_SUFFIXES = (".toml", ".fs", ".json")
"""The files :func:`discover` takes for scenes (a ``.json`` file is a
Shadertoy export). (A ``.glsl`` file in a scene folder is a TOML scene's
shader; ``--scene FILE.glsl`` runs one by itself.)"""


def load_scene(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """Read and validate one scene file; raises SceneError naming file and key.

    A ``.fs`` file is an ISF shader; a bare ``.glsl`` file is a Shadertoy
    shader (``mainImage``), run as it is with no parameters; a ``.json``
    file a Shadertoy export (its passes and their channels); anything else
    is a scene TOML, whose shaders are looked for beside it and then in
    ``shaders_dir`` (the built-in shaders: their ``lib/`` and
    ``transitions/`` are every scene's).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_shadertoy_json(path, shaders_dir=shaders_dir)
    if suffix == ".fs":
        return load_isf(path, shaders_dir=shaders_dir)
    if suffix == ".glsl":
        if not path.is_file():
            raise SceneError(f"{path}: shader file not found")
        return Scene(key=path.stem, path=path, passes=(Pass(path),),
                     title=path.stem.replace("_", " ").title(),
                     description=f"Shadertoy shader {path.name}", shaders_dir=Path(shaders_dir),
                     warnings=unbound_channels(path))
    return load_toml_scene(path, shaders_dir=shaders_dir)


def reload_scene(scene: Scene) -> Scene:
    """``scene`` read again from its file (after an edit), its shaders
    looked for where they were found before."""
    return load_scene(scene.path, shaders_dir=scene.shaders_dir)


def discover(folders: Iterable[Path] = (), *, builtin: Path | None = SCENES_DIR,
             shaders_dir: Path = SHADERS_DIR, role: str = "scene") -> list[Scene]:
    """Every scene (TOML and ISF .fs files) in ``builtin`` and then in each
    of ``folders``, by ``order`` then key; with ``role``, the effects (ISF
    filters) or the ISF transitions there instead (one folder holds all three).

    A key already found is replaced by the later folder's scene of that key:
    a performer's folder overrides a built-in scene of the same name, and of
    their folders the last one given wins. ``builtin=None`` reads
    ``folders`` alone. A folder of ``folders`` that does not exist is a
    SceneError (a typo should not leave a set without its scenes); two files
    of one key in one folder (``x.toml`` and ``x.fs``) are one too.
    """
    found = _gather(folders, [builtin], shaders_dir)
    return _sorted(s for s in found.values() if s.role == role)


@dataclass(frozen=True)
class Library:
    """What a show can use, from the built-in folders and a performer's own:
    scenes, effects (ISF filters) and ISF transitions, each by order then key."""

    scenes: list[Scene]
    effects: list[Scene]
    transitions: list[Scene]

    def effect_params(self) -> dict[str, list[str]]:
        """Each effect's parameter names, by key (what controls may name)."""
        return {e.key: list(e.params) for e in self.effects}


def library(folders: Iterable[Path] = (), *, builtin: Path | None = SCENES_DIR,
            shaders_dir: Path = SHADERS_DIR) -> Library:
    """Every scene, effect and ISF transition: the built-in scenes and
    effects (``shaders/effects/``), then each of ``folders`` in turn (a
    later one of a key and kind replaces an earlier one, as :func:`discover` says);
    ``builtin=None``: the folders alone."""
    builtins = [] if builtin is None else [builtin, Path(shaders_dir) / "effects"]
    found = _gather(folders, builtins, shaders_dir)
    return Library(*(_sorted(s for s in found.values() if s.role == role)
                     for role in ("scene", "effect", "transition")))


def discover_effects(folders: Iterable[Path] = (), *,
                     shaders_dir: Path = SHADERS_DIR) -> list[Scene]:
    """The built-in effects (``shaders/effects/``), then the ISF filters (and
    TOML files naming one) in each of ``folders``: a later one of a key wins."""
    found = _gather(folders, [Path(shaders_dir) / "effects"], shaders_dir)
    return _sorted(s for s in found.values() if s.role == "effect")


def discover_transitions(folders: Iterable[Path] = (), *,
                         shaders_dir: Path = SHADERS_DIR) -> list[Scene]:
    """The ISF transitions in each of ``folders`` (the built-in transitions
    are GLSL files in ``shaders/transitions/``, compiled by the engine)."""
    return discover(folders, builtin=None, shaders_dir=shaders_dir, role="transition")


def _gather(folders, builtins, shaders_dir: Path) -> dict[tuple[str, str], Scene]:
    """Every file's scene by (role, key): the built-in folders (that exist),
    then each of ``folders`` (which must), a later one replacing an earlier."""
    if isinstance(folders, (str, Path)):   # one folder given bare, not a string's letters
        folders = [folders]
    found: dict[tuple[str, str], Scene] = {}
    for folder in builtins:
        if folder is not None:
            found.update(((s.role, k), s) for k, s in _folder(Path(folder), shaders_dir).items())
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise SceneError(f"{label(str(folder))}: no such scenes folder")
        found.update(((s.role, k), s) for k, s in _folder(folder, shaders_dir).items())
    return found


def _sorted(scenes) -> list[Scene]:
    return sorted(scenes, key=lambda s: (s.order, s.key))


def _folder(folder: Path, shaders_dir: Path) -> dict[str, Scene]:
    """The scenes in ``folder`` by key (none if there is no such folder)."""
    found: dict[str, Scene] = {}
    loaded = [load_scene(path, shaders_dir=shaders_dir) for path in
              sorted(p for suffix in SCENE_SUFFIXES for p in folder.glob(f"*{suffix}"))]
    # An ISF file that a TOML file of its own name beside it names (glow.toml: isf =
    # "glow.fs") is that scene, not a second one of the same key.
    wrapped = {s.passes[0].shader for s in loaded if s.flavor == "isf" and s.path.suffix == ".toml"
               and s.passes[0].shader.stem == s.key}
    for scene in loaded:
        path = scene.path
        if path in wrapped:
            continue
        if scene.key in found:
            raise SceneError(f"{path}: {found[scene.key].path.name} in the same folder is the "
                             f"scene '{scene.key}' too: rename one")
        found[scene.key] = scene
    return found


def find(name: str, scenes: list[Scene]) -> Scene:
    """The scene called ``name`` (its key), or a scene file's path (.toml, a
    Shadertoy .glsl or .json export, an ISF .fs), or a SceneError listing the known ones."""
    for scene in scenes:
        if scene.key == name:
            return scene
    if Path(name).suffix.lower() in (".toml", ".glsl", ".fs", ".json"):
        scene = load_scene(Path(name))
        if scene.role != "scene":
            how = "--fx" if scene.role == "effect" else "--scenes FOLDER and a cue's transition"
            raise SceneError(f"{name}: an ISF {'filter' if scene.role == 'effect' else 'transition'}"
                             f" is not a scene: use it with {how}")
        scenes.append(scene)
        return scene
    known = ", ".join(s.key for s in scenes) or "none"
    raise SceneError(f"unknown scene '{name}' (known: {known})")
