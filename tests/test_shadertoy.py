"""Shadertoy shaders as they are: every iChannel declared (black when
unbound), iGlobalTime and iChannelTime, and several passes (Buffers A-D and
Image) from a scene TOML's [shadertoy] table or a Shadertoy JSON export,
rendered for real on the headless EGL context."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from visualizer.analysis.features import FeatureFrame
from visualizer.errors import SceneError, ShaderError
from visualizer.output.png import write_png
from visualizer.render.timing import FrameTiming
from visualizer.scenes.scene import discover, find, load_scene

SIZE = (64, 36)

UV = "vec2 uv = fragCoord / iResolution.xy;\n"
COUNTER = ("void mainImage(out vec4 c, in vec2 fragCoord) {\n" + UV
           + "    c = texture(iChannel0, uv) + vec4(1.0 / 255.0);\n}\n")
SHOW = "void mainImage(out vec4 c, in vec2 fragCoord) {\n" + UV + "    c = texture(iChannel0, uv);\n}\n"
FRAME = ("void mainImage(out vec4 c, in vec2 fragCoord) {\n"
         "    c = vec4(float(iFrame + 1) / 255.0);\n}\n")


@pytest.fixture(autouse=True)
def own_temp_folder(tmp_path, monkeypatch):
    """The passes' files go under the test's own folder (and go with it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()


def audio() -> FeatureFrame:
    """A spectrum of 0.8 everywhere; the wave at rest."""
    f = FeatureFrame()
    f.texture[0] = 0.8
    f.texture[1] = 0.5
    return f


def render(renderer, scene, *, frames: int = 1, time: float = 2.0) -> np.ndarray:
    """Compile ``scene`` (fresh buffers), draw ``frames`` frames, the last as int RGB."""
    renderer.compile(scene)
    target = renderer.offscreen(SIZE)
    for i in range(frames):
        renderer.draw(scene.key, audio(), FrameTiming(time=time, frame=i), target.fbo)
    return target.read().astype(np.int16)


def glsl(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    return path


def layout(folder: Path, text: str, name: str = "toy.toml", **shaders: str) -> Path:
    """A scene TOML with a [shadertoy] table, its shaders written beside it."""
    for file, body in shaders.items():
        glsl(folder, f"{file}.glsl", body)
    path = folder / name
    path.write_text(text)
    return path


def one_line(call) -> str:
    with pytest.raises(SceneError) as raised:
        call()
    message = str(raised.value)
    assert "\n" not in message and len(message) < 1000, message
    return message


# -- one pass: the channels every Shadertoy shader has ----------------------------------

def test_a_shader_that_samples_channels_1_to_3_compiles_and_sees_black(renderer, tmp_path):
    path = glsl(tmp_path, "channels.glsl", """
void mainImage(out vec4 c, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec3 unbound = texture(iChannel1, uv).rgb + texture(iChannel2, uv).rgb
                 + texture(iChannel3, uv).rgb;
    c = vec4(unbound, 1.0) + vec4(0.0, 0.0, texture(iChannel0, vec2(uv.x, 0.25)).r, 0.0);
}
""")
    img = render(renderer, load_scene(path))
    assert img[..., :2].max() == 0                         # channels 1-3: black
    assert np.abs(img[..., 2] - 204).max() <= 1            # channel 0: the spectrum (0.8)


def test_iglobaltime_is_itime_and_ichanneltime_is_the_audios(renderer, tmp_path):
    path = glsl(tmp_path, "times.glsl", """
void mainImage(out vec4 c, in vec2 fragCoord) {
    c = vec4(iGlobalTime == iTime ? 1.0 : 0.0, fract(iGlobalTime),
             iChannelTime[0] == iTime && iChannelTime[1] == 0.0 ? 1.0 : 0.0, 1.0);
}
""")
    img = render(renderer, load_scene(path), time=7.25)
    assert np.abs(img - [255, 64, 255]).max() <= 1


def test_ichannelresolution_of_the_audio_and_of_black(renderer, tmp_path):
    path = glsl(tmp_path, "sizes.glsl", """
void mainImage(out vec4 c, in vec2 fragCoord) {
    c = vec4(iChannelResolution[0] == vec3(512.0, 2.0, 1.0) ? 1.0 : 0.0,
             iChannelResolution[1] == vec3(1.0) ? 1.0 : 0.0,
             iChannelResolution[3] == vec3(1.0) ? 1.0 : 0.0, 1.0);
}
""")
    assert (render(renderer, load_scene(path)) == 255).all()


def test_our_own_scene_shaders_keep_the_audio_on_channel_0(renderer, scenes):
    # The prelude every scene shares now declares iChannel1..3 too.
    scene = next(s for s in scenes if s.key == "vortex")
    compiled = renderer.compile(scene)
    assert all(len(p.channels) == 4 for p in compiled.passes)
    assert render(renderer, scene).mean() > 10


def test_a_bare_shader_that_reads_channels_1_to_3_is_warned_of(tmp_path):
    path = glsl(tmp_path, "reads.glsl", "// iChannel3, in a comment\n"
                "void mainImage(out vec4 c, in vec2 p) {\n"
                "    c = texture(iChannel2, p) + texture(iChannel1, p);\n}\n")
    (warning,) = load_scene(path).warnings
    assert warning.startswith(f"{path}: reads iChannel1, iChannel2, black here")
    assert load_scene(glsl(tmp_path, "show.glsl", SHOW)).warnings == ()


# -- a layout: Buffers A-D and Image ---------------------------------------------------

def test_a_buffer_that_reads_its_own_last_frame_integrates_and_image_shows_it(renderer, tmp_path):
    path = layout(tmp_path, """
title = "Counter"
[shadertoy.buffer_a]
shader = "a.glsl"
iChannel0 = "buffer_a"
[shadertoy.image]
shader = "image.glsl"
iChannel0 = "buffer_a"
""", a=COUNTER, image=SHOW)
    scene = load_scene(path)
    assert [(p.target, p.feedback) for p in scene.passes] == [("buffer_a", True), (None, False)]
    assert scene.title == "Counter"
    for frames in (1, 10):
        assert np.abs(render(renderer, scene, frames=frames) - frames).max() <= 1


def test_a_later_buffer_sees_this_frame_and_an_earlier_one_the_last(renderer, tmp_path):
    later = layout(tmp_path, """
[shadertoy.buffer_a]
shader = "frame.glsl"
[shadertoy.buffer_b]
shader = "show.glsl"
iChannel0 = "buffer_a"
[shadertoy.image]
shader = "show.glsl"
iChannel0 = "buffer_b"
""", "later.toml", frame=FRAME, show=SHOW)
    assert np.abs(render(renderer, load_scene(later), frames=5) - 5).max() <= 1   # frame 4's A
    earlier = layout(tmp_path, """
[shadertoy.buffer_a]
shader = "show.glsl"
iChannel0 = "buffer_b"
[shadertoy.buffer_b]
shader = "frame.glsl"
[shadertoy.image]
shader = "show.glsl"
iChannel0 = "buffer_a"
""", "earlier.toml")
    assert np.abs(render(renderer, load_scene(earlier), frames=5) - 4).max() <= 1   # frame 3's B


def test_buffers_keep_the_alpha_they_write(renderer, tmp_path):
    path = layout(tmp_path, """
[shadertoy.buffer_a]
shader = "a.glsl"
[shadertoy.image]
shader = "image.glsl"
iChannel0 = "buffer_a"
""", a="void mainImage(out vec4 c, in vec2 p) { c = vec4(0.0, 0.0, 0.0, 0.25); }\n",
        image="void mainImage(out vec4 c, in vec2 p) {\n"
              "    c = vec4(texture(iChannel0, p / iResolution.xy).a, 0.0, 0.0, 0.0);\n}\n")
    assert np.abs(render(renderer, load_scene(path))[..., 0] - 64).max() <= 1


def test_an_image_file_channel_is_upright_and_channels_know_their_sizes(renderer, tmp_path):
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:2] = (255, 0, 0)                      # the top half red
    rgb[2:] = (0, 0, 255)                      # the bottom half blue
    write_png(tmp_path / "noise.png", rgb)
    w, h = SIZE
    check = f"""
void mainImage(out vec4 c, in vec2 fragCoord) {{
    vec3 want[4] = vec3[4](vec3({w}.0, {h}.0, 1.0), vec3(512.0, 2.0, 1.0), vec3(256.0, 3.0, 1.0),
                           vec3(6.0, 4.0, 1.0));
    bool ok = true;
    for (int i = 0; i < 4; i++) ok = ok && iChannelResolution[i] == want[i];
    ok = ok && texelFetch(iChannel2, ivec2(65, 0), 0).r == 0.0;   // no key down
    vec2 uv = fragCoord / iResolution.xy;
    c = vec4(texture(iChannel3, vec2(0.5, uv.y > 0.5 ? 0.75 : 0.25)).rgb * 0.5, 1.0);
    c.g = ok ? 1.0 : 0.0;
}}
"""
    path = layout(tmp_path, """
[shadertoy.buffer_a]
shader = "frame.glsl"
[shadertoy.image]
shader = "check.glsl"
iChannel0 = "buffer_a"
iChannel1 = "audio"
iChannel2 = "keyboard"
iChannel3 = "noise.png"
""", frame=FRAME, check=check)
    img = render(renderer, load_scene(path))
    assert (img[..., 1] == 255).all(), "a channel's iChannelResolution, or the keyboard, is wrong"
    assert np.abs(img[0] - [128, 255, 0]).max() <= 1        # the top row reads the top: red
    assert np.abs(img[-1] - [0, 255, 128]).max() <= 1       # the bottom row blue


def test_common_is_put_before_every_pass_and_params_reach_them(renderer, tmp_path):
    path = layout(tmp_path, """
[shadertoy]
common = "common.glsl"
[shadertoy.buffer_a]
shader = "a.glsl"
[shadertoy.image]
shader = "image.glsl"
iChannel0 = "buffer_a"
[params.gain]
default = 0.5
range = [0.0, 1.0]
""", common="float level() { return 0.25; }\n",
        a="void mainImage(out vec4 c, in vec2 p) { c = vec4(level()); }\n",
        image="void mainImage(out vec4 c, in vec2 p) {\n"
              "    c = vec4(texture(iChannel0, p / iResolution.xy).r + level(), gain, 0.0, 1.0);\n}\n")
    scene = load_scene(path)
    assert np.abs(render(renderer, scene) - [128, 128, 0]).max() <= 1
    deps = renderer.scenes[scene.key].dependencies
    assert {tmp_path / n for n in ("toy.toml", "common.glsl", "a.glsl", "image.glsl")} <= set(deps)


# -- a Shadertoy JSON export ---------------------------------------------------------------

def export(passes: list, name: str = "Counter") -> dict:
    return {"Shader": {"ver": "0.1", "info": {"id": "XXXXXX", "name": name,
                                              "description": "A counter\nthat counts."},
                       "renderpass": passes}}


def counter_export(ids: str = "numbers") -> dict:
    a_id = 257 if ids == "numbers" else "4dXGR8"
    own = {"id": a_id, "src": "/media/previz/buffer00.png", "ctype": "buffer", "channel": 0,
           "sampler": {"filter": "linear", "wrap": "clamp", "vflip": "true"}}
    music = {"id": 13, "src": "/media/a/some.mp3", "ctype": "music", "channel": 1}
    return export([
        {"inputs": [own], "outputs": [{"id": "4dfGRr", "channel": 0}], "code": SHOW.replace(
            "texture(iChannel0, uv)", "texture(iChannel0, uv) + bump()"),
         "name": "Image", "description": "", "type": "image"},
        {"inputs": [], "outputs": [], "code": "vec4 bump() { return vec4(0.0); }\n",
         "name": "Common", "description": "", "type": "common"},
        {"inputs": [dict(own), music], "outputs": [{"id": a_id, "channel": 0}], "code": COUNTER,
         "name": "Buffer A", "description": "", "type": "buffer"},
    ])


@pytest.mark.parametrize("ids", ["numbers", "strings"])
def test_a_json_export_renders_as_its_toml_layout_does(renderer, tmp_path, ids):
    path = tmp_path / "counter.json"
    path.write_text(json.dumps(counter_export(ids)))
    scene = load_scene(path)
    assert scene.title == "Counter" and scene.description == "A counter that counts."
    assert [(p.target, p.feedback, p.channels) for p in scene.passes] == [
        ("buffer_a", True, ("buffer_a", "audio", "black", "black")),
        (None, False, ("buffer_a", "black", "black", "black"))]
    assert scene.warnings == ()
    toml = layout(tmp_path, """
[shadertoy]
common = "common.glsl"
[shadertoy.buffer_a]
shader = "a.glsl"
iChannel0 = "buffer_a"
iChannel1 = "audio"
[shadertoy.image]
shader = "image.glsl"
iChannel0 = "buffer_a"
""", common="vec4 bump() { return vec4(0.0); }\n", a=COUNTER,
        image=counter_export()["Shader"]["renderpass"][0]["code"])
    from_json = render(renderer, scene, frames=6)
    assert np.abs(from_json - 6).max() <= 1
    assert (from_json == render(renderer, load_scene(toml), frames=6)).all()


def test_json_exports_come_as_a_list_or_bare_and_join_scene_folders(tmp_path):
    shader = counter_export()["Shader"]
    (tmp_path / "listed.json").write_text(json.dumps([{"Shader": shader}]))
    (tmp_path / "bare.json").write_text(json.dumps({"renderpass": shader["renderpass"]}))
    found = discover([tmp_path], builtin=None, shaders_dir=tmp_path)
    assert [s.key for s in found] == ["bare", "listed"]
    assert found[0].title == "Bare"
    scenes = []
    assert find(str(tmp_path / "listed.json"), scenes).key == "listed" and len(scenes) == 1


def test_a_json_texture_is_read_beside_the_file_or_is_black_with_a_warning(renderer, tmp_path):
    write_png(tmp_path / "abc123.png", np.full((2, 2, 3), 255, np.uint8))
    inputs = [{"id": 30, "src": "/media/a/abc123.png", "ctype": "texture", "channel": 0,
               "sampler": {"filter": "mipmap", "wrap": "repeat", "vflip": "true"}},
              {"id": 31, "src": "/media/a/missing.jpg", "ctype": "texture", "channel": 1},
              {"id": 257, "ctype": "buffer", "channel": 2,
               "sampler": {"filter": "nearest", "wrap": "repeat", "vflip": "false"}}]
    code = ("void mainImage(out vec4 c, in vec2 p) {\n"
            "    c = vec4(texture(iChannel0, vec2(0.5)).r, texture(iChannel1, vec2(0.5)).r, 0, 1);\n}\n")
    path = tmp_path / "tex.json"
    path.write_text(json.dumps(export([
        {"type": "image", "name": "Image", "code": code, "inputs": inputs},
        {"type": "buffer", "name": "Buffer A", "code": FRAME, "outputs": [{"id": 257}]}])))
    scene = load_scene(path)
    assert scene.passes[1].channels == ("shadertoy_image0", "black", "buffer_a", "black")
    assert scene.images == {"shadertoy_image0": (tmp_path / "abc123.png").resolve()}
    assert len(scene.warnings) == 2 and all(str(path) in w for w in scene.warnings)
    assert "Image iChannel1: texture missing.jpg not found" in scene.warnings[0]
    assert ("Image iChannel2: sampler filter 'nearest', wrap 'repeat' is drawn filter linear, "
            "wrap clamp") in scene.warnings[1]
    assert np.abs(render(renderer, scene)[..., :2] - [255, 0]).max() <= 1


def test_an_export_may_name_files_beside_it_for_its_code(renderer, tmp_path):
    # Shadertron's variant of the format: "filename" instead of "code"
    passes = counter_export()["Shader"]["renderpass"]
    for spec, name in zip(passes, ("image.glsl", "common.glsl", "a.glsl")):
        glsl(tmp_path, name, spec.pop("code"))
        spec["filename"] = name
    path = tmp_path / "files.json"
    path.write_text(json.dumps(export(passes)))
    scene = load_scene(path)
    assert np.abs(render(renderer, scene, frames=6) - 6).max() <= 1
    assert tmp_path / "a.glsl" in renderer.scenes[scene.key].dependencies


def test_an_input_whose_id_and_src_disagree_reads_the_src_and_says_so(tmp_path):
    # Found in a real export (KIFS Octahedrons): id 258 (Buffer B), src buffer02.png (Buffer C)
    passes = counter_export()["Shader"]["renderpass"]
    passes[0]["inputs"][0].update(id=258)
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(export(passes)))
    scene = load_scene(path)
    assert scene.passes[-1].channels[0] == "buffer_a"
    assert scene.warnings == (f"{path}: Image iChannel0: its id says Buffer B, its src Buffer A: "
                              "reading Buffer A",)


def test_a_compile_error_names_the_pass_and_its_line(renderer, tmp_path):
    passes = counter_export()["Shader"]["renderpass"]
    passes[2]["code"] = "// line 1\n\nvoid mainImage(out vec4 c, in vec2 p) { c = oops; }\n"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(export(passes)))
    with pytest.raises(ShaderError) as raised:
        renderer.compile(load_scene(path))
    assert "Buffer A.glsl:3:" in str(raised.value) and "oops" in str(raised.value)


# -- what cannot run says so, in one line naming the file -------------------------------------

@pytest.mark.parametrize("table, words", [
    ('[shadertoy.image]\nshader = "image.glsl"\niChannel1 = "buffer_e"\n',
     "shadertoy.image.iChannel1: 'buffer_e' is no channel"),
    ('[shadertoy.image]\nshader = "image.glsl"\niChannel0 = "nothere.png"\n',
     "'nothere.png' is no channel"),
    ('[shadertoy.image]\nshader = "image.glsl"\niChannel0 = 3\n', "iChannel0: expected a channel"),
    ('[shadertoy.image]\nshader = "missing.glsl"\n', "shadertoy.image.shader: file missing.glsl not found"),
    ('[shadertoy.buffer_a]\nshader = "image.glsl"\n', "shadertoy.image: missing"),
    ('[shadertoy.image]\nshader = "image.glsl"\niChannel0 = "buffer_b"\n',
     "shadertoy.image.iChannel0: reads buffer_b, which no pass draws"),
    ('[shadertoy.image]\nshader = "image.glsl"\niChanel0 = "audio"\n', "iChanel0: unknown key"),
    ('shader = "image.glsl"\n[shadertoy.image]\nshader = "image.glsl"\n', "give one of"),
])
def test_bad_layouts_say_what_in_one_line_naming_the_file(tmp_path, table, words):
    path = layout(tmp_path, table, image=SHOW)
    message = one_line(lambda: load_scene(path))
    assert str(path) in message and words in message, message


@pytest.mark.parametrize("change, words", [
    (lambda p: p[2].update(type="cubemap", name="Cube A"), "Cube A: cubemap passes are not supported"),
    (lambda p: p.append({"type": "sound", "name": "Sound", "code": ""}),
     "Sound: sound passes are not supported"),
    (lambda p: p[0]["inputs"].append({"channel": 2, "ctype": "cubemap", "id": 1}),
     "Image iChannel2: cubemap inputs are not supported"),
    (lambda p: p[0]["inputs"].append({"channel": 3, "ctype": "webcam"}), "webcam inputs"),
    (lambda p: p[0]["inputs"].append({"channel": 0, "ctype": "keyboard"}),
     "iChannel0: two inputs on one channel"),
    (lambda p: p[0]["inputs"][0].update(id=999, src="/media/previz/nothing.png"),
     "which buffer it reads is not said"),
    (lambda p: p[0]["inputs"][0].update(id=999, src=""), "which buffer it reads is not said"),
    (lambda p: p.pop(0), "no Image pass"),
    (lambda p: p.pop(2), "reads buffer_a, which no pass draws"),
])
def test_what_a_json_export_cannot_run_says_so_naming_the_file(tmp_path, change, words):
    passes = counter_export()["Shader"]["renderpass"]
    change(passes)
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(export(passes)))
    message = one_line(lambda: load_scene(path))
    assert message.startswith(f"{path}") and words in message, message


@pytest.mark.parametrize("text, words", [
    ("[1, 2]", "holds 2 shaders"), ('{"Error": "Shader not found"}', "Shadertoy answered"),
    ("{}", "not a Shadertoy export"), ("{", "invalid JSON"), ("[" * 100000, "nested too deeply"),
])
def test_json_that_is_no_export_says_so(tmp_path, text, words):
    path = tmp_path / "x.json"
    path.write_text(text)
    message = one_line(lambda: load_scene(path))
    assert str(path) in message and words in message, message


def test_the_example_layout_renders_its_ink(tmp_path):
    """examples/shadertoy/ink: a [shadertoy] layout whose Buffer A feeds itself
    and reads the audio; after two seconds of the demo there is ink."""
    from conftest import ROOT, run_cli
    from test_live import read_png
    out = tmp_path / "ink.png"
    done = run_cli("snapshot", "--demo", "--scene", str(ROOT / "examples/shadertoy/ink/ink.toml"),
                   "--at", "2", "--size", "96x54", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "drew 2 s of frames first" in done.stdout
    picture = read_png(out).astype(float)
    assert picture.max() > 60 and picture[:4, :4].max() < 20   # coloured ink, dark corners
