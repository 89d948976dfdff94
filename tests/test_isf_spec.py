"""ISF as the spec (https://isf.video, v2) says, beyond the basics of
test_isf.py: buffers with WIDTH/HEIGHT expressions, IMPORTED images, custom
vertex shaders, event pulses, headers other hosts accept. Rendered for real
on the headless EGL context; ISF files are written in tmp_path."""

import json
import math

import numpy as np
import pytest

from visualizer.analysis.features import FeatureFrame
from visualizer.errors import SceneError, ShaderError
from visualizer.output.png import write_png
from visualizer.render.timing import FrameTiming
from visualizer.scenes import isf_expr
from visualizer.scenes.isf_events import EventPulses
from visualizer.scenes.scene import load_scene

SIZE = (160, 90)


def write_fs(folder, name: str, header: dict, body: str):
    path = folder / f"{name}.fs"
    path.write_text(f"/*{json.dumps(header, indent=1)}*/\n{body}\n")
    return path


def draw(renderer, scene, *, frames: int = 1, params: dict | None = None, size=SIZE,
         compile: bool = True, first: int = 0) -> np.ndarray:
    """Draw ``frames`` frames (numbered from ``first``) and return the last
    as floats 0..1, top row first."""
    if compile:
        renderer.compile(scene)
    target = renderer.offscreen(size)
    values = {n: p.default for n, p in scene.params.items()}
    values.update(params or {})
    for i in range(first, first + frames):
        renderer.draw(scene.key, FeatureFrame(), FrameTiming(time=1.0, frame=i), target.fbo,
                      params=values)
    return target.read().astype(float) / 255.0


def error_of(call, error=SceneError) -> str:
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert "\n" not in message, message
    return message


# -- buffers with a size of their own ----------------------------------------------

STATE = {
    "DESCRIPTION": "a 1x1 persistent float state buffer, read by the picture pass",
    "PASSES": [{"TARGET": "state", "PERSISTENT": True, "FLOAT": True, "WIDTH": "1", "HEIGHT": "1"},
               {}],
}
STATE_BODY = """
void main() {
    if (PASSINDEX == 0) {   // one pixel: add 0.05 a frame, and say how big RENDERSIZE is
        vec4 s = IMG_PIXEL(state, vec2(0.5));
        gl_FragColor = vec4(s.r + 0.05, RENDERSIZE, 1.0);
    } else {
        vec4 s = IMG_NORM_PIXEL(state, isf_FragNormCoord);
        bool one = s.g == 1.0 && s.b == 1.0 && IMG_SIZE(state) == vec2(1.0);
        gl_FragColor = vec4(s.r, float(one), float(RENDERSIZE == vec2(160.0, 90.0)), 1.0);
    }
}
"""


def test_a_1x1_persistent_state_buffer_accumulates_and_fills_the_picture(renderer, tmp_path):
    scene = load_scene(write_fs(tmp_path, "state", STATE, STATE_BODY))
    assert (scene.passes[0].width, scene.passes[0].height) == ("1", "1")
    img = draw(renderer, scene, frames=10)
    assert renderer.scenes[scene.key].buffers["state"][0].size == (1, 1)
    # the accumulated value everywhere; RENDERSIZE was 1x1 inside the state pass
    # and the picture's own size in the last pass
    assert np.allclose(img[:, :, 0], 0.5, atol=0.01)
    assert np.allclose(img[:, :, 1:], 1.0)


STRIPE = {
    "INPUTS": [{"NAME": "cells", "TYPE": "float", "MIN": 1, "MAX": 64, "DEFAULT": 4}],
    "PASSES": [{"TARGET": "ramp", "FLOAT": True, "WIDTH": "$WIDTH/20", "HEIGHT": "1"},
               {"TARGET": "count", "FLOAT": True, "WIDTH": "floor($cells)", "HEIGHT": "1"},
               {}],
}
STRIPE_BODY = """
void main() {
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(gl_FragCoord.x / RENDERSIZE.x, RENDERSIZE / 100.0, 1.0);
    } else if (PASSINDEX == 1) {
        gl_FragColor = vec4(RENDERSIZE.x / 100.0);
    } else {   // a full-size pass reads the small buffers with normalised coordinates
        vec4 r = IMG_THIS_PIXEL(ramp);
        float same = float(r == IMG_THIS_NORM_PIXEL(ramp) && r == IMG_NORM_PIXEL(ramp, isf_FragNormCoord));
        gl_FragColor = vec4(r.r, r.g * same, IMG_PIXEL(count, vec2(0.5, 0.5)).r, 1.0);
    }
}
"""


def test_buffer_sizes_follow_the_render_size_and_the_inputs(renderer, tmp_path):
    scene = load_scene(write_fs(tmp_path, "stripe", STRIPE, STRIPE_BODY))
    img = draw(renderer, scene)
    buffers = renderer.scenes[scene.key].buffers
    assert buffers["ramp"][0].size == (8, 1) and buffers["count"][0].size == (4, 1)
    u = (np.arange(SIZE[0]) + 0.5) / SIZE[0]
    # the 8 texels hold (i + 0.5) / 8: read linearly they give u back, clamped to the edge texels
    assert np.allclose(img[:, :, 0], np.clip(u, 1 / 16, 15 / 16)[None, :], atol=0.01)
    assert np.allclose(img[:, :, 1], 0.08, atol=0.01)       # RENDERSIZE.x was 8 in its pass
    assert np.allclose(img[:, :, 2], 0.04, atol=0.01)       # ... and 4 for "floor($cells)"
    # an input the expression reads resizes the buffer; the same size keeps the texture
    ramp = buffers["ramp"][0]
    img = draw(renderer, scene, params={"cells": 10.7}, compile=False)
    assert buffers["count"][0].size == (10, 1) and buffers["ramp"][0] is ramp
    assert np.allclose(img[:, :, 2], 0.10, atol=0.01)
    # a new render size resizes $WIDTH's buffer
    draw(renderer, scene, size=(400, 50), compile=False)
    assert renderer.scenes[scene.key].buffers["ramp"][0].size == (20, 1)


def test_a_sized_last_pass_is_stretched_over_the_picture(renderer, tmp_path):
    header = {"PASSES": [{"TARGET": "tiny", "FLOAT": True, "WIDTH": 2, "HEIGHT": 1}]}
    body = "void main() { gl_FragColor = vec4(gl_FragCoord.x < 1.0 ? 0.2 : 0.8, RENDERSIZE / 10.0, 1.0); }"
    scene = load_scene(write_fs(tmp_path, "tiny", header, body))
    img = draw(renderer, scene)
    assert renderer.scenes[scene.key].buffers["tiny"][0].size == (2, 1)
    u = (np.arange(SIZE[0]) + 0.5) / SIZE[0]     # linear between the two texels' centres
    assert np.allclose(img[:, :, 0], 0.2 + 0.6 * np.clip(u * 2 - 0.5, 0, 1)[None, :], atol=0.01)
    assert np.allclose(img[:, :, 1:], [0.2, 0.1], atol=0.01)


@pytest.mark.parametrize("width, message", [
    ("$WIDTH/", "not an expression"),
    ("$nope * 2", "$nope is neither $WIDTH, $HEIGHT nor an input"),
    ("__import__('os')", "is not allowed"),
    ("exp(1)", "exp() is not one of"),
    ("$colour", "$colour is neither"),          # a color has no single number
    ([1, 2], "expected an expression"),
])
def test_a_bad_size_expression_names_the_file_the_pass_and_the_expression(tmp_path, width, message):
    header = {"INPUTS": [{"NAME": "colour", "TYPE": "color"}],
              "PASSES": [{"TARGET": "a", "WIDTH": width}, {}]}
    path = write_fs(tmp_path, "bad", header, "void main() { gl_FragColor = vec4(1.0); }")
    text = error_of(lambda: load_scene(path))
    assert text.startswith(f"{path}: PASSES[0].WIDTH: ") and message in text


def test_size_expressions_evaluate_as_isf_hosts_do():
    values = {"WIDTH": 640.0, "HEIGHT": 360.0, "blur": 2.0}
    cases = {"$WIDTH/16.0": 40, "floor($HEIGHT*0.5)": 180, "max($WIDTH/$blur, 1.0)": 320,
             "$WIDTH > 100 ? 1 : 2": 1, "($HEIGHT < 10) ? 3 : ($WIDTH < 10 ? 4 : 5)": 5,
             "2^3": 8, "pow(2, 3) + abs(-1)": 9, "round(2.5)": 3, "ceil(sqrt(10))": 4,
             "min($WIDTH, $HEIGHT) % 7": 3, "$WIDTH * 100": isf_expr.MAX_SIDE,
             "-5": 1, "$WIDTH / 0": 1, "sqrt(-1)": 1, "9 ** 9 ** 9": 1}
    for text, pixels in cases.items():
        isf_expr.check(text, ["blur"])
        assert isf_expr.side(text, 640, values) == pixels, text
    assert isf_expr.buffer_size("", "", (640, 360), {}) == (640, 360)
    assert isf_expr.buffer_size("$WIDTH/$n", "", (640, 360), {"n": 4, "c": (1, 2, 3)}) == (160, 360)
    assert isf_expr.size_expression(16) == "16" and isf_expr.size_expression(" 1 ") == "1"
    assert math.isnan(isf_expr.evaluate("1 / 0", {}))


# -- IMPORTED images ---------------------------------------------------------------

PICTURE = np.array([[[255, 0, 0], [0, 255, 0]],          # top row: red, green
                    [[0, 0, 255], [255, 255, 255]]], np.uint8)   # bottom: blue, white
IMPORTED_BODY = """
void main() {
    vec4 c = IMG_NORM_PIXEL(pic, isf_FragNormCoord);
    // IMG_PIXEL counts pixels from the bottom left, as GL does; IMG_SIZE is the file's
    bool ok = IMG_PIXEL(pic, vec2(0.5, 1.5)) == vec4(1.0, 0.0, 0.0, 1.0)
        && IMG_SIZE(pic) == vec2(2.0, 2.0) && IMG_THIS_PIXEL(pic) == c;
    gl_FragColor = ok ? c : vec4(1.0, 0.0, 1.0, 1.0);
}
"""


@pytest.mark.parametrize("imported", [{"pic": {"PATH": "art/pic.png"}},
                                      [{"NAME": "pic", "PATH": "art/pic.png"}]])
def test_an_imported_image_is_read_right_side_up(renderer, tmp_path, imported):
    (tmp_path / "art").mkdir()
    write_png(tmp_path / "art" / "pic.png", PICTURE)
    scene = load_scene(write_fs(tmp_path, "imported", {"IMPORTED": imported}, IMPORTED_BODY))
    assert scene.images == {"pic": tmp_path / "art" / "pic.png"}
    img = draw(renderer, scene, size=(2, 2))     # each pixel on a texel's centre
    assert tmp_path / "art" / "pic.png" in renderer.scenes[scene.key].dependencies
    assert np.allclose(img, PICTURE / 255.0, atol=0.01), img


@pytest.mark.parametrize("imported, message", [
    ({"pic": {"PATH": "nowhere.png"}}, "IMPORTED.pic: image file nowhere.png not found"),
    ([{"NAME": "pic", "PATH": "sub/none.jpg"}], "IMPORTED[0]: image file sub/none.jpg not found"),
    ({"pic": {"PATH": 3}}, "IMPORTED.pic.PATH: expected the image file's name"),
    ({"sky": {"TYPE": "cube", "PATH": ["a.png"] * 6}}, "cube-map images are not supported"),
    ([{"PATH": "x.png"}], "IMPORTED[0].NAME: missing"),
    ("pic.png", "IMPORTED: expected an object"),
])
def test_an_imported_image_that_cannot_be_had_is_an_error_naming_fs_and_image(
        tmp_path, imported, message):
    path = write_fs(tmp_path, "missing", {"IMPORTED": imported}, IMPORTED_BODY)
    text = error_of(lambda: load_scene(path))
    assert text.startswith(str(path)) and message in text


def test_an_imported_file_that_is_not_an_image_names_the_scene_and_the_file(renderer, tmp_path):
    (tmp_path / "pic.png").write_text("not a picture")
    scene = load_scene(write_fs(tmp_path, "notpng", {"IMPORTED": {"pic": {"PATH": "pic.png"}}},
                                IMPORTED_BODY))
    text = error_of(lambda: renderer.compile(scene))
    assert str(scene.path) in text and str(tmp_path / "pic.png") in text


def test_an_imported_name_must_be_free(tmp_path):
    write_png(tmp_path / "pic.png", PICTURE)
    header = {"INPUTS": [{"NAME": "pic", "TYPE": "float"}], "IMPORTED": {"pic": {"PATH": "pic.png"}}}
    assert "used twice" in error_of(lambda: load_scene(write_fs(tmp_path, "twice", header, "")))


# -- headers other ISF hosts run -----------------------------------------------------

def test_reversed_or_odd_ranges_run_with_a_warning(renderer, tmp_path):
    header = {"INPUTS": [
        {"NAME": "zoom", "TYPE": "float", "MIN": 10.0, "MAX": 1.0, "DEFAULT": 2.0},
        {"NAME": "gain", "TYPE": "float", "MIN": 0.0, "MAX": 1.0, "DEFAULT": 3.0},
        {"NAME": "mode", "TYPE": "long", "VALUES": [0, 1, 2], "LABELS": ["a", "b"], "DEFAULT": 7},
        {"NAME": "tint", "TYPE": "color", "DEFAULT": [2.0, 0.5, -1.0, 1.0]},
        {"NAME": "where", "TYPE": "point2D", "MIN": [-1, -2], "MAX": [1, 2], "DEFAULT": [0.5, 9]}]}
    body = "void main() { gl_FragColor = vec4(zoom / 10.0, gain, tint.b + float(mode) / 4.0, 1.0); }"
    path = write_fs(tmp_path, "odd", header, body)
    scene = load_scene(path)
    zoom, gain, mode = scene.params["zoom"], scene.params["gain"], scene.params["mode"]
    assert (zoom.low, zoom.high, zoom.default) == (1.0, 10.0, 2.0)
    assert gain.default == 1.0 and mode.default == 2 and "0 = a, 1 = b, 2 = 2" in mode.description
    assert scene.params["tint"].default == (1.0, 0.5, 0.0)
    assert (scene.params["where_y"].low, scene.params["where_y"].high,
            scene.params["where_y"].default) == (-2.0, 2.0, 2.0)
    assert len(scene.warnings) == 6
    assert all(w.startswith(f"{path}: INPUTS[") and "\n" not in w for w in scene.warnings)
    assert "INPUTS[0] (zoom): MIN and MAX are reversed" in scene.warnings[0]
    img = draw(renderer, scene)
    assert np.allclose(img[0, 0], [0.2, 1.0, 0.5], atol=0.01)


def test_metadata_other_hosts_ignore_is_ignored_with_a_warning(tmp_path):
    header = {"DESCRIPTION": None, "VSN": None, "CATEGORIES": "Blur",
              "INPUTS": [{"NAME": "x", "TYPE": "float"}]}
    path = write_fs(tmp_path, "meta", header, "void main() { gl_FragColor = vec4(x); }")
    scene = load_scene(path)
    assert scene.description == "" and scene.warnings == (
        f"{path}: CATEGORIES: expected a list of strings; ignored",)
    header["DESCRIPTION"] = 3
    assert "DESCRIPTION: expected a string; ignored" in load_scene(
        write_fs(tmp_path, "meta", header, "void main() {}")).warnings[0]


def test_the_other_input_types(tmp_path):
    header = {"INPUTS": [
        {"NAME": "pt", "TYPE": "point2D", "DEFAULT": [0, 0], "MIN": [-1, -2], "MAX": [1, 2]},
        {"NAME": "shape", "TYPE": "long", "VALUES": [3, 5, 8], "LABELS": ["tri", "pent", "oct"],
         "DEFAULT": 5},
        {"NAME": "kick", "TYPE": "event"},
        {"NAME": "fft", "TYPE": "audioFFT", "MAX": 16}]}
    scene = load_scene(write_fs(tmp_path, "types", header, ""))
    x, y = scene.params["pt_x"], scene.params["pt_y"]
    assert (x.low, x.high, y.low, y.high) == (-1.0, 1.0, -2.0, 2.0)
    shape = scene.params["shape"]
    assert (shape.type, shape.default, shape.low, shape.high) == ("int", 5, 3.0, 8.0)
    assert "5 = pent" in shape.description
    assert scene.params["kick"].type == "bool" and scene.audio_inputs == (("fft", "audioFFT"),)
    assert scene.warnings == ()


# -- events ---------------------------------------------------------------------------

def test_an_event_is_true_for_one_frame(renderer, tmp_path):
    header = {"INPUTS": [{"NAME": "hit", "TYPE": "event"}]}
    body = "void main() { gl_FragColor = vec4(hit ? 1.0 : 0.0, 0.0, 0.0, 1.0); }"
    scene = load_scene(write_fs(tmp_path, "event", header, body))
    renderer.compile(scene)
    seen = []
    for frame, on in enumerate([False, True, True, True, False, True]):
        img = draw(renderer, scene, params={"hit": on}, compile=False, first=frame)
        seen.append(round(img[:, :, 0].mean()))
    assert seen == [0, 1, 0, 0, 0, 1]
    # a second draw of the frame it fired in (a transition draws a scene twice) sees it too
    assert draw(renderer, scene, params={"hit": True}, compile=False, first=5)[0, 0, 0] == 1.0


def test_event_pulses_without_gl():
    pulses = EventPulses(["a"])
    assert [pulses.apply({"a": on, "b": 1}, f)["a"] for f, on in
            enumerate([True, True, False, True])] == [True, False, False, True]
    assert not EventPulses() and pulses.apply({"b": 1}, 9) == {"a": False, "b": 1}


# -- custom vertex shaders --------------------------------------------------------------

VS = """
varying vec2 swapped;
varying float gained;
void main() {
    isf_vertShaderInit();
    swapped = isf_FragNormCoord.yx;    // the fragment sees x and y swapped
    gained = gain * float(PASSINDEX == 0) + RENDERSIZE.x * 0.0;
}
"""
FS_BODY = """
varying vec2 swapped;
varying float gained;
void main() { gl_FragColor = vec4(swapped, gained, 1.0); }
"""


def test_a_vertex_shader_passes_its_varyings(renderer, tmp_path):
    header = {"INPUTS": [{"NAME": "gain", "TYPE": "float", "DEFAULT": 0.75}]}
    path = write_fs(tmp_path, "swap", header, FS_BODY)
    (tmp_path / "swap.vs").write_text(VS)
    scene = load_scene(path)
    assert scene.passes[0].vertex == tmp_path / "swap.vs"
    img = draw(renderer, scene)
    assert tmp_path / "swap.vs" in renderer.scenes[scene.key].dependencies   # hot reload
    u = (np.arange(SIZE[0]) + 0.5) / SIZE[0]
    v = ((np.arange(SIZE[1]) + 0.5) / SIZE[1])[::-1]
    assert np.allclose(img[:, :, 0], v[:, None], atol=0.01)
    assert np.allclose(img[:, :, 1], u[None, :], atol=0.01)
    assert np.allclose(img[:, :, 2], 0.75, atol=0.01)
    assert np.allclose(draw(renderer, scene, params={"gain": 0.25}, compile=False)[:, :, 2], 0.25,
                       atol=0.01)


def test_a_vertex_shader_with_passes_and_the_isf_v1_names(renderer, tmp_path):
    header = {"PASSES": [{"TARGET": "halfsize", "WIDTH": "$WIDTH/2", "HEIGHT": "$HEIGHT/2"}, {}]}
    (tmp_path / "old.vs").write_text(
        "varying vec2 uv;\nvoid main(void) { vv_vertShaderInit(); uv = vv_FragNormCoord; }\n")
    body = ("varying vec2 uv;\nvoid main() {\n"
            "  if (PASSINDEX == 0) gl_FragColor = vec4(uv, 0.0, 1.0);\n"
            "  else gl_FragColor = vec4(IMG_NORM_PIXEL(halfsize, uv).rg, uv.x, 1.0);\n}\n")
    scene = load_scene(write_fs(tmp_path, "old", header, body))
    img = draw(renderer, scene)
    assert np.allclose(img[:, :, 0], img[:, :, 2], atol=0.02)   # the half-size pass saw uv too


@pytest.mark.parametrize("vs, message", [
    ("void main() { isf_vertShaderInit(); oops; }\n", "old.vs:1: "),
    ("attribute vec2 pos;\nvoid main() { isf_vertShaderInit(); }\n", "old.vs:1: vertex attributes"),
    ("// isf_vertShaderInit();\nvoid main() { gl_Position = vec4(0.0); }\n",
     "must call isf_vertShaderInit()"),
])
def test_a_vertex_shader_that_cannot_run_names_its_own_file(renderer, tmp_path, vs, message):
    (tmp_path / "old.vs").write_text(vs)
    path = write_fs(tmp_path, "old", {}, "void main() { gl_FragColor = vec4(1.0); }")
    if "oops" in vs:
        text = error_of(lambda: renderer.compile(load_scene(path)), ShaderError)
    else:
        text = error_of(lambda: load_scene(path))
    assert str(tmp_path / "old.vs") in text and message in text


def test_a_varying_without_a_vertex_shader_is_an_error(tmp_path):
    body = "varying vec2 shifted;\nvoid main() { gl_FragColor = vec4(shifted, 0.0, 1.0); }"
    path = write_fs(tmp_path, "lonely", {}, body)
    assert "varying shifted is read, but no lonely.vs" in error_of(lambda: load_scene(path))


def test_stages_that_disagree_name_both_files(renderer, tmp_path):
    (tmp_path / "mix.vs").write_text("varying vec3 c;\nvoid main() { isf_vertShaderInit(); c = vec3(1.0); }\n")
    path = write_fs(tmp_path, "mix", {}, "varying vec2 c;\nvoid main() { gl_FragColor = vec4(c, 0.0, 1.0); }")
    text = error_of(lambda: renderer.compile(load_scene(path)), ShaderError)
    assert text.startswith(f"{path}: does not link with {tmp_path / 'mix.vs'}")


def test_a_vertex_shader_may_clamp_what_it_computes_per_vertex(renderer, tmp_path):
    # ISF hosts draw a quad corner to corner; on an oversized triangle a clamp
    # to 0..1 per vertex would squeeze the picture (City Lights read a 2x zoom).
    (tmp_path / "clamped.vs").write_text(
        "varying vec2 uv;\nvoid main() { isf_vertShaderInit(); uv = clamp(isf_FragNormCoord, 0.0, 1.0); }\n")
    path = write_fs(tmp_path, "clamped", {}, "varying vec2 uv;\nvoid main() { gl_FragColor = vec4(uv, 0.0, 1.0); }")
    img = draw(renderer, load_scene(path))
    u = (np.arange(SIZE[0]) + 0.5) / SIZE[0]
    assert np.allclose(img[:, :, 0], u[None, :], atol=0.01)


# -- the picture, and reads between texels ---------------------------------------------

def test_the_picture_is_shown_over_black_as_isf_hosts_show_alpha(renderer, tmp_path):
    body = "void main() { gl_FragColor = vec4(1.0, 0.5, 0.0, 0.5); }"
    img = draw(renderer, load_scene(write_fs(tmp_path, "half", {}, body)))
    assert np.allclose(img, [0.5, 0.25, 0.0], atol=0.01)


def test_reads_at_texel_centres_see_that_texel_alone(renderer, tmp_path):
    # A Game of Life counts its neighbours with IMG_PIXEL at pixel centres: a
    # trace of the texels beside them (llvmpipe's exact filtering) miscounts.
    header = {"PASSES": [{"TARGET": "cells", "FLOAT": True, "WIDTH": "37", "HEIGHT": "23"}, {}]}
    body = """
void main() {
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(mod(floor(gl_FragCoord.x) * 7.0 + floor(gl_FragCoord.y) * 3.0, 2.0));
    } else {
        vec2 p = floor(isf_FragNormCoord * IMG_SIZE(cells)) + 0.5;
        float n = 0.0;
        for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++)
                n += IMG_PIXEL(cells, p + vec2(dx, dy)).r;
        gl_FragColor = vec4(float(fract(n) == 0.0), 0.0, 0.0, 1.0);
    }
}
"""
    img = draw(renderer, load_scene(write_fs(tmp_path, "count", header, body)), size=(111, 69))
    assert img[:, :, 0].min() == 1.0
