"""Shadertoy shaders of several passes as scenes: Buffers A-D and the Image
pass, each with its own ``iChannel0..3``, from a scene TOML's
``[shadertoy]`` table or from a Shadertoy JSON export. (A bare ``.glsl``
file is the one-pass case: :func:`~visualizer.scenes.scene.load_scene`.)

The layout, in a scene TOML (its title, params, bindings and looks as in
any scene; files beside it first, then in the built-in shaders)::

    title = "Fluid"
    [shadertoy]
    common = "common.glsl"      # optional: the Common tab, put before every pass
    [shadertoy.buffer_a]        # buffer_a .. buffer_d, each optional
    shader = "buffer_a.glsl"
    iChannel0 = "buffer_a"      # its own last frame
    iChannel1 = "audio"
    [shadertoy.image]           # the picture (required)
    shader = "image.glsl"
    iChannel0 = "buffer_a"
    iChannel1 = "noise.png"     # an image file, relative to this file

What a channel reads, as on Shadertoy: ``buffer_a`` .. ``buffer_d`` that
buffer (RGBA float, at the render size, 0 at the start; passes run A, B, C,
D, Image, and a pass reading its own buffer or a later one sees the previous
frame, an earlier one this frame's); ``audio`` the 512x2 audio texture;
``keyboard`` Shadertoy's 256x3 keyboard texture (no key is ever down here:
0); ``none`` (or no entry) black, 1x1; anything else an image file, upright.
Buffers are sampled linear and clamped at the edges, images linear and
repeating, the keyboard nearest (Shadertoy's defaults); an export's sampler
settings that differ are not honoured, and the scene's warnings say so.

A JSON export (``.json``: the Shadertoy API's ``{"Shader": {"info": ...,
"renderpass": [...]}}``, a list of one such, or the ``{"renderpass": [...]}``
inside) carries its bindings: music, music stream and microphone inputs read
the audio; a buffer input its buffer (by id, 257-260 or Shadertoy's string
ids, or by ``/media/previz/buffer0N.png``); the keyboard the keyboard; a
texture the image of that file name beside the JSON (black, and a warning,
if there is none). A pass's code may also be a ``filename`` beside the JSON
(as Shadertron writes it). Cubemap, volume, video and webcam inputs, and
sound and cubemap passes, are SceneErrors.

The passes' code is written to files in a folder of the temporary folder
kept for each export (``visualizer-shadertoy-UID/NAME-HASH/Buffer A.glsl``),
so a compile error names the pass and its line. A buffer pass, or the Image
pass after a Common tab, compiles from a small file there that includes the
Common tab and the pass (a buffer's main keeps the alpha it writes).
"""

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from visualizer.errors import SceneError
from visualizer.scenes.model import SHADERS_DIR, Pass, Scene
from visualizer.userfile import check_keys, is_int, label, read_text, shown

BUFFERS = ("buffer_a", "buffer_b", "buffer_c", "buffer_d")
"""The buffers a layout may draw, in the order they are drawn (then the picture)."""
PASS_NAMES = BUFFERS + ("image",)
CHANNELS = tuple(f"iChannel{i}" for i in range(4))
CHANNEL_WORDS = {"audio": "audio", "keyboard": "keyboard", "none": "black", "black": "black"}
"""Channel sources by name in a layout, and the texture source each reads."""
MAX_JSON_BYTES = 4 * 2**20
"""A Shadertoy export is tens of kilobytes: a file over this is the wrong file."""

TAB_NAMES = dict(zip(PASS_NAMES, ("Buffer A", "Buffer B", "Buffer C", "Buffer D", "Image")))
_BUFFER_IDS = {str(i): b for i, b in zip(range(257, 261), BUFFERS)}
_BUFFER_IDS.update(zip(("4dXGR8", "XsXGR8", "4sXGR8", "XdfGR8"), BUFFERS))
_BUFFER_IDS.update((v, k) for k, v in TAB_NAMES.items() if k != "image")
_BUFFER_SRC = re.compile(r"/media/previz/buffer0([0-3])\.png$")
_AUDIO_INPUTS = ("music", "musicstream", "mic")
_UNSUPPORTED_INPUTS = ("cubemap", "volume", "video", "webcam")
_DRAWN = {   # how a channel of each kind is sampled here, for an export's sampler settings
    "buffer": {"filter": ("linear",), "wrap": ("clamp",)},
    "texture": {"filter": ("linear", "mipmap"), "wrap": ("repeat",), "vflip": ("true",)},
}
_BUFFER_MAIN = """void main() {
    vec4 c = vec4(0.0, 0.0, 0.0, 1.0);
    mainImage(c, gl_FragCoord.xy);
    visualizer_FragColor = c;
}
"""


@dataclass(frozen=True)
class _Tab:
    """One pass as read from a layout or an export, before it is a Pass."""

    name: str                    # one of PASS_NAMES
    file: Path                   # its code
    channels: tuple[str, ...]    # 4 texture sources
    where: str                   # how errors name it: shadertoy.buffer_a, Buffer A


# -- the [shadertoy] table of a scene TOML --------------------------------------

def layout_passes(path: Path, data: dict, folders: tuple[Path, ...]
                  ) -> tuple[tuple[Pass, ...], dict]:
    """The passes and image files (``Scene.images``) of the ``[shadertoy]``
    table of the scene TOML at ``path`` whose tables are ``data``; its
    shaders are looked for in ``folders``. Raises SceneError naming the file
    and key."""
    if any(key in data for key in ("shader", "passes", "isf")):
        raise SceneError(f"{path}: give one of shader, [[passes]], isf or [shadertoy]")
    table = data["shadertoy"]
    if not isinstance(table, dict):
        raise SceneError(f"{path}: shadertoy: expected a table ([shadertoy])")
    check_keys(path, table, {"common", *PASS_NAMES}, SceneError, "shadertoy")
    if "image" not in table:
        raise SceneError(f"{path}: shadertoy.image: missing (the pass that draws the picture)")
    common = _shader_file(path, table, "common", folders, "shadertoy") if "common" in table else None
    images: dict[Path, str] = {}
    tabs = []
    for name in (n for n in PASS_NAMES if n in table):
        where = f"shadertoy.{name}"
        spec = table[name]
        if not isinstance(spec, dict):
            raise SceneError(f"{path}: {where}: expected a table with shader and iChannel0..3")
        check_keys(path, spec, {"shader", *CHANNELS}, SceneError, where)
        shader = _shader_file(path, spec, "shader", folders, where)
        channels = tuple(_channel(path, f"{where}.{key}", spec.get(key, "none"), images)
                         for key in CHANNELS)
        tabs.append(_Tab(name, shader, channels, where))
    return _passes(path, tabs, common), {name: file for file, name in images.items()}


def _shader_file(path: Path, table: dict, key: str, folders: tuple[Path, ...],
                 where: str) -> Path:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise SceneError(f"{path}: {where}.{key}: expected a shader file name")
    file = next((f for f in (d / value for d in folders) if _is_file(f)), None)
    if file is None:
        where_not = " or ".join(label(str(d)) for d in folders)
        raise SceneError(f"{path}: {where}.{key}: file {label(value)} not found "
                         f"(looked in {where_not})")
    return file


def _channel(path: Path, where: str, value, images: dict) -> str:
    """The texture source a layout's channel names (an image file's gets a name in ``images``)."""
    if not isinstance(value, str) or not value.strip():
        raise SceneError(f"{path}: {where}: expected a channel: buffer_a..buffer_d, audio, "
                         "keyboard, none or an image file")
    if value in CHANNEL_WORDS:
        return CHANNEL_WORDS[value]
    if value in BUFFERS:
        return value
    file = path.parent / value
    if not _is_file(file):
        raise SceneError(f"{path}: {where}: {shown(value)} is no channel (buffer_a..buffer_d, "
                         f"audio, keyboard, none) and no image file beside the scene file")
    return images.setdefault(file.resolve(), f"shadertoy_image{len(images)}")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):   # a name too long, or with a NUL in it
        return False


# -- a bare .glsl file ------------------------------------------------------------------

_CHANNEL_USE = re.compile(r"\biChannel([1-3])\b")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?(\*/|$)", re.S)


def unbound_channels(path: Path) -> tuple[str, ...]:
    """The warning for a bare Shadertoy ``.glsl`` file (channel 0 the audio,
    the rest black) whose code reads iChannel1..3: it will see black there,
    where on Shadertoy it had a texture or a buffer."""
    try:
        with open(path, "rb") as f:
            text = f.read(2**20).decode("utf-8", "replace")
    except OSError:
        return ()   # the shader loader says what is wrong with the file
    used = sorted(set(_CHANNEL_USE.findall(_COMMENTS.sub("", text))))
    if not used:
        return ()
    names = ", ".join(f"iChannel{n}" for n in used)
    return (f"{path}: reads {names}, black here (a scene TOML's [shadertoy] table gives "
            "a shader its channels)",)


# -- a Shadertoy JSON export ---------------------------------------------------------

def load_shadertoy_json(path: Path, *, shaders_dir: Path = SHADERS_DIR) -> Scene:
    """The Shadertoy JSON export at ``path`` as a scene; raises SceneError
    naming the file and the pass or feature that cannot run here."""
    path = Path(path)
    shader = _export(path)
    info = shader.get("info", {})
    if not isinstance(info, dict):
        raise SceneError(f"{path}: info: expected an object")
    common, codes, channels = None, {}, {}
    images: dict[Path, str] = {}
    warnings: list[str] = []
    for i, spec in enumerate(shader["renderpass"]):
        kind, name, code = _renderpass(path, i, spec)
        if kind == "common":
            if common is not None:
                raise SceneError(f"{path}: renderpass[{i}]: a second Common pass")
            common = code
            continue
        if name in codes:
            raise SceneError(f"{path}: renderpass[{i}]: a second {TAB_NAMES[name]} pass")
        codes[name] = code
        inputs = spec.get("inputs")
        channels[name] = _inputs(path, TAB_NAMES[name], [] if inputs is None else inputs,
                                 images, warnings)
    if "image" not in codes:
        raise SceneError(f"{path}: no Image pass (the pass that draws the picture)")
    folder = _cache_folder(path)
    common_file = _code_file(path, folder / "Common.glsl", common)
    tabs = [_Tab(n, _code_file(path, folder / f"{TAB_NAMES[n]}.glsl", codes[n]), channels[n],
                 TAB_NAMES[n]) for n in PASS_NAMES if n in codes]
    title = _one_line(info.get("name"), 80) or path.stem.replace("_", " ").title()
    return Scene(key=path.stem, path=path, passes=_passes(path, tabs, common_file), title=title,
                 description=_one_line(info.get("description"), 300)
                 or f"Shadertoy shader {path.name}",
                 images={name: file for file, name in images.items()},
                 warnings=tuple(warnings), shaders_dir=Path(shaders_dir))


def _export(path: Path) -> dict:
    """The one shader (``info`` and ``renderpass``) of the export at ``path``."""
    text = read_text(path, SceneError, "Shadertoy export", MAX_JSON_BYTES)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SceneError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    except (ValueError, RecursionError):   # an integer of 5000 digits; nesting past the parser
        raise SceneError(f"{path}: invalid JSON: a number too long or nested too deeply") from None
    if isinstance(doc, list):
        if len(doc) != 1:
            raise SceneError(f"{path}: holds {len(doc)} shaders; a scene is one "
                             "(keep one in the file)")
        doc = doc[0]
    if isinstance(doc, dict) and isinstance(doc.get("Shader"), dict):
        doc = doc["Shader"]
    if isinstance(doc, dict) and "Error" in doc and "renderpass" not in doc:
        raise SceneError(f"{path}: not a shader: Shadertoy answered {shown(doc['Error'])}")
    if not isinstance(doc, dict) or not isinstance(doc.get("renderpass"), list):
        raise SceneError(f"{path}: not a Shadertoy export (expected "
                         '{"Shader": {"renderpass": [...]}})')
    return doc


def _renderpass(path: Path, i: int, spec) -> tuple[str, str, str | Path]:
    """(type, pass name or "", code) of one render pass of an export: the
    code as text, or the file beside the export a ``filename`` names."""
    where = f"renderpass[{i}]"
    if not isinstance(spec, dict):
        raise SceneError(f"{path}: {where}: expected an object with type, code and inputs")
    kind = spec.get("type")
    name = spec.get("name")
    tab = label(name) if isinstance(name, str) and name else where
    if kind in ("sound", "cubemap"):
        raise SceneError(f"{path}: {tab}: {kind} passes are not supported")
    if kind not in ("image", "buffer", "common"):
        raise SceneError(f"{path}: {where}.type: {shown(kind)} is not a pass type "
                         "(image, buffer, common, sound, cubemap)")
    code = spec.get("code")
    if not isinstance(code, str) and isinstance(spec.get("filename"), str):
        code = _shader_file(path, spec, "filename", (path.parent,), tab)   # Shadertron's
    if not isinstance(code, (str, Path)):
        raise SceneError(f"{path}: {tab}: code: expected the pass's GLSL as a string")
    if kind != "buffer":
        return kind, "image" if kind == "image" else "", code
    outputs = spec.get("outputs")
    ids = [o.get("id") for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
    found = [_BUFFER_IDS.get(_key(v)) for v in ids + [name]]
    buffer = next((b for b in found if b), None)
    if buffer is None:
        raise SceneError(f"{path}: {tab}: which buffer (A to D) it draws is not said "
                         "(outputs[0].id 257..260, or the name Buffer A..D)")
    return kind, buffer, code


def _key(value) -> str | None:
    """An id or name as a key of ``_BUFFER_IDS`` (None for what cannot be one)."""
    return str(value) if isinstance(value, str) or is_int(value) else None


def _inputs(path: Path, tab: str, inputs, images: dict, warnings: list) -> tuple[str, ...]:
    """The 4 texture sources of an export's pass from its ``inputs``."""
    if not isinstance(inputs, list):
        raise SceneError(f"{path}: {tab}: inputs: expected a list")
    channels: list = [None] * 4
    for k, spec in enumerate(inputs):
        if not isinstance(spec, dict):
            raise SceneError(f"{path}: {tab}: inputs[{k}]: expected an object")
        n = spec.get("channel")
        if not is_int(n) or not 0 <= n <= 3:
            raise SceneError(f"{path}: {tab}: inputs[{k}].channel: {shown(n)} is not 0..3")
        if channels[n] is not None:
            raise SceneError(f"{path}: {tab}: iChannel{n}: two inputs on one channel")
        channels[n] = _input(path, f"{tab} iChannel{n}", spec, images, warnings)
    return tuple(c or "black" for c in channels)


def _input(path: Path, where: str, spec: dict, images: dict, warnings: list) -> str:
    kind = spec.get("ctype", spec.get("type"))
    src = spec.get("src", spec.get("filepath", ""))
    src = src if isinstance(src, str) else ""
    if kind in _UNSUPPORTED_INPUTS:
        raise SceneError(f"{path}: {where}: {kind} inputs are not supported")
    if kind in _AUDIO_INPUTS:
        return "audio"
    if kind == "keyboard":
        return "keyboard"
    if kind not in ("buffer", "texture"):
        raise SceneError(f"{path}: {where}: {shown(kind)} is not an input type here "
                         "(buffer, texture, music, musicstream, mic, keyboard)")
    if kind == "buffer":
        m = _BUFFER_SRC.search(src)
        by_id = _BUFFER_IDS.get(_key(spec.get("id")))
        source = BUFFERS[int(m[1])] if m else by_id
        if source is None:
            raise SceneError(f"{path}: {where}: which buffer it reads is not said "
                             "(id 257..260, or src /media/previz/buffer00.png..buffer03.png)")
        if by_id not in (None, source):
            warnings.append(f"{path}: {where}: its id says {TAB_NAMES[by_id]}, its src "
                            f"{TAB_NAMES[source]}: reading {TAB_NAMES[source]}")
    else:
        name = PurePosixPath(src).name
        file = path.parent / name if name not in ("", ".", "..") else None
        if file is None or not _is_file(file):
            warnings.append(f"{path}: {where}: texture {label(name or src)} not found beside "
                            "the file: drawn black (save it there from shadertoy.com)")
            return "black"
        source = images.setdefault(file.resolve(), f"shadertoy_image{len(images)}")
    _sampler_note(path, where, kind, spec.get("sampler"), warnings)
    return source


def _sampler_note(path: Path, where: str, kind: str, sampler, warnings: list) -> None:
    """A warning for sampler settings of an export's input that are not drawn so here."""
    if not isinstance(sampler, dict):
        return
    drawn = _DRAWN[kind]
    odd = [f"{key} {shown(sampler[key])}" for key in drawn
           if key in sampler and str(sampler[key]).lower() not in drawn[key]]
    if odd:
        how = ", ".join(f"{key} {values[0]}" for key, values in drawn.items())
        warnings.append(f"{path}: {where}: sampler {', '.join(odd)} is drawn {how}")


def _one_line(text, most: int) -> str:
    """``text`` (a string from the export, or not) on one line, cut to ``most`` characters."""
    words = " ".join(text.split()) if isinstance(text, str) else ""
    return words if len(words) <= most else words[:most - 3] + "..."


# -- passes, and the files they compile from -------------------------------------------

def _passes(path: Path, tabs: list[_Tab], common: Path | None) -> tuple[Pass, ...]:
    """The scene's passes, A to D then Image. A buffer pass that reads its
    own buffer keeps two textures (feedback), so it reads its last frame."""
    drawn = {t.name for t in tabs}
    folder = None
    passes = []
    for tab in tabs:
        for i, source in enumerate(tab.channels):
            if source in BUFFERS and source not in drawn:
                sep = "." if tab.where.startswith("shadertoy.") else " "   # a TOML key; a tab
                raise SceneError(f"{path}: {tab.where}{sep}iChannel{i}: reads {source}, "
                                 "which no pass draws")
        target = None if tab.name == "image" else tab.name
        shader = tab.file
        if target is not None or common is not None:
            folder = folder or _cache_folder(path)
            includes = [f for f in (common, tab.file) if f is not None]
            shader = _write(path, folder / f"{tab.name}.main.glsl",
                            _wrapper(path, tab, includes, keep_alpha=target is not None))
        passes.append(Pass(shader, target, feedback=target in tab.channels,
                           channels=tab.channels))
    return tuple(passes)


def _wrapper(path: Path, tab: _Tab, includes: list[Path], *, keep_alpha: bool) -> str:
    """The GLSL a pass compiles from: the Common tab and the pass, then (a
    buffer's) a main that keeps the alpha it writes."""
    lines = [f"// {TAB_NAMES[tab.name]}, as Shadertoy runs it (written by the visualizer)"]
    for file in includes:
        name = str(file.resolve())
        if any(ch in name for ch in '"<>\r\n'):
            raise SceneError(f"{path}: {tab.where}: {label(name)}: a file name with "
                             "\", <, > or a line break cannot be included")
        lines.append(f'#include "{name}"')
    return "\n".join(lines) + "\n" + (_BUFFER_MAIN if keep_alpha else "")


def _cache_folder(path: Path) -> Path:
    """This scene file's own folder for the files it compiles from (the same
    one each time it is loaded, so nothing piles up)."""
    root = Path(tempfile.gettempdir()) / f"visualizer-shadertoy-{os.getuid()}"
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:40]
    folder = root / f"{stem}-{digest[:12]}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        if root.stat().st_uid != os.getuid():   # another user's: not a place to compile from
            raise SceneError(f"{path}: {root} belongs to another user: cannot write the passes")
        folder.mkdir(exist_ok=True)
    except OSError as e:
        raise SceneError(f"{path}: cannot write the passes to {folder}: {e}") from None
    return folder


def _code_file(path: Path, file: Path, code: str | Path | None) -> Path | None:
    """The file a pass's ``code`` is compiled from: ``file``, holding the
    text, or the file beside the export that it names already."""
    return code if code is None or isinstance(code, Path) else _write(path, file, code)


def _write(path: Path, file: Path, text: str) -> Path:
    """``text`` in ``file`` (left alone when it holds it already: hot reload
    watches it), written whole or not at all."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        if file.is_file() and file.read_bytes() == data:
            return file
        partial = file.with_name(f".{file.name}.{os.getpid()}")
        partial.write_bytes(data)
        os.replace(partial, file)
    except OSError as e:
        raise SceneError(f"{path}: cannot write the passes to {file.parent}: {e}") from None
    return file
