"""The scene library: load a scene from any file it can be, and gather the
scenes of the built-in folder and of a performer's own folders.

A scene is a TOML file (:mod:`visualizer.scenes.toml_scene`), an ISF
``.fs`` shader (:mod:`visualizer.scenes.isf`) or a bare Shadertoy ``.glsl``
shader; :func:`load_scene` tells them apart by the file's suffix. The types
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
from pathlib import Path

from visualizer.errors import SceneError
from visualizer.scenes.isf import load_isf
from visualizer.scenes.model import (GLSL_KEYWORDS, INPUTS, INT_RANGE, PARAM_TYPES, ROOT,
                                     SCENES_DIR, SHADERS_DIR, TRANSITIONS_DIR, Binding, Param,
                                     Pass, Scene)
from visualizer.scenes.toml_scene import load_toml_scene
from visualizer.userfile import label

__all__ = [   # the model's names too: what a caller of the loader works with
    "discover", "find", "load_scene", "reload_scene", "SCENE_SUFFIXES",
    "Binding", "Param", "Pass", "Scene", "GLSL_KEYWORDS", "INPUTS", "INT_RANGE", "PARAM_TYPES",
    "ROOT", "SCENES_DIR", "SHADERS_DIR", "TRANSITIONS_DIR",
]

SCENE_SUFFIXES = (".toml", ".fs")
"""The files :func:`discover` takes for scenes. (A ``.glsl`` file in a scene
folder is a TOML scene's shader; ``--scene FILE.glsl`` runs one by itself.)"""


def load_scene(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """Read and validate one scene file; raises SceneError naming file and key.

    A ``.fs`` file is an ISF shader; a bare ``.glsl`` file is a Shadertoy
    shader (``mainImage``), run as it is with no parameters; anything else
    is a scene TOML, whose shaders are looked for beside it and then in
    ``shaders_dir`` (the built-in shaders: their ``lib/`` and
    ``transitions/`` are every scene's).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".fs":
        return load_isf(path, shaders_dir=shaders_dir)
    if suffix == ".glsl":
        if not path.is_file():
            raise SceneError(f"{path}: shader file not found")
        return Scene(key=path.stem, path=path, passes=(Pass(path),),
                     title=path.stem.replace("_", " ").title(),
                     description=f"Shadertoy shader {path.name}", shaders_dir=Path(shaders_dir))
    return load_toml_scene(path, shaders_dir=shaders_dir)


def reload_scene(scene: Scene) -> Scene:
    """``scene`` read again from its file (after an edit), its shaders
    looked for where they were found before."""
    return load_scene(scene.path, shaders_dir=scene.shaders_dir)


def discover(folders: Iterable[Path] = (), *, builtin: Path | None = SCENES_DIR,
             shaders_dir: Path = SHADERS_DIR) -> list[Scene]:
    """Every scene (TOML and ISF .fs files) in ``builtin`` and then in each
    of ``folders``, by ``order`` then key.

    A key already found is replaced by the later folder's scene of that key:
    a performer's folder overrides a built-in scene of the same name, and of
    their folders the last one given wins. ``builtin=None`` reads
    ``folders`` alone. A folder of ``folders`` that does not exist is a
    SceneError (a typo should not leave a set without its scenes); two files
    of one key in one folder (``x.toml`` and ``x.fs``) are one too.
    """
    if isinstance(folders, (str, Path)):   # one folder given bare, not a string's letters
        folders = [folders]
    by_key = {} if builtin is None else _folder(Path(builtin), shaders_dir)
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise SceneError(f"{label(str(folder))}: no such scenes folder")
        by_key.update(_folder(folder, shaders_dir))
    return sorted(by_key.values(), key=lambda s: (s.order, s.key))


def _folder(folder: Path, shaders_dir: Path) -> dict[str, Scene]:
    """The scenes in ``folder`` by key (none if there is no such folder)."""
    found: dict[str, Scene] = {}
    for path in sorted(p for suffix in SCENE_SUFFIXES for p in folder.glob(f"*{suffix}")):
        scene = load_scene(path, shaders_dir=shaders_dir)
        if scene.key in found:
            raise SceneError(f"{path}: {found[scene.key].path.name} in the same folder is the "
                             f"scene '{scene.key}' too: rename one")
        found[scene.key] = scene
    return found


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
