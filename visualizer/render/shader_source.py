"""One shader loader: ``#include``, the uniform prelude, and error mapping.

Every file gets its own block of line numbers through ``#line``: line L of
file number K is reported as ``K * LINE_BLOCK + L``. (GLSL's source-string
number would be the obvious carrier, but Mesa reports semantic errors with
the last source number seen rather than the right one; line numbers are
honoured by every driver.) So the driver's error log maps back to the
original file and line whatever the include depth.
"""

import re
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.errors import ShaderError

GLSL_VERSION = "#version 330 core"
LINE_BLOCK = 100_000
MAX_INCLUDE_DEPTH = 32
"""Includes nested deeper than this are a mistake (and Python's recursion limit)."""
MAX_INCLUDES = 256
MAX_SOURCE_CHARS = 16 * 2**20
"""A shader with more files or characters than these once its includes are
in is a mistake: a file included twice at each of 30 levels is 2^30 copies,
which would never finish. (It also keeps ``#line`` numbers, file number x
LINE_BLOCK, far inside GLSL's int.)"""
_INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^>"]+)[>"]\s*$')
# Mesa: "0:12(3): error: ..."  NVIDIA: "0(12) : error C0000: ..."  ANGLE/others: "ERROR: 0:12: ..."
_LOG_LINE = [
    re.compile(r"^(?P<src>\d+):(?P<line>\d+)\(\d+\):\s*(?P<msg>.*)$"),
    re.compile(r"^(?P<src>\d+)\((?P<line>\d+)\)\s*:\s*(?P<msg>.*)$"),
    re.compile(r"^(?:ERROR|WARNING):\s*(?P<src>\d+):(?P<line>\d+):\s*(?P<msg>.*)$"),
]


@dataclass
class ShaderSource:
    """Fragment source with ``#line`` markers and the files behind them."""

    text: str
    files: list[Path] = field(default_factory=list)
    """Source-string number -> file; number 0 is the generated prelude."""

    @property
    def dependencies(self) -> list[Path]:
        """Every file the source was built from (for hot reload)."""
        return [f for f in self.files if f.name != "<prelude>"]

    def describe(self, log: str, *, stage: str = "fragment") -> ShaderError:
        """Turn a driver's compile log into a ShaderError naming file:line
        (of its first error; a warning only if no line says error)."""
        lines = [raw.strip() for raw in log.splitlines()]
        lines.sort(key=lambda raw: "error" not in raw.lower())   # stable: errors first, in order
        for raw in lines:
            for pattern in _LOG_LINE:
                m = pattern.match(raw)
                if not m:
                    continue
                src, line = divmod(int(m["line"]), LINE_BLOCK)
                msg = m["msg"].removeprefix("error:").strip()
                if not 0 < src < len(self.files):
                    # The uniforms and main the loader adds (a scene's parameter the
                    # shader clashes with, a mainImage of another shape), or a number
                    # that a #line of the shader's own made up: the shader is to blame.
                    name = self.files[1] if len(self.files) > 1 else Path("<shader>")
                    where = ("in the code the loader adds around it (uniforms, main)" if src == 0
                             else "at a line a #line directive renumbered")
                    return ShaderError(f"{name}: {msg} ({where})", path=str(name))
                path = self.files[src]
                snippet = _source_line(path, line)
                where = f"{path}:{line}"
                tail = f" | {snippet.strip()}" if snippet else ""
                return ShaderError(f"{where}: {msg}{tail}", path=str(path), line=line)
        first = log.strip().splitlines()[0] if log.strip() else "unknown error"
        name = self.files[1] if len(self.files) > 1 else "<shader>"
        return ShaderError(f"{name}: {stage} shader failed: {first}", path=str(name))


def _source_line(path: Path, line: int) -> str:
    try:
        lines = path.read_text().splitlines()
    except (OSError, ValueError):   # gone, or no longer text, since it was loaded
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def load_fragment(path: Path, *, include_dirs: list[Path], prelude: str,
                  defines: dict[str, str] | None = None, main: str = "mainImage") -> ShaderSource:
    """Build a fragment shader from ``path``.

    The result is ``#version``, ``defines``, the ``prelude`` (uniform
    declarations), then the file with its ``#include`` directives resolved
    against the including file's folder and then ``include_dirs``. A shader
    that defines Shadertoy's ``mainImage`` gets a ``main`` that calls it.
    """
    files: list[Path] = [Path("<prelude>")]
    head = [GLSL_VERSION]
    head += [f"#define {k} {v}" for k, v in (defines or {}).items()]
    head += ["#line 1", prelude, "out vec4 visualizer_FragColor;"]
    body = _expand(path, include_dirs, files, stack=[], size=[0])
    text = "\n".join(head) + "\n" + body
    if main == "transition":
        text += ("\n#line 1\nvoid main() {\n"
                 "    visualizer_FragColor = vec4(transition(gl_FragCoord.xy / iResolution.xy).rgb, 1.0);\n}\n")
    elif re.search(r"\bvoid\s+mainImage\s*\(", body) and not re.search(r"\bvoid\s+main\s*\(", body):
        text += ("\n#line 1\nvoid main() {\n"
                 "    vec4 c = vec4(0.0, 0.0, 0.0, 1.0);\n"
                 "    mainImage(c, gl_FragCoord.xy);\n"
                 "    visualizer_FragColor = vec4(c.rgb, 1.0);\n}\n")
    return ShaderSource(text, files)


def load_vertex(path: Path, *, include_dirs: list[Path], prelude: str) -> ShaderSource:
    """Build a vertex shader from ``path`` (an ISF ``.vs``): ``#version``,
    the ``prelude``, then the file with its ``#include`` directives resolved
    as :func:`load_fragment` does, so errors map back to the file and line."""
    files: list[Path] = [Path("<prelude>")]
    body = _expand(path, include_dirs, files, stack=[], size=[0])
    return ShaderSource("\n".join([GLSL_VERSION, "#line 1", prelude]) + "\n" + body, files)


def _expand(path: Path, include_dirs: list[Path], files: list[Path], stack: list[Path],
            size: list[int]) -> str:
    """``path`` with its includes in; ``stack``: the files including it,
    ``size``: [characters so far], shared by the whole shader."""
    path = path.resolve()
    if path in stack:
        chain = " -> ".join(p.name for p in stack + [path])
        raise ShaderError(f"{stack[-1]}: circular #include ({chain})", path=str(stack[-1]))
    if len(stack) >= MAX_INCLUDE_DEPTH:
        chain = " -> ".join(p.name for p in stack[:3]) + " -> ... -> " + path.name
        raise ShaderError(f"{stack[-1]}: #include nested more than {MAX_INCLUDE_DEPTH} deep "
                          f"({chain})", path=str(stack[-1]))
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ShaderError(f"{path}: shader file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ShaderError(f"{path}: cannot read shader: {e}", path=str(path)) from None
    size[0] += len(text)
    where = stack[-1] if stack else path
    if size[0] > MAX_SOURCE_CHARS or len(files) > MAX_INCLUDES:
        what = (f"over {MAX_SOURCE_CHARS // 2**20} MB of source" if size[0] > MAX_SOURCE_CHARS
                else f"over {MAX_INCLUDES} files")
        raise ShaderError(f"{where}: {what} with its #includes in, at {path.name} (the same "
                          "file included many times over?)", path=str(where))
    if "\x00" in text:   # the driver would read the source up to it and no further
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ShaderError(f"{path}:{line}: a NUL character (is it a text file?)", path=str(path),
                          line=line)
    lines = text.splitlines()
    if len(lines) >= LINE_BLOCK:   # its line numbers would run into the next file's
        raise ShaderError(f"{path}: over {LINE_BLOCK - 1} lines", path=str(path))
    number = len(files)
    files.append(path)
    out = [_line_directive(number, 1)]
    for i, line in enumerate(lines, start=1):
        m = _INCLUDE.match(line)
        if m:
            target = _find_include(m[1], path.parent, include_dirs)
            if target is None:
                raise ShaderError(f"{path}:{i}: #include \"{m[1]}\" not found", path=str(path), line=i)
            out.append(_expand(target, include_dirs, files, stack + [path], size))
            out.append(_line_directive(number, i + 1))
        elif line.lstrip().startswith("#version"):
            out.append("")  # the loader owns the version line
        else:
            out.append(line)
    return "\n".join(out)


def _line_directive(number: int, line: int) -> str:
    return f"#line {number * LINE_BLOCK + line}"


def _find_include(name: str, here: Path, include_dirs: list[Path]) -> Path | None:
    for folder in [here, *include_dirs]:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


FULLSCREEN_VERTEX = GLSL_VERSION + """
// A full-screen triangle from gl_VertexID: no vertex buffer needed.
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""
"""The vertex shader of every full-screen pass (scenes, blits, transitions)."""

BLIT_FRAGMENT = GLSL_VERSION + """
uniform sampler2D image;
uniform vec2 size;
uniform float gain = 1.0;
out vec4 color;
void main() { color = vec4(texture(image, gl_FragCoord.xy / size).rgb * gain, 1.0); }
"""
"""Draws ``image`` stretched over a target of ``size`` pixels, times ``gain``."""


def link_program(ctx, fragment_shader: str, vertex_shader: str = FULLSCREEN_VERTEX):
    """``ctx.program(...)`` with Ctrl-C held off until it returns.

    moderngl's program() (5.13) calls back into Python while it builds the
    program; a KeyboardInterrupt raised there crashes the process (SIGSEGV)
    or is lost, and the show then ignores that Ctrl-C. A Ctrl-C arriving
    meanwhile is delivered the moment the program is made. (Shaders compile
    slowest on a busy machine, where this window is widest.)
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is None:   # no Python handler to hold off
        return ctx.program(vertex_shader=vertex_shader, fragment_shader=fragment_shader)
    held = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        return ctx.program(vertex_shader=vertex_shader, fragment_shader=fragment_shader)
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            signal.raise_signal(signal.SIGINT)
