"""Fuzz: the files a performer writes, and the shaders they load.

Scenes, timelines, setlists and MIDI maps (TOML), ISF headers (JSON in a
comment) and GLSL with ``#include``. Cases are structure-aware mutations of
the real files in scenes/ and examples/: a value swapped for a wrong type,
a huge, negative, NaN or infinite number, a long or unicode string, a
plausible name in the wrong place (a feature as a scene, an action as a
key), keys dropped or added, deep nesting; then, for some, the bytes
damaged: truncated, spliced with garbage, not UTF-8, empty. Shaders get
include loops, missing includes, include chains and diamonds, ``#line``
and ``#version`` directives, NUL bytes and huge files.

Property: each file loads, or raises the loader's own error (SceneError,
ControlError, ShaderError) with one line naming the file; never another
exception, never a hang. Only a bounded number of shaders are compiled
(llvmpipe is slow); the header and include handling is fuzzed without GL.
"""

import datetime
import json
import math
import signal
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from conftest import ROOT
from fuzzing import Case, budget
from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.analysis.track import COL, FeatureTrack
from visualizer.control.bus import ACTIONS
from visualizer.control.midi import MidiMap
from visualizer.control.setlist import Setlist
from visualizer.errors import ControlError, SceneError, ShaderError
from visualizer.render.shader_source import load_fragment
from visualizer.scenes.isf import INPUT_TYPES
from visualizer.scenes.isf_prelude import isf_prelude
from visualizer.scenes.scene import SHADERS_DIR, TRANSITIONS_DIR, discover, load_scene
from visualizer.scenes.timeline import load_timeline
from visualizer.scenes.uniforms import prelude_declarations

pytestmark = pytest.mark.fuzz

SCENES = discover()
KEYS = [s.key for s in SCENES]
PARAMS = {s.key: list(s.params) for s in SCENES}
TRANSITIONS = sorted(p.stem for p in TRANSITIONS_DIR.glob("*.glsl"))
TIME_LIMIT_S = 10.0   # per case; a good one takes milliseconds
LIB = SHADERS_DIR / "lib"

TIMELINE_SEED = """
[[cue]]
at = 0.0
scene = "steppe"
[[cue]]
bar = 3
scene = "vortex"
transition = "vortex_zoom"
beats = 2
[[cue]]
at = 20.0
scene = "night"
duration = 1.5
[[ramp]]
scene = "vortex"
param = "spin"
from = 0.5
to = 2.5
start = 30.0
end = 40.0
[[ramp]]
scene = "steppe"
param = "wind"
from = 0.0
to = 1.0
start_bar = 2
end_bar = 4
"""


# Every parameter type, at the edges of what is allowed.
PARAMS_SEED = """
shader = "fz.glsl"
[params.f]
default = 0.5
range = [-1e30, 1e30]
[params.i]
type = "int"
default = 3
range = [-2147483648, 2147483647]
[params.b]
type = "bool"
default = true
[params.c]
type = "color"
default = [1.0, 0.0, 0.5]
[[bindings]]
param = "i"
feature = "note"
gain = 1e30
[[bindings]]
param = "f"
feature = "pitch"
attack = 0.0
release = 0.0
"""


def _seed_docs(paths) -> list[dict]:
    return [tomllib.loads(Path(p).read_text()) for p in paths]


SEEDS = {
    "scene": _seed_docs(sorted((ROOT / "scenes").glob("*.toml"))),
    "timeline": [tomllib.loads(TIMELINE_SEED)],
    "setlist": _seed_docs([ROOT / "examples" / "setlist.toml"]),
    "midi-map": _seed_docs(sorted((ROOT / "examples" / "midi").glob("*.toml"))),
}
ISF_SEEDS = sorted((ROOT / "examples" / "isf").glob("*.fs"))

# Names that mean something somewhere: in the wrong place they get a mutated
# file past its first checks and into the deeper ones.
WORDS = (KEYS + TRANSITIONS + list(FEATURE_INDEX)[:12] + list(ACTIONS) + list(INPUT_TYPES)
         + [p for ps in PARAMS.values() for p in ps][:12]
         + ["cut", "none", "beat", "bar", "lead", "backing", "float", "int", "bool", "color",
            "iTime", "main", "gl_FragColor", "void", "uniform", "texture", "PASSINDEX", "TIME",
            "isf_x", "__x", "", " ", "scenes/../steppe", "steppe.glsl", "\u00e9t\u00e9",
            "\u65e5\u672c", "\u202ertl", "\U0001f4a5", "a\nb", "a\x00b", "x" * 300, "spin\n",
            "steppe\n", "\r", "level\n"])
# Every key the loaders know: added where they do not belong (or where they
# do, with a wrong value), they reach the checks past "unknown key".
KNOWN_KEYS = sorted({
    "title", "description", "shader", "order", "params", "bindings", "passes", "render_scale",
    "transition", "transition_beats", "input", "type", "default", "range", "param", "feature",
    "gain", "attack", "release", "target", "feedback",                        # scenes
    "cue", "ramp", "at", "bar", "scene", "duration", "beats", "from", "to", "start", "end",
    "start_bar", "end_bar",                                                   # timelines
    "song", "name", "seconds", "quantize",                                    # setlists
    "channel", "program_scenes", "note", "program", "cc", "footswitch", "action", "index",
    "value", "press", "hold", "double", "hold_seconds", "double_seconds",     # MIDI maps
    "ISFVSN", "CREDIT", "DESCRIPTION", "CATEGORIES", "INPUTS", "PASSES", "IMPORTED",
    "PERSISTENT_BUFFERS", "NAME", "TYPE", "LABEL", "LABELS", "DEFAULT", "MIN", "MAX", "VALUES",
    "IDENTITY", "TARGET", "PERSISTENT", "FLOAT", "WIDTH", "HEIGHT",           # ISF
})
NUMBERS = [0, 1, -1, 2, 127, 128, 255, 2**31, -2**31, 2**63 - 1, -2**63, 10**30, -10**30,
           0.0, -0.0, 0.5, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, -1e308,
           math.nan, math.inf, -math.inf]


def scalars():
    return st.one_of(
        st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.booleans(),
        st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
        st.sampled_from([datetime.datetime(1979, 5, 27, 7, 32), datetime.date(2024, 2, 29),
                         datetime.time(23, 59, 59)]),
    )


def values(depth: int = 2):
    if depth <= 0:
        return scalars()
    inner = values(depth - 1)
    return st.one_of(scalars(), scalars(),
                     st.lists(inner, max_size=4),
                     st.dictionaries(st.sampled_from(KNOWN_KEYS + WORDS), inner, max_size=3))


def _nested(kind: str, depth: int, leaf):
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"a": leaf}
    return leaf


def _containers(doc, at=()):
    """Every (path, container) in a document, the root first."""
    out = [(at, doc)]
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        if isinstance(v, (dict, list)):
            out += _containers(v, at + (k,))
    return out


@st.composite
def mutated(draw, seeds: list, *, json_values: bool = False, most: int = 4):
    """A seed document with 1 to ``most`` structure-aware mutations (a fresh copy)."""
    doc = json.loads(json.dumps(draw(st.sampled_from(seeds)), default=str))
    how = []
    for _ in range(draw(st.integers(1, most))):
        containers = _containers(doc)
        path, box = draw(st.sampled_from(containers))
        keys = list(box) if isinstance(box, dict) else list(range(len(box)))
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "nest",
                                   "wrap", "duplicate", "huge-list"]))
        key = draw(st.sampled_from(keys)) if keys else None
        if op in ("replace", "delete", "wrap", "nest", "duplicate") and key is None:
            op = "add"
        value = draw(values())
        if json_values and isinstance(value, (datetime.date, datetime.time)):
            value = str(value)
        if op == "replace":
            box[key] = value
        elif op == "delete":
            del box[key]
        elif op == "add":
            name = draw(st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(KNOWN_KEYS),
                                  st.sampled_from(WORDS)))
            if isinstance(box, dict):
                box[name] = value
            else:
                box.append(value)
        elif op == "nest":
            box[key] = _nested(draw(st.sampled_from(["list", "dict"])),
                               draw(st.sampled_from([2, 10, 50, 200])), box[key])
        elif op == "wrap":
            box[key] = draw(st.sampled_from([[box[key]], {"value": box[key]}, str(box[key])]))
        elif op == "duplicate":
            if isinstance(box, list):
                box.extend([box[key]] * draw(st.sampled_from([1, 2, 100])))
            else:
                box[key + "_"] = box[key]
        elif op == "huge-list":
            many = [draw(scalars())] * draw(st.sampled_from([1000, 20000]))
            if isinstance(box, list) and key is None:
                box.append(many)
            else:
                box[key if key is not None else "many"] = many
        how.append(f"{op} {'/'.join(map(str, path + ((key,) if key is not None else ())))}")
        if len(json.dumps(doc, default=str)) > 3 * 2**20:
            break   # big enough: past every loader's size limit
    return doc, "; ".join(how)


# -- TOML out (the loaders only read it) ---------------------------------------

def _toml_string(s: str) -> str:
    out = []
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_text(doc: dict) -> str:
    """``doc`` as TOML: every table inline, so any nesting round-trips."""
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in doc.items())


@st.composite
def damaged(draw, text: str) -> tuple[bytes, str]:
    """The bytes of ``text``, most left alone, some damaged."""
    raw = text.encode("utf-8", "surrogatepass")
    kind = draw(st.sampled_from(["none"] * 5 + ["truncate", "splice", "flip", "not-utf8", "bom",
                                                "crlf", "nul", "garbage", "empty", "deep", "deep",
                                                "long-line"]))
    at = draw(st.integers(0, max(len(raw), 0)))
    if kind == "truncate":
        raw = raw[:at]
    elif kind == "splice":
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=16)) + raw[at:]
    elif kind == "flip" and raw:
        i = min(at, len(raw) - 1)
        raw = raw[:i] + bytes([raw[i] ^ draw(st.integers(1, 255))]) + raw[i + 1:]
    elif kind == "not-utf8":
        raw = raw[:at] + b"\xff\xfe\xc3" + raw[at:]
    elif kind == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif kind == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    elif kind == "nul":
        raw = raw[:at] + b"\x00" + raw[at:]
    elif kind == "garbage":
        raw = draw(st.binary(min_size=1, max_size=512))
    elif kind == "empty":
        raw = b""
    elif kind == "deep":   # nesting far past any parser's recursion
        d = draw(st.sampled_from([100000, 5000, 1000, 500]))
        raw += b"\ndeep = " + b"[" * d + b"]" * d + b"\n"
    elif kind == "long-line":
        raw += b"\n# " + b"x" * 2_000_000 + b"\n"
    return raw, kind


# -- the property ----------------------------------------------------------------

class Hang(Exception):
    pass


@contextmanager
def deadline(seconds: float):
    """Fail a case that takes longer than ``seconds`` (SIGALRM on the main thread)."""
    def on_alarm(signum, frame):
        raise Hang(f"no answer in {seconds} s")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def loads_or_says_why(load, path: Path, error, *, names=None):
    """Run ``load()``: its result, or None after checking the error it raised
    is ``error`` (and no other), one line, naming ``names`` (default: the file)."""
    try:
        with deadline(TIME_LIMIT_S):
            return load()
    except error as e:
        message = str(e)
        assert "\n" not in message and "\r" not in message, f"more than one line: {message!r}"
        assert len(message) < 1000, f"a {len(message)}-character message: {message[:300]!r}..."
        wanted = [str(n) for n in (names or [path])]
        assert any(w in message for w in wanted), f"{message!r} does not name {wanted}"
        return None


@pytest.fixture(scope="module")
def track():
    """A 60 s recording's features: a beat every half second (120 BPM), 15 bars."""
    hop = 0.01
    return FeatureTrack(hop, np.zeros((6000, len(COL)), np.float32), np.zeros(0),
                        np.arange(0.25, 60.0, 0.5), 120.0)


LOADERS = {
    "scene": (lambda p, track: load_scene(p), SceneError),
    "timeline": (lambda p, track: load_timeline(p, scenes=SCENES, track=track), SceneError),
    "setlist": (lambda p, track: Setlist.load(p, KEYS, TRANSITIONS), ControlError),
    "midi-map": (lambda p, track: MidiMap.load(p, KEYS, PARAMS), ControlError),
}


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_fuzz_toml_files_load_or_say_which_file_is_wrong(kind, track, tmp_path):
    load, error = LOADERS[kind]
    path = tmp_path / f"fuzzed-{kind}.toml"

    @budget(150)
    @given(case=mutated(SEEDS[kind]), data=st.data())
    def check(case, data):
        doc, how = case
        raw, damage = data.draw(damaged(toml_text(doc)))
        path.write_bytes(raw)
        with Case(f"{kind}-toml"):
            loads_or_says_why(lambda: load(path, track), path, error)

    check()


# -- ISF headers -------------------------------------------------------------------

def _isf_parts(path: Path) -> tuple[dict, str]:
    text = path.read_text()
    start, end = text.index("/*"), text.index("*/")
    return json.loads(text[start + 2:end]), text[end + 2:]


ISF = [_isf_parts(p) for p in ISF_SEEDS]
ISF_HEADERS = [h for h, _ in ISF]
ISF_BODY_TAILS = ["", "\n*/", "\n/* never closed", "\x00", "\n\udcff"]


def _json_value(v):
    if isinstance(v, (datetime.date, datetime.time)):
        return str(v)
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    return v


@st.composite
def isf_files(draw):
    header, how = draw(mutated(ISF_HEADERS, json_values=True))
    body = draw(st.sampled_from([b for _, b in ISF]))
    text = json.dumps(_json_value(header), indent=draw(st.sampled_from([None, 1])))
    head = draw(st.sampled_from(["/*", "/*\n", "  \n/*", "\ufeff/*", "//", ""]))
    tail = draw(st.sampled_from(ISF_BODY_TAILS))
    raw, damage = draw(damaged(head + text + "*/" + body + tail))
    return raw, f"{how}; {head!r} {tail!r} {damage}"


def test_fuzz_isf_headers_load_or_say_which_file_is_wrong(tmp_path):
    path = tmp_path / "fuzzed.fs"

    @budget(200)
    @given(case=isf_files())
    def check(case):
        raw, how = case
        path.write_bytes(raw)
        with Case("isf-header"):
            scene = loads_or_says_why(lambda: load_scene(path), path, SceneError)
            if scene is not None:   # what the renderer would compile, short of GL
                with deadline(TIME_LIMIT_S):
                    prelude = isf_prelude(scene)
                loads_or_says_why(lambda: load_fragment(path, include_dirs=[LIB, SHADERS_DIR],
                                                        prelude=prelude), path, ShaderError)

    check()


# -- what an ISF file reads beside it: IMPORTED images, WIDTH/HEIGHT, a .vs ----------

SIZE_EXPRESSIONS = [
    "$WIDTH/16.0", "1", "floor($HEIGHT*0.5)", "$WIDTH > 9 ? 1 : 2", "max($WIDTH/$amount, 1.0)",
    "$amount * 8", "$WIDTH / 0", "sqrt(-1)", "9 ** 9 ** 9", "2 ^ 4000", "1e400", "-3", "$missing",
    "$WIDTH/", "((((1", "__import__('os')", "a.b", "exp(1)", "", " ", "1 ? 2", "$WIDTH" * 40,
    "(" * 300 + "1" + ")" * 300, "-" * 200 + "1", "1" + "0" * 400, "\u00e9", "1;2", 16, 0, -1,
    1e30, None, True, [1], {"a": 1}]
SIZE_TOKENS = ["$WIDTH", "$HEIGHT", "$amount", "$flip", "1", "0", "2.5", "+", "-", "*", "/", "%",
               "^", "**", "(", ")", "?", ":", ">", "==", ",", "floor(", "max(", "pow(", " "]
IMAGE_PATHS = ["pic.png", "pic.png", "missing.png", "", "sub", "notimage.png", "broken.png",
               "../pic.png", "/dev/null", "pic.png\x00x", "x" * 300, "sub/../pic.png", 3, None,
               ["pic.png"]]
IMAGE_NAMES = ["pic", "pic", "art", "amount", "b0", "2bad", "TIME", "gl_x", "", "float"]
VERTEX_SHADERS = {
    "none": None,
    "good": "varying vec2 uv;\nvoid main() { isf_vertShaderInit(); uv = isf_FragNormCoord * amount; }\n",
    "v1": "varying vec2 uv;\nvoid main(void) { vv_vertShaderInit(); uv = vv_FragNormCoord; }\n",
    "attribute": "attribute vec2 p;\nvoid main() { isf_vertShaderInit(); }\n",
    "no-init": "void main() { gl_Position = vec4(0.0); }\n",
    "syntax": "void main() { isf_vertShaderInit(); oops }\n",
    "include": '#include "nowhere.glsl"\nvoid main() { isf_vertShaderInit(); }\n',
    "mismatch": "varying vec3 uv;\nvoid main() { isf_vertShaderInit(); uv = vec3(1.0); }\n",
    "nul": "void main() { isf_vertShaderInit(); }\n\x00\n",
}
ISF_ASSET_BODY = """
{varying}
void main() {{
    vec4 c = vec4(float(PASSINDEX) * 0.1);
    {reads}
    gl_FragColor = c;
}}
"""


def _size_value(draw):
    good = st.sampled_from(SIZE_EXPRESSIONS[:6])   # most cases get past the loader
    return draw(st.one_of(good, good, good, st.sampled_from(SIZE_EXPRESSIONS),
                          st.lists(st.sampled_from(SIZE_TOKENS), max_size=10).map("".join),
                          st.text(max_size=12)))


@st.composite
def isf_asset_folders(draw):
    """(.fs text, .vs text or None, what was drawn): an ISF file with sized
    passes, IMPORTED images (some missing, not images, badly named) and
    perhaps a vertex shader (some broken), in a folder with a real PNG."""
    passes = []
    for i in range(draw(st.integers(1, 3))):
        spec = {"TARGET": f"b{i}", "PERSISTENT": draw(st.booleans()), "FLOAT": draw(st.booleans())}
        for key in ("WIDTH", "HEIGHT"):
            if draw(st.booleans()):
                spec[key] = _size_value(draw)
        passes.append(spec)
    passes.append({})
    entries = [(draw(st.one_of(st.just(f"pic{i}" if i else "pic"), st.sampled_from(IMAGE_NAMES))),
                draw(st.one_of(st.just("pic.png"), st.sampled_from(IMAGE_PATHS))))
               for i in range(draw(st.integers(0, 2)))]
    form = draw(st.sampled_from(["object", "list", "object", "list", "junk"]))
    imported = ({n: {"PATH": p} for n, p in entries} if form == "object"
                else [{"NAME": n, "PATH": p} for n, p in entries] if form == "list"
                else draw(st.sampled_from(["pic.png", 3, [1], {"pic": "pic.png"}])))
    header = {"INPUTS": [{"NAME": "amount", "TYPE": "float", "DEFAULT": 0.5},
                         {"NAME": "flip", "TYPE": "event"}],
              "PASSES": passes, "IMPORTED": imported}
    vs = draw(st.sampled_from(["none", "good", "v1", "none", "good"] + sorted(VERTEX_SHADERS)))
    reads = [f"c += IMG_NORM_PIXEL({n}, isf_FragNormCoord) + vec4(IMG_SIZE({n}), 0.0, 0.0);"
             for n, _ in entries if n.startswith("pic")][:1]
    reads += [f"c += IMG_THIS_PIXEL(b{i});" for i in range(len(passes) - 1)]
    varying = ""
    if vs != "none" and draw(st.booleans()):
        varying, reads = "varying vec2 uv;", reads + ["c.rg += uv;"]
    body = ISF_ASSET_BODY.format(varying=varying, reads="\n    ".join(reads))
    fs = "/*" + json.dumps(_json_value(header)) + "*/\n" + body
    return fs, VERTEX_SHADERS[vs], f"vs={vs} imported={form}:{entries!r} passes={passes!r}"


def _isf_asset_folder(folder: Path) -> None:
    from visualizer.output.png import write_png
    (folder / "sub").mkdir(exist_ok=True)
    write_png(folder / "pic.png", np.full((3, 5, 3), 200, np.uint8))
    (folder / "notimage.png").write_text("not a picture\n")
    (folder / "broken.png").write_bytes((folder / "pic.png").read_bytes()[:40])


def _write_isf_assets(folder: Path, case) -> Path:
    fs, vs, _ = case
    path = folder / "fuzzed.fs"
    path.write_text(fs)
    (folder / "fuzzed.vs").unlink(missing_ok=True)
    if vs is not None:
        (folder / "fuzzed.vs").write_text(vs)
    return path


def test_fuzz_isf_images_sizes_and_vertex_shaders_load_or_say_why(tmp_path):
    """Without GL: each file loads or names a file of its folder; what loads
    gives both preludes and sources, and buffer sizes within 1..MAX_SIDE
    whatever the inputs' values."""
    from visualizer.render.shader_source import load_vertex
    from visualizer.scenes.isf_expr import MAX_SIDE, buffer_size
    from visualizer.scenes.isf_prelude import isf_vertex_prelude
    _isf_asset_folder(tmp_path)

    @budget(150)
    @given(case=isf_asset_folders(), amount=st.sampled_from([0.5, 0.0, -1e30, 1e30, math.nan]))
    def check(case, amount):
        path = _write_isf_assets(tmp_path, case)
        with Case("isf-assets"):
            scene = loads_or_says_why(lambda: load_scene(path), path, SceneError, names=[tmp_path])
            if scene is None:
                return
            with deadline(TIME_LIMIT_S):
                prelude, vprelude = isf_prelude(scene), isf_vertex_prelude(scene)
                for p in scene.passes:
                    w, h = buffer_size(p.width, p.height, (640, 360), {"amount": amount, "flip": True})
                    assert 1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE, (p, w, h)
            loads_or_says_why(lambda: load_fragment(path, include_dirs=[LIB], prelude=prelude),
                              path, ShaderError)
            if scene.passes[0].vertex is not None:
                loads_or_says_why(lambda: load_vertex(scene.passes[0].vertex, include_dirs=[LIB],
                                                      prelude=vprelude),
                                  path, ShaderError, names=[tmp_path])

    check()


def test_fuzz_isf_images_sizes_and_vertex_shaders_compile_and_draw(renderer, tmp_path):
    """A bounded number through the driver: what loads compiles or names a
    file of its folder, and what compiles draws frames at two sizes."""
    from visualizer.render.timing import FrameTiming
    _isf_asset_folder(tmp_path)
    target = renderer.offscreen((8, 8))
    frame = FeatureFrame()

    @budget(16, campaign=300)
    @given(case=isf_asset_folders(), amount=st.sampled_from([0.5, 0.0, 1.0]))
    def check(case, amount):
        path = _write_isf_assets(tmp_path, case)
        with Case("isf-assets-draw"):
            scene = loads_or_says_why(lambda: load_scene(path), path, SceneError, names=[tmp_path])
            if scene is None:
                return
            compiled = loads_or_says_why(lambda: renderer.compile(scene), path,
                                         (ShaderError, SceneError), names=[tmp_path])
            if compiled is None:
                return
            values = {n: p.default for n, p in scene.params.items()} | {"amount": amount}
            with deadline(TIME_LIMIT_S):
                for i, size in enumerate([(8, 8), (3, 1), (8, 8)]):
                    renderer.draw(scene.key, frame, FrameTiming(frame=i), target.fbo, size, values)
                target.read()

    check()


# -- GLSL and #include ---------------------------------------------------------------

GOOD_MAIN = "void mainImage(out vec4 c, in vec2 p) { c = vec4(p / iResolution.xy, 0.5, 1.0); }\n"
SNIPPETS = [
    GOOD_MAIN, GOOD_MAIN, "float f(float x) { return x * 2.0; }\n", "// a comment\n",
    '#include "noise.glsl"\n', '#include <palette.glsl>\n', '#include "missing.glsl"\n',
    '#include "main.glsl"\n', '#include ""\n', '#include "../../../../etc/passwd"\n',
    '#include "/dev/zero"\n', '#include "lib"\n', '#  include   "inc0.glsl"  \n',
    "#line 0\n", "#line 99999999\n", "#line 4000000000\n", "#version 450\n", "  #version 100\n",
    "# version 330\n", "#extension GL_FOO : require\n", "#error a user's error\n",
    "#define A A\n", "#pragma once\n", "void main() { }\n", "void mainImage(float x) { }\n",
    "vec4 c = ;\n", "}}}}\n", "uniform float iTime;\n", "float \u00e9t\u00e9 = 1.0;\n",
    "\x00\n", "\t\r\n", "/* never closed\n", "#if 1\n", "#endif\n", "#else\n",
]


@st.composite
def shader_trees(draw):
    """{file name: bytes} with main.glsl, and includes inc0..incN among them."""
    n = draw(st.integers(0, 4))
    files = {}
    for name in ["main.glsl"] + [f"inc{i}.glsl" for i in range(n)]:
        parts = draw(st.lists(st.sampled_from(SNIPPETS + [f'#include "inc{j}.glsl"\n'
                                                          for j in range(n + 1)]),
                              min_size=0, max_size=8))
        files[name] = "".join(parts).encode("utf-8")
    shape = draw(st.sampled_from(["plain"] * 3 + ["chain", "diamond", "huge", "not-utf8",
                                                  "self", "loop"]))
    if shape == "chain":        # each file includes the next, this deep
        depth = draw(st.sampled_from([1500, 400, 100, 10]))
        files["main.glsl"] = b'#include "c0.glsl"\n' + GOOD_MAIN.encode()
        for i in range(depth):
            files[f"c{i}.glsl"] = f'#include "c{i + 1}.glsl"\nfloat c{i}() {{ return 1.0; }}\n'.encode()
        files[f"c{depth}.glsl"] = b"// the end\n"
    elif shape == "diamond":    # each level includes the next twice: 2^depth copies
        depth = draw(st.sampled_from([40, 24, 12, 4]))
        files["main.glsl"] = b'#include "d0.glsl"\n' + GOOD_MAIN.encode()
        for i in range(depth):
            files[f"d{i}.glsl"] = f'#include "d{i + 1}.glsl"\n#include "d{i + 1}.glsl"\n'.encode()
        files[f"d{depth}.glsl"] = b"// the bottom\n"
    elif shape == "huge":
        files["main.glsl"] += b"// " + b"x" * draw(st.sampled_from([10**5, 4 * 10**6])) + b"\n"
    elif shape == "not-utf8":
        files["main.glsl"] = b"\xff\xfe" + files["main.glsl"]
    elif shape == "self":
        files["main.glsl"] = b'#include "main.glsl"\n' + files["main.glsl"]
    elif shape == "loop":
        files["main.glsl"] = b'#include "l0.glsl"\n' + GOOD_MAIN.encode()
        files["l0.glsl"] = b'#include "l1.glsl"\n'
        files["l1.glsl"] = b'#include "l0.glsl"\n'
    return files, shape


def _write_tree(folder: Path, files: dict) -> Path:
    for old in folder.glob("*.glsl"):
        old.unlink()
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    return folder / "main.glsl"


def test_fuzz_glsl_sources_assemble_or_say_which_file_is_wrong(tmp_path):
    folder = tmp_path / "shaders"
    folder.mkdir()
    prelude = prelude_declarations()

    @budget(150)
    @given(case=shader_trees())
    def check(case):
        files, shape = case
        main = _write_tree(folder, files)
        with Case("glsl-include"):
            loads_or_says_why(lambda: load_fragment(main, include_dirs=[LIB, SHADERS_DIR],
                                                    prelude=prelude),
                              main, ShaderError, names=[folder, LIB])

    check()


def test_fuzz_shaders_compile_or_say_which_file_is_wrong(renderer, tmp_path):
    """A bounded number through the driver: Shadertoy .glsl files and ISF
    files, compiled as ``--scene FILE`` would."""
    folder = tmp_path / "shaders"
    folder.mkdir()

    @budget(24, campaign=400)
    @given(case=st.one_of(shader_trees(), isf_files()))
    def check(case):
        if isinstance(case[0], dict):
            files, how = case
            path = _write_tree(folder, files)
        else:
            raw, how = case
            path = folder / "fuzzed.fs"
            path.write_bytes(raw)
        with Case("shader-compile"):
            scene = loads_or_says_why(lambda: load_scene(path), path, SceneError)
            if scene is not None:
                loads_or_says_why(lambda: renderer.compile(scene), path,
                                  (ShaderError, SceneError), names=[folder, LIB])

    check()


def _param_shader(scene) -> str:
    """A tiny shader that uses every parameter (an unused uniform is optimised
    away, and then nothing would be set)."""
    terms = ["0.0"]
    for name, p in scene.params.items():
        terms.append(f"{name}.x" if p.type == "color" else f"float({name})")
    return ("void mainImage(out vec4 c, in vec2 p) {\n"
            f"    float v = {' + '.join(terms)};\n    c = vec4(fract(v), 0.5, 0.5, 1.0);\n}}\n")


def test_fuzz_scenes_that_load_draw_with_any_parameter_value(renderer, tmp_path):
    """Mutated scene files that load are compiled and drawn, with their
    defaults and with hostile values set (as MIDI and OSC would): a value
    that passed the loader must not fail a frame in the middle of a show."""
    import shutil
    from visualizer.render.timing import FrameTiming
    from visualizer.scenes.state import SceneState
    shaders = tmp_path / "shaders"
    shutil.copytree(SHADERS_DIR / "transitions", shaders / "transitions")
    path = tmp_path / "fuzzed.toml"
    target = renderer.offscreen((8, 8))
    frame = None

    seeds = SEEDS["scene"] + [tomllib.loads(PARAMS_SEED)] * 8

    @budget(30, campaign=600)
    @given(case=mutated(seeds, most=1), values=st.lists(st.sampled_from(NUMBERS), min_size=1))
    def check(case, values):
        nonlocal frame
        doc, how = case
        doc.pop("passes", None)
        doc["shader"] = "fz.glsl"
        path.write_text(toml_text(doc))
        (shaders / "fz.glsl").write_text(GOOD_MAIN)
        with Case("scene-draw"):
            scene = loads_or_says_why(lambda: load_scene(path, shaders_dir=shaders), path, SceneError)
            if scene is None:
                return
            (shaders / "fz.glsl").write_text(_param_shader(scene))
            with deadline(TIME_LIMIT_S):
                renderer.compile(scene)
                state = SceneState(scene)
                if frame is None:
                    from visualizer.analysis.analyzer import Analyzer
                    frame = Analyzer().process(np.zeros(1024, np.float32))
                renderer.draw(scene.key, frame, FrameTiming(), target.fbo, params=state.update(frame, 0.02))
                for name, p in scene.params.items():
                    if p.type != "color":
                        for v in values:
                            state.set(name, v)
                renderer.draw(scene.key, frame, FrameTiming(), target.fbo, params=state.update(frame, 0.02))
                target.read()

    check()


# -- Shadertoy layouts ([shadertoy] in a scene TOML) and JSON exports ------------------------

SHADERTOY_LAYOUT_SEED = """
title = "Toy"
[shadertoy]
common = "common.glsl"
[shadertoy.buffer_a]
shader = "a.glsl"
iChannel0 = "buffer_a"
iChannel1 = "audio"
[shadertoy.buffer_b]
shader = "a.glsl"
iChannel0 = "buffer_a"
iChannel3 = "keyboard"
[shadertoy.image]
shader = "image.glsl"
iChannel0 = "buffer_b"
iChannel1 = "noise.png"
iChannel2 = "none"
"""
_TOY_CODE = ("void mainImage(out vec4 c, in vec2 p) {\n"
             "    c = texture(iChannel0, p / iResolution.xy) + vec4(shared());\n}\n")
SHADERTOY_FILES = {"common.glsl": "float shared() { return 0.01; }\n", "a.glsl": _TOY_CODE,
                   "image.glsl": _TOY_CODE}
SHADERTOY_EXPORT_SEED = {"Shader": {"ver": "0.1", "info": {"name": "Toy", "description": "x"},
                                    "renderpass": [
    {"type": "common", "name": "Common", "code": SHADERTOY_FILES["common.glsl"], "inputs": []},
    {"type": "buffer", "name": "Buffer A", "code": _TOY_CODE, "outputs": [{"id": 257, "channel": 0}],
     "inputs": [{"id": 257, "src": "/media/previz/buffer00.png", "ctype": "buffer", "channel": 0,
                 "sampler": {"filter": "linear", "wrap": "clamp", "vflip": "true"}},
                {"id": 9, "src": "/media/a/song.mp3", "ctype": "music", "channel": 1}]},
    {"type": "buffer", "name": "Buffer B", "code": _TOY_CODE,
     "outputs": [{"id": "XsXGR8", "channel": 0}],
     "inputs": [{"id": "4dXGR8", "src": "/media/previz/buffer00.png", "ctype": "buffer",
                 "channel": 0}, {"id": 33, "ctype": "keyboard", "channel": 3}]},
    {"type": "image", "name": "Image", "code": _TOY_CODE, "outputs": [{"id": "4dfGRr"}],
     "inputs": [{"id": 258, "src": "/media/previz/buffer01.png", "ctype": "buffer", "channel": 0},
                {"id": 30, "src": "/media/a/noise.png", "ctype": "texture", "channel": 1,
                 "sampler": {"filter": "mipmap", "wrap": "repeat", "vflip": "true"}}]}]}}
SHADERTOY_WORDS = ["buffer_a", "buffer_d", "audio", "keyboard", "none", "black", "noise.png",
                   "image.glsl", "missing.png", "../noise.png", "/dev/null", "buffer", "texture",
                   "music", "mic", "cubemap", "volume", "video", "webcam", "sound", "common",
                   "image", "Buffer A", "Buffer E", 257, 260, 261, "4dXGR8", "shadertoy",
                   "/media/previz/buffer03.png", "/media/previz/buffer04.png", "/media/a/x.png",
                   "iChannel0", "iChannel4", 0, 3, 4, -1, "", None, "a\"b.glsl", "\x00"]


@st.composite
def shadertoy_docs(draw, seeds: list, *, json_values: bool):
    """A mutated layout or export, then a Shadertoy word or two where a value
    was (null only in JSON: ``json_values``)."""
    doc, how = draw(mutated(seeds, json_values=json_values, most=3))
    for _ in range(draw(st.integers(0, 2))):
        path, box = draw(st.sampled_from(_containers(doc)))
        keys = list(box) if isinstance(box, dict) else list(range(len(box)))
        if keys:
            key = draw(st.sampled_from(keys))
            word = draw(st.sampled_from(SHADERTOY_WORDS))
            box[key] = "none" if word is None and not json_values else word
            how += f"; {'/'.join(map(str, path + (key,)))} = {word!r}"
    return doc, how


def _shadertoy_folder(folder: Path, monkeypatch) -> None:
    """The files a layout names, in ``folder``; the passes' files under it too."""
    import tempfile
    (folder / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder / "temp"))
    for name, text in SHADERTOY_FILES.items():
        (folder / name).write_text(text)
    from visualizer.output.png import write_png
    write_png(folder / "noise.png", np.full((4, 4, 3), 128, np.uint8))


@pytest.mark.parametrize("kind", ["layout", "export"])
def test_fuzz_shadertoy_files_load_or_say_which_file_is_wrong(kind, tmp_path, monkeypatch):
    _shadertoy_folder(tmp_path, monkeypatch)
    path = tmp_path / ("fuzzed.toml" if kind == "layout" else "fuzzed.json")
    seeds = ([tomllib.loads(SHADERTOY_LAYOUT_SEED)] if kind == "layout"
             else [SHADERTOY_EXPORT_SEED])

    @budget(60)
    @given(case=shadertoy_docs(seeds, json_values=kind == "export"), data=st.data())
    def check(case, data):
        doc, how = case
        text = toml_text(doc) if kind == "layout" else json.dumps(_json_value(doc))
        raw, damage = data.draw(damaged(text))
        path.write_bytes(raw)
        with Case(f"shadertoy-{kind}"):
            loads_or_says_why(lambda: load_scene(path), path, SceneError)

    check()


def test_fuzz_shadertoy_files_compile_or_say_which_pass_is_wrong(renderer, tmp_path, monkeypatch):
    """A bounded number through the driver: a compile error names the user's
    file, or the pass (the file of its code, under visualizer-shadertoy-*)."""
    _shadertoy_folder(tmp_path, monkeypatch)

    @budget(10, campaign=300)
    @given(case=shadertoy_docs([SHADERTOY_EXPORT_SEED, tomllib.loads(SHADERTOY_LAYOUT_SEED)],
                               json_values=False),   # TOML's values: both are written from them
           code=st.lists(st.sampled_from(SNIPPETS), max_size=4))
    def check(case, code):
        doc, how = case
        if "shadertoy" in doc:
            path = tmp_path / "fuzzed.toml"
            (tmp_path / "a.glsl").write_text("".join(code) or _TOY_CODE)
            path.write_text(toml_text(doc))
        else:
            path = tmp_path / "fuzzed.json"
            shader = doc.get("Shader")
            passes = shader.get("renderpass") if isinstance(shader, dict) else None
            if isinstance(passes, list) and len(passes) > 1 and isinstance(passes[1], dict):
                passes[1]["code"] = "".join(code) or _TOY_CODE   # Buffer A's
            path.write_text(json.dumps(_json_value(doc)))
        with Case("shadertoy-compile"):
            scene = loads_or_says_why(lambda: load_scene(path), path, SceneError)
            if scene is not None:
                loads_or_says_why(lambda: renderer.compile(scene), path, (ShaderError, SceneError),
                                  # or the file a snippet includes: '#include "../../../../etc/passwd"'
                                  names=[path, tmp_path, "visualizer-shadertoy-", LIB, "/etc/passwd"])

    check()


# -- what the fuzzers found, kept as plain tests ------------------------------------

def _error_of(load, error):
    with pytest.raises(error) as raised:
        load()
    message = str(raised.value)
    assert "\n" not in message and "\r" not in message and len(message) < 1000, message
    return message


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_toml_nested_past_the_parsers_recursion_is_a_malformed_file(kind, track, tmp_path):
    # tomllib recurses once per level: a RecursionError escaped every loader.
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    load, error = LOADERS[kind]
    assert f"{path}: malformed TOML" in _error_of(lambda: load(path, track), error)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_folder_or_a_file_that_is_not_utf8_names_the_file(kind, track, tmp_path):
    load, error = LOADERS[kind]
    (tmp_path / "folder.toml").mkdir()   # the timeline let IsADirectoryError out
    assert f"{tmp_path / 'folder.toml'}: cannot read" in _error_of(
        lambda: load(tmp_path / "folder.toml", track), error)
    (tmp_path / "latin1.toml").write_bytes(b'title = "caf\xe9"\n')
    assert f"{tmp_path / 'latin1.toml'}: cannot read" in _error_of(
        lambda: load(tmp_path / "latin1.toml", track), error)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_toml_of_many_megabytes_is_the_wrong_file(kind, track, tmp_path):
    # Valid TOML this large (found: a list of 20000 names, a hundred times)
    # kept tomllib busy past the fuzzer's 10 s limit.
    path = tmp_path / "huge.toml"
    path.write_text("a = [" + '"vortex", ' * 1_000_000 + "]\n")
    load, error = LOADERS[kind]
    start = time.perf_counter()
    assert f"{path}: over 1 MB" in _error_of(lambda: load(path, track), error)
    assert time.perf_counter() - start < 1.0


def test_a_byte_order_mark_is_no_mistake(tmp_path):
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbfshader = "vortex.glsl"\n')
    assert load_scene(tmp_path / "bom.toml").shader.name == "vortex.glsl"


@pytest.mark.parametrize("entry, message", [
    ('scene = ["steppe"]', "cue[0].scene: unknown scene ['steppe']"),      # was TypeError
    ('scene = {a = 1}', "cue[0].scene: unknown scene {'a': 1}"),
    ('scene = "steppe"\ntransition = ["wipe"]', "unknown transition ['wipe']"),
    ('scene = "\\r"', r"unknown scene '\r'"),                               # was two lines
    ('scene = "steppe\\n"', r"unknown scene 'steppe\n'"),
    ('scene = "steppe"\n"at\\n" = 1', r"cue[0].'at\n': unknown key"),
    ('scene = "' + "x" * 5000 + '"', "characters)"),                         # was 5000 of them
])
def test_timeline_cues_with_values_of_the_wrong_shape(entry, message, track, tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(f"[[cue]]\nat = 0.0\n{entry}\n")
    assert message in _error_of(lambda: load_timeline(path, scenes=SCENES, track=track),
                                SceneError)


@pytest.mark.parametrize("entry", ["at = nan", "at = inf", "at = 1.0\nduration = nan",
                                   "at = 1.0\nbeats = inf", "bar = true"])
def test_timeline_times_that_are_not_numbers_are_refused(entry, track, tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(f'[[cue]]\nscene = "steppe"\n{entry}\n')
    _error_of(lambda: load_timeline(path, scenes=SCENES, track=track), SceneError)


@pytest.mark.parametrize("param, message", [
    ('type = ["float"]\ndefault = 1.0\nrange = [0.0, 2.0]', "type: ['float'] is not one of"),
    ('type = "int"\ndefault = 1\nrange = [0, 10000000000]', "within a GLSL int's range"),
    ('default = 1.0\nrange = [-inf, inf]', "within finite numbers"),
    ('default = nan\nrange = [0.0, 1.0]', "is outside range"),
])
def test_scene_parameters_of_the_wrong_shape(param, message, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f'shader = "vortex.glsl"\n[params.x]\n{param}\n')
    assert message in _error_of(lambda: load_scene(path), SceneError)


@pytest.mark.parametrize("name, message", [
    ('"spin\\n"', r"params.'spin\n': not a usable GLSL name"),   # re's "$" let it through
    ('"float"', "params.float: not a usable GLSL name"),        # a compile error in the prelude
    ('"gl_x"', "not a usable GLSL name"),
    ('"\\u202e"', r"params.'\u202e'"),
])
def test_scene_parameter_names_glsl_cannot_have(name, message, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f'shader = "vortex.glsl"\n[params.{name}]\ndefault = 1.0\nrange = [0.0, 2.0]\n')
    assert message in _error_of(lambda: load_scene(path), SceneError)


@pytest.mark.parametrize("binding", ["gain = nan", "gain = inf", "attack = inf", "release = nan"])
def test_bindings_that_would_put_nan_in_a_uniform(binding, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('shader = "vortex.glsl"\n[params.x]\ndefault = 1.0\nrange = [0.0, 2.0]\n'
                    f'[[bindings]]\nparam = "x"\nfeature = "level"\n{binding}\n')
    _error_of(lambda: load_scene(path), SceneError)


def test_a_transition_name_is_a_transition_not_a_path(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('shader = "vortex.glsl"\ntransition = "../vortex"\n')
    assert "transition: unknown '../vortex'" in _error_of(lambda: load_scene(path), SceneError)


def test_a_parameter_set_to_nan_keeps_its_default():
    # Found drawing fuzzed scenes: clamp(nan) raised for an int, and gave a
    # float or colour NaN (a black picture) instead of a valid value.
    from visualizer.scenes.scene import Param
    assert Param("i", 3, 0.0, 10.0, type="int").clamp(math.nan) == 3
    assert Param("f", 0.5, 0.0, 1.0).clamp(math.nan) == 0.5
    assert Param("f", 0.5, 0.0, 1.0).clamp(math.inf) == 1.0
    assert Param("c", (0.1, 0.2, 0.3), type="color").clamp([math.nan, 2.0, -1.0]) == (0.1, 1.0, 0.0)


def test_midi_map_keys_with_line_breaks_and_huge_values_stay_one_line(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[[cc]]\ncc = 1\naction = "intensity"\n"spin\\n" = 1\n')
    assert r"[[cc]] 1: 'spin\n': unknown key" in _error_of(
        lambda: MidiMap.load(path, KEYS, PARAMS), ControlError)
    path.write_text('[[cc]]\ncc = 1\naction = "' + "x" * 5000 + '"\n')
    assert "characters)" in _error_of(lambda: MidiMap.load(path, KEYS, PARAMS), ControlError)


def test_setlist_names_with_line_breaks_and_huge_values_stay_one_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[song]]\nname = "A\\nB"\n[[song.cue]]\nscene = ' + "[1]" + "\n")
    assert r"song 1 'A\nB': cue 1: scene: unknown scene [1]" in _error_of(
        lambda: Setlist.load(path, KEYS, TRANSITIONS), ControlError)
    path.write_text('[[song]]\nname = "A"\n[[song.cue]]\nscene = "' + "x" * 5000 + '"\n')
    assert "characters)" in _error_of(lambda: Setlist.load(path, KEYS, TRANSITIONS), ControlError)


def _isf(tmp_path, header: str, body: str = GOOD_MAIN.replace("mainImage(out vec4 c, in vec2 p)",
                                                               "main()").replace("c = ", "gl_FragColor = ")
         .replace("p / iResolution.xy", "isf_FragNormCoord")):
    path = tmp_path / "x.fs"
    path.write_text(f"/*{header}*/\n{body}")
    return path


@pytest.mark.parametrize("header, message", [
    ('{"INPUTS": [{"NAME": "n", "TYPE": "long", "VALUES": [1, Infinity]}]}', "expected a number"),
    ('{"INPUTS": [{"NAME": "a", "TYPE": "audio", "MAX": NaN}]}', "expected a number"),
    ('{"INPUTS": [{"NAME": "n", "TYPE": "long", "MAX": 1' + "0" * 400 + '}]}', "expected a number"),
    ('{"INPUTS": [{"NAME": "n", "TYPE": "long", "MAX": 10000000000}]}', "expected an integer"),
    ('{"INPUTS": [{"NAME": "wave\\n", "TYPE": "audio"}]}', r"'wave\n' is not a valid GLSL"),
    ('{"INPUTS": [{"NAME": "float", "TYPE": "float"}]}', "'float' is a GLSL keyword"),
    ('{"INPUTS": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
])
def test_isf_headers_the_fuzzer_broke(header, message, tmp_path):
    # Were OverflowError, ValueError and RecursionError, or a name that broke
    # the prelude's #define across two lines.
    path = _isf(tmp_path, header)
    assert message in _error_of(lambda: load_scene(path), SceneError)


def test_include_diamonds_chains_and_nul_bytes_end_in_a_shader_error(tmp_path):
    # 2^20 copies of a file included twice at each of 20 levels took minutes
    # (2^40, forever); 1500 nested includes raised RecursionError; a NUL cut
    # the source short at the driver ("Linker failed", and no line).
    for i in range(20):
        (tmp_path / f"d{i}.glsl").write_text(f'#include "d{i + 1}.glsl"\n#include "d{i + 1}.glsl"\n')
    (tmp_path / "d20.glsl").write_text("// the bottom\n")
    (tmp_path / "diamond.glsl").write_text('#include "d0.glsl"\n' + GOOD_MAIN)
    for i in range(1500):
        (tmp_path / f"c{i}.glsl").write_text(f'#include "c{i + 1}.glsl"\n')
    (tmp_path / "c1500.glsl").write_text("// the end\n")
    (tmp_path / "chain.glsl").write_text('#include "c0.glsl"\n' + GOOD_MAIN)
    (tmp_path / "nul.glsl").write_text(GOOD_MAIN + "// a \x00 here\n")
    for name, message in (("diamond", "the same file included many times over"),
                          ("chain", "#include nested more than 32 deep"),
                          ("nul", "nul.glsl:2: a NUL character")):
        start = time.perf_counter()
        text = _error_of(lambda: load_fragment(tmp_path / f"{name}.glsl", include_dirs=[LIB],
                                               prelude=""), ShaderError)
        assert message in text and str(tmp_path) in text
        assert time.perf_counter() - start < 2.0


def test_compile_errors_outside_the_users_lines_name_the_users_file(renderer, tmp_path):
    # An error in the code the loader adds (here a mainImage of another shape)
    # was reported at "<prelude>:2", naming no file of the user's.
    path = tmp_path / "odd.glsl"
    path.write_text("void mainImage(out vec4 c) { c = vec4(1.0); }\n")
    scene = load_scene(path)
    message = _error_of(lambda: renderer.compile(scene), ShaderError)
    assert message.startswith(f"{path}: ") and "the loader adds" in message
    path.write_text("#line 4000000\nvoid mainImage(out vec4 c, in vec2 p) { c = oops; }\n")
    assert str(path) in _error_of(lambda: renderer.compile(load_scene(path)), ShaderError)
