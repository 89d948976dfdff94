"""ISF files run as scenes: headers become params, passes and audio inputs, and
the shaders render for real on the headless EGL context."""

import json
from pathlib import Path

import numpy as np
import pytest

from visualizer.analysis.features import FeatureFrame
from visualizer.errors import SceneError
from visualizer.render.timing import FrameTiming
from visualizer.scenes.isf import load_isf
from visualizer.scenes.isf_prelude import isf_prelude
from visualizer.scenes.scene import Pass, Scene, discover, load_scene

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SIZE = (160, 90)
SHADERTOY = EXAMPLES / "shadertoy" / "spectrum_rings.glsl"


def audio(loud: bool) -> FeatureFrame:
    """Loud: a falling spectrum and a six-cycle wave; silent: no spectrum, a flat wave."""
    f = FeatureFrame()
    x = np.linspace(0.0, 1.0, 512)
    if loud:
        f.texture[0] = np.clip(0.95 - 0.6 * x, 0.0, 1.0)
        f.texture[1] = 0.5 + 0.35 * np.sin(2 * np.pi * 6 * x)
    else:
        f.texture[1] = 0.5
    return f


def spectrum_rings() -> Scene:
    return Scene(key="spectrum_rings", path=SHADERTOY, passes=(Pass(SHADERTOY),),
                 title="Spectrum Rings")


def example(name: str) -> Scene:
    if name == "spectrum_rings":
        return spectrum_rings()
    return load_isf(EXAMPLES / "isf" / f"{name}.fs")


def render(renderer, scene: Scene, frame: FeatureFrame, *, frames: int = 1, time: float = 1.0,
           params: dict | None = None, compile: bool = True) -> np.ndarray:
    """Draw ``frames`` frames (fresh buffers when ``compile``) and return the last, int16."""
    if compile:
        renderer.compile(scene)
    target = renderer.offscreen(SIZE)
    values = {n: p.default for n, p in scene.params.items()}
    values.update(params or {})
    for i in range(frames):
        renderer.draw(scene.key, frame, FrameTiming(time=time, frame=i), target.fbo, params=values)
    return target.read().astype(np.int16)


WHITE = "void main() { gl_FragColor = vec4(1.0); }"


def write_fs(folder: Path, name: str, header, body: str = WHITE) -> Path:
    text = header if isinstance(header, str) else json.dumps(header, indent=1)
    path = folder / f"{name}.fs"
    path.write_text(f"/*{text}*/\n{body}\n")
    return path


# -- the examples ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["audio_waves", "trails", "spectrum_rings"])
def test_example_renders_a_picture(renderer, name):
    scene = example(name)
    img = render(renderer, scene, audio(True), frames=5)
    assert img.shape == (SIZE[1], SIZE[0], 3)
    assert 10 < img.mean() < 200, img.mean()
    assert img.std() > 15                      # structure, not a flat colour
    silent = render(renderer, scene, audio(False), frames=5)
    assert silent.mean() > 5                   # still something on screen in silence


@pytest.mark.parametrize("name", ["audio_waves", "trails", "spectrum_rings"])
def test_example_reacts_to_audio(renderer, name):
    scene = example(name)
    loud = render(renderer, scene, audio(True))
    silent = render(renderer, scene, audio(False))
    assert np.abs(loud - silent).mean() > 2
    assert loud.mean() > silent.mean()         # music brings light


def test_examples_load_through_load_scene_and_discover(tmp_path):
    scene = load_scene(EXAMPLES / "isf" / "trails.fs")
    assert scene.flavor == "isf" and scene.key == "trails" and scene.title == "Trails"
    assert "waveform" in scene.description
    (tmp_path / "audio_waves.fs").write_text((EXAMPLES / "isf" / "audio_waves.fs").read_text())
    found = discover([tmp_path], builtin=None, shaders_dir=tmp_path)
    assert [s.key for s in found] == ["audio_waves"] and found[0].flavor == "isf"


def test_audio_waves_header_maps_to_params():
    scene = example("audio_waves")
    assert scene.audio_inputs == (("spectrum", "audioFFT"),)
    assert len(scene.passes) == 1 and scene.passes[0].target is None
    gain, ribbons, tint = scene.params["gain"], scene.params["ribbons"], scene.params["tint"]
    assert (gain.type, gain.default, gain.low, gain.high) == ("float", 1.0, 0.0, 3.0)
    assert (ribbons.type, ribbons.default, ribbons.low, ribbons.high) == ("int", 5, 3.0, 8.0)
    assert "5 = Five" in ribbons.description
    assert tint.type == "color" and tint.default == (0.25, 0.6, 1.0)
    assert "spectrum" not in scene.params      # audio inputs are samplers, not params


def test_trails_feedback_accumulates_over_frames(renderer):
    scene = example("trails")
    assert scene.passes[0].target == "trails" and scene.passes[0].feedback
    assert scene.passes[1].target is None
    renderer.compile(scene)
    target = renderer.offscreen(SIZE)
    frame, timing = audio(True), FrameTiming(time=2.0)
    shots = []
    for _ in range(12):                        # the same input every frame
        renderer.draw(scene.key, frame, timing, target.fbo)
        shots.append(target.read().astype(np.int16))
    assert np.abs(shots[1] - shots[0]).mean() > 1      # the trail builds up ...
    assert np.abs(shots[11] - shots[0]).mean() > 2     # ... and differs from one frame
    assert shots[11].mean() > shots[0].mean()
    assert np.abs(shots[11] - shots[10]).mean() < np.abs(shots[1] - shots[0]).mean()  # settling


@pytest.mark.parametrize("name, param, value", [
    ("audio_waves", "gain", 2.5), ("audio_waves", "ribbons", 8),
    ("audio_waves", "tint", (1.0, 0.2, 0.1)), ("trails", "decay", 0.6)])
def test_params_reach_the_shader(renderer, name, param, value):
    scene = example(name)
    base = render(renderer, scene, audio(True), frames=4)
    changed = render(renderer, scene, audio(True), frames=4, params={param: value})
    assert np.abs(base - changed).mean() > 1


# -- audio inputs -----------------------------------------------------------------

AUDIO_PROBE = {
    "ISFVSN": "2",
    "INPUTS": [{"NAME": "fftIn", "TYPE": "audioFFT"}, {"NAME": "waveIn", "TYPE": "audio"},
               {"NAME": "bands", "TYPE": "audioFFT", "MAX": 4}],
}
AUDIO_PROBE_BODY = """
uniform float probeY;
void main() {
    float x = isf_FragNormCoord.x;
    // y is the channel in ISF; with one channel any y reads the same row
    gl_FragColor = vec4(IMG_NORM_PIXEL(fftIn, vec2(x, 0.5)).r,
                        IMG_NORM_PIXEL(waveIn, vec2(x, isf_FragNormCoord.y)).g,
                        IMG_NORM_PIXEL(bands, vec2(x, 0.0)).b, 1.0);
    if (isf_FragNormCoord.y > 0.9)   // the top rows: image sizes
        gl_FragColor = vec4(IMG_SIZE(fftIn).x / 512.0, IMG_SIZE(bands).x / 8.0,
                            IMG_SIZE(waveIn).y, 1.0);
}
"""


def test_audio_inputs_read_spectrum_and_waveform_rows(renderer, tmp_path):
    scene = load_isf(write_fs(tmp_path, "probe", AUDIO_PROBE, AUDIO_PROBE_BODY))
    assert scene.audio_inputs == (("fftIn", "audioFFT"), ("waveIn", "audio"), ("bands", "audioFFT"))
    f = FeatureFrame()
    x = np.arange(512) / 511.0
    f.texture[0] = x                           # spectrum: a rising ramp
    f.texture[1] = 1.0 - x                     # waveform: a falling ramp
    img = render(renderer, scene, f) / 255.0
    body = img[20:]                            # below the size rows (image rows run top-down)
    columns = (np.arange(SIZE[0]) + 0.5) / SIZE[0]
    assert np.allclose(body[:, :, 0], columns, atol=0.02)
    assert np.allclose(body[:, :, 1], 1.0 - columns, atol=0.02)
    # MAX 4: four columns, each the mean of its quarter of the spectrum
    quarter = np.minimum((columns * 4).astype(int), 3)
    assert np.allclose(body[:, :, 2], (quarter + 0.5) / 4, atol=0.02)
    assert np.allclose(img[2, 5], [1.0, 0.5, 1.0], atol=0.01)


def test_audio_input_with_a_fixed_number_of_samples_keeps_the_peak(renderer, tmp_path):
    header = {"INPUTS": [{"NAME": "vol", "TYPE": "audio", "MAX": 1}]}
    body = "void main() { gl_FragColor = vec4(IMG_PIXEL(vol, vec2(0.5, 0.5)).rgb, 1.0); }"
    scene = load_isf(write_fs(tmp_path, "vol", header, body))
    f = FeatureFrame()
    f.texture[1] = 0.5 + 0.4 * np.sin(np.linspace(0, 12 * np.pi, 512))
    img = render(renderer, scene, f) / 255.0
    assert img.mean() > 0.85                   # 0.5 + the peak, not the mean (0.5)


# -- ISF built-ins and passes -----------------------------------------------------

def test_isf_builtins_compile_and_have_their_values(renderer, tmp_path):
    header = {"INPUTS": [{"NAME": "where", "TYPE": "point2D", "DEFAULT": [0.25, 0.75]},
                         {"NAME": "paint", "TYPE": "color", "DEFAULT": [0.0, 0.5, 1.0, 0.25]},
                         {"NAME": "flip", "TYPE": "event"},
                         {"NAME": "on", "TYPE": "bool", "DEFAULT": 1.0}],
              "PASSES": [{"TARGET": "first", "FLOAT": True}, {}]}
    body = """
varying vec2 unused_varying;
void main() {
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(isf_FragNormCoord, 0.0, 1.0);
        return;
    }
    vec4 a = IMG_THIS_PIXEL(first);
    vec4 b = IMG_PIXEL(first, gl_FragCoord.xy);
    vec4 c = texture2D(first, isf_FragNormCoord);
    float sized = float(IMG_SIZE(first) == RENDERSIZE);
    float t = TIME + TIMEDELTA + float(FRAMEINDEX) + iBass * 0.0;
    bool ok = on && !flip && abs(t - 3.5) < 1e-4 && paint.a == 0.25 && where == vec2(0.25, 0.75)
        && DATE.xy == vec2(2000.0, 1.0);   // ISF months count from 1
    gl_FragColor = vec4(a.r, IMG_THIS_NORM_PIXEL(first).g, (b.r + c.r) * 0.5 * sized, float(ok));
    if (!ok) gl_FragColor = vec4(1.0, 0.0, 1.0, 1.0);
}
"""
    scene = load_isf(write_fs(tmp_path, "builtins", header, body))
    assert set(scene.params) == {"where_x", "where_y", "paint", "flip", "on"}
    assert scene.params["flip"].type == "bool" and scene.params["flip"].default is False
    assert scene.params["on"].default is True
    renderer.compile(scene)
    target = renderer.offscreen(SIZE)
    renderer.draw(scene.key, FeatureFrame(), FrameTiming(time=1.0, delta=0.5, frame=2), target.fbo)
    img = target.read().astype(float) / 255.0
    u = (np.arange(SIZE[0]) + 0.5) / SIZE[0]
    v = ((np.arange(SIZE[1]) + 0.5) / SIZE[1])[::-1]        # read() is top row first
    assert np.allclose(img[:, :, 0], u[None, :], atol=0.01)
    assert np.allclose(img[:, :, 1], v[:, None], atol=0.01)
    assert np.allclose(img[:, :, 2], u[None, :], atol=0.01)
    # the point2D param moves
    moved = render(renderer, scene, FeatureFrame(), params={"where_x": 0.5})
    assert np.allclose(moved / 255.0, [1.0, 0.0, 1.0], atol=0.01)


LAST_PASS_PERSISTENT = {
    "DESCRIPTION": "ISF's usual feedback effect: one persistent pass that is the picture",
    "INPUTS": [{"NAME": "fft", "TYPE": "audioFFT"}],
    "PASSES": [{"TARGET": "acc", "PERSISTENT": True}],
}
ACCUMULATE = """
void main() {
    float add = 0.1 * IMG_NORM_PIXEL(fft, vec2(0.1, 0.5)).r;
    gl_FragColor = IMG_THIS_PIXEL(acc) + vec4(add, add * 0.5, 0.0, 1.0);
}
"""


def test_a_persistent_last_pass_is_the_picture_and_accumulates(renderer, tmp_path):
    scene = load_isf(write_fs(tmp_path, "accumulate", LAST_PASS_PERSISTENT, ACCUMULATE))
    assert [(p.target, p.feedback) for p in scene.passes] == [("acc", True), (None, False)]
    renderer.compile(scene)
    target = renderer.offscreen(SIZE)
    frame = FeatureFrame()
    frame.texture[0] = 1.0
    reds = []
    for i in range(14):
        renderer.draw(scene.key, frame, FrameTiming(time=1.0, frame=i), target.fbo)
        reds.append(target.read()[:, :, 0].mean())
    assert reds[0] == pytest.approx(0.1 * 255, abs=2)
    assert reds[4] == pytest.approx(0.5 * 255, abs=3)
    assert reds[13] == pytest.approx(255, abs=1)                   # 8-bit: saturates at 1
    assert target.read()[:, :, 1].mean() == pytest.approx(0.7 * 255, abs=3)  # still climbing


@pytest.mark.parametrize("is_float, expected", [(False, 0.25), (True, 1.0)])
def test_buffers_without_float_clamp_like_8_bit_ones(renderer, tmp_path, is_float, expected):
    header = {"PASSES": [{"TARGET": "big", "FLOAT": is_float}, {}]}
    body = """
void main() {
    if (PASSINDEX == 0) gl_FragColor = vec4(4.0);
    else gl_FragColor = vec4(IMG_THIS_PIXEL(big).rgb * 0.25, 1.0);
}
"""
    scene = load_isf(write_fs(tmp_path, f"clamp{int(is_float)}", header, body))
    img = render(renderer, scene, FeatureFrame()) / 255.0
    assert img.mean() == pytest.approx(expected, abs=0.01)


def test_a_middle_pass_without_target_keeps_passindex(renderer, tmp_path):
    header = {"PASSES": [{"TARGET": "a"}, {}, {}]}
    body = """
void main() {
    if (PASSINDEX == 0) gl_FragColor = vec4(0.2);
    else if (PASSINDEX == 1) gl_FragColor = vec4(0.9);
    else gl_FragColor = vec4(IMG_THIS_PIXEL(a).rgb + vec3(0.0, 0.5, 0.0), 1.0);
}
"""
    scene = load_isf(write_fs(tmp_path, "three", header, body))
    assert len(scene.passes) == 3 and scene.passes[-1].target is None
    img = render(renderer, scene, FeatureFrame()) / 255.0
    assert np.allclose(img.mean(axis=(0, 1)), [0.2, 0.7, 0.2], atol=0.01)


def test_prelude_declares_everything():
    scene = load_isf(EXAMPLES / "isf" / "trails.fs")
    prelude = isf_prelude(scene)
    for line in ("uniform float iTime;", "uniform float iBass;", "uniform int PASSINDEX;",
                 "uniform float decay;", "uniform sampler2D trails;", "uniform sampler2D wave;",
                 "uniform sampler2D fft;", "#define TIME iTime",
                 "#define RENDERSIZE iResolution.xy",
                 "#define gl_FragColor visualizer_FragColor", "#define texture2D texture",
                 "#define IMG_PIXEL(", "#define IMG_SIZE("):
        assert line in prelude, line
    assert "out vec4" not in prelude           # load_fragment declares the output after it


def test_header_quirks_of_real_isf_files(tmp_path):
    """Numbers in quotes, bools as 0.0/1.0, ISF v1 persistent buffers, unknown keys."""
    header = {"CREDIT": "someone", "VSN": "1.0", "ISFVSN": "1",
              "INPUTS": [{"NAME": "amount", "TYPE": "float", "MIN": "0", "MAX": "1",
                          "DEFAULT": "0.9",
                          "IDENTITY": 0.0},
                         {"NAME": "mode", "TYPE": "long", "MIN": 0, "MAX": 3},
                         {"NAME": "flag", "TYPE": "bool", "DEFAULT": 0.0}],
              "PERSISTENT_BUFFERS": ["old"],
              "PASSES": [{"TARGET": "old", "WIDTH": "$WIDTH/2", "HEIGHT": "$HEIGHT/2"},
                         {"DESCRIPTION": "out"}]}
    scene = load_isf(write_fs(tmp_path, "Old-Style Effect", header))
    assert scene.params["amount"].default == 0.9 and scene.params["amount"].high == 1.0
    assert (scene.params["mode"].default, scene.params["mode"].high) == (0, 3.0)
    assert scene.params["flag"].default is False
    assert scene.passes[0].feedback and scene.passes[0].target == "old"
    assert scene.title == "Old-Style Effect" and scene.key == "Old-Style Effect"


# -- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("header, message", [
    ('{"INPUTS": [}', "invalid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ({"INPUTS": [{"NAME": "x", "TYPE": "vec9"}]}, "'vec9' is not one of"),
    ({"INPUTS": [{"NAME": "x", "TYPE": "float", "DEFAULT": "lots"}]}, "expected a number"),
    ({"INPUTS": [{"NAME": "x", "TYPE": "bool", "DEFAULT": "maybe"}]}, "true or false"),
    ({"INPUTS": [{"NAME": "x", "TYPE": "audio", "MAX": 0}]}, "MAX"),
    ({"INPUTS": [{"NAME": "two words", "TYPE": "float"}]}, "not a valid GLSL identifier"),
    ({"INPUTS": [{"NAME": "TIME", "TYPE": "float"}]}, "clashes"),
    ({"INPUTS": [{"NAME": "iBass", "TYPE": "float"}]}, "clashes"),
    ({"INPUTS": [{"NAME": "x", "TYPE": "float"}, {"NAME": "x", "TYPE": "bool"}]}, "used twice"),
    ({"INPUTS": [{"NAME": "p", "TYPE": "point2D"}, {"NAME": "p_x", "TYPE": "float"}]}, "used twice"),
    ({"INPUTS": [{"TYPE": "float"}]}, "NAME: missing"),
    ({"INPUTS": {"x": 1}}, "INPUTS"),
    ({"PASSES": [{"TARGET": "a"}, {"TARGET": "a"}, {}]}, "already drawn"),
    ({"INPUTS": [{"NAME": "a", "TYPE": "float"}], "PASSES": [{"TARGET": "a"}, {}]}, "used twice"),
    ({"PASSES": [{"TARGET": "a", "PERSISTENT": "sometimes"}, {}]}, "true or false"),
    ({"IMPORTED": {"pic": {"PATH": "pic.png"}}}, "image file pic.png not found"),
])
def test_bad_headers_name_the_file(tmp_path, header, message):
    path = write_fs(tmp_path, "bad", header)
    with pytest.raises(SceneError) as e:
        load_scene(path)
    assert str(path) in str(e.value) and message in str(e.value)


def test_invalid_json_points_at_the_file_line(tmp_path):
    path = tmp_path / "broken.fs"
    path.write_text('\n/*{\n  "DESCRIPTION": "x",\n  "INPUTS": [,]\n}*/\nvoid main() {}\n')
    with pytest.raises(SceneError, match=r"broken\.fs:4: ISF header: invalid JSON"):
        load_isf(path)


@pytest.mark.parametrize("text, message", [
    ("void main() { gl_FragColor = vec4(1.0); }\n", "no ISF header"),
    ("/* {\"INPUTS\": []}\nvoid main() {}\n", "never closed"),
])
def test_missing_header_is_an_error(tmp_path, text, message):
    path = tmp_path / "plain.fs"
    path.write_text(text)
    with pytest.raises(SceneError, match=message):
        load_isf(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(SceneError, match="not found"):
        load_scene(tmp_path / "nowhere.fs")
