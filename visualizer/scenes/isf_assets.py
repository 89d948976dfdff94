"""The files an ISF ``.fs`` reads beside it (data only, no GL): its
``IMPORTED`` images and its custom vertex shader (the ``.vs`` of the same
stem), checked when the scene loads so that a missing or unusable one is a
one-line SceneError naming the file, not a black picture later.
"""

import re
from pathlib import Path

from visualizer.errors import SceneError
from visualizer.userfile import label, shown

VERTEX_SUFFIXES = (".vs", ".vert")
"""Where ISF's reference host looks for a vertex shader beside ``NAME.fs``, in order."""

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_VARYING = re.compile(r"\bvarying\b([^;{}]*);")
_DECLARATOR = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$")


def imported_images(path: Path, header: dict) -> list[tuple[str, Path]]:
    """(sampler name, image file) of each ``IMPORTED`` image of the ISF file
    at ``path``: an object ``{name: {"PATH": file}}`` or, in older files, a
    list of ``{"NAME": name, "PATH": file}``; files are found beside the
    ``.fs``. SceneError naming the file and the image if one is missing."""
    spec = header.get("IMPORTED")
    if spec in (None, {}, []):
        return []
    if isinstance(spec, dict):
        entries = [(f"IMPORTED.{label(k)}",
                    {"NAME": k, **v} if isinstance(v, dict) else v) for k, v in spec.items()]
    elif isinstance(spec, list):
        entries = [(f"IMPORTED[{i}]", v) for i, v in enumerate(spec)]
    else:
        raise SceneError(f"{path}: IMPORTED: expected an object {{name: {{\"PATH\": file}}}}")
    out = []
    for where, entry in entries:
        if not isinstance(entry, dict):
            raise SceneError(f"{path}: {where}: expected an object with PATH")
        name, file = entry.get("NAME"), entry.get("PATH")
        if not isinstance(name, str):
            raise SceneError(f"{path}: {where}.NAME: missing")
        if entry.get("TYPE") == "cube":
            raise SceneError(f"{path}: {where}: cube-map images are not supported")
        if not isinstance(file, str) or not file:
            raise SceneError(f"{path}: {where}.PATH: expected the image file's name, "
                             f"got {shown(file)}")
        image = path.parent / file
        if not _is_file(image):
            raise SceneError(f"{path}: {where}: image file {label(file)} not found "
                             f"(looked for {label(str(image))})")
        out.append((name, image))
    return out


def vertex_shader(path: Path) -> Path | None:
    """The vertex shader of the ISF file at ``path`` (``NAME.vs``, else
    ``NAME.vert``), checked; None if there is none. SceneError if it cannot
    work here, or if there is none and the ``.fs`` reads a ``varying`` that
    only a vertex shader could write (it would read garbage)."""
    for suffix in VERTEX_SUFFIXES:
        vs = path.with_suffix(suffix)
        if _is_file(vs):
            _check_vertex(vs, _code(vs))
            return vs
    code = _code(path)
    for name in _varyings(code):
        if len(re.findall(rf"\b{re.escape(name)}\b", code)) > 1:
            raise SceneError(f"{path}: varying {label(name)} is read, but no "
                             f"{path.stem}.vs beside it writes it (a vertex shader feeds varyings)")
    return None


def _check_vertex(vs: Path, code: str) -> None:
    m = re.search(r"\battribute\b", code)
    if m:
        line = code.count("\n", 0, m.start()) + 1
        raise SceneError(f"{vs}:{line}: vertex attributes are not supported (the full-screen "
                         "triangle has none; use isf_FragNormCoord and gl_Position)")
    if not re.search(r"\b(isf|vv)_vertShaderInit\s*\(", code):
        raise SceneError(f"{vs}: an ISF vertex shader must call isf_vertShaderInit() in its main "
                         "(it places the vertex and sets isf_FragNormCoord)")


def _varyings(code: str) -> list[str]:
    names = []
    for m in _VARYING.finditer(code):
        for piece in m[1].split(","):
            d = _DECLARATOR.search(piece)
            if d:
                names.append(d[1])
    return names


def _code(path: Path) -> str:
    """The text of ``path`` with its comments blanked (line numbers kept)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SceneError(f"{path}: cannot read the shader: {e}") from None
    return _COMMENT.sub(lambda m: "\n" * m[0].count("\n") + " ", text)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):   # a name too long, a NUL in it
        return False
