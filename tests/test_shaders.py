"""The shader loader and scene files, compiled on a real GL context."""

from pathlib import Path

import numpy as np
import pytest

from visualizer.errors import SceneError, ShaderError
from visualizer.scenes.scene import Pass, Scene, load_scene

GOOD = "void mainImage(out vec4 c, in vec2 p) { c = vec4(iBass, iLevel, p.x / iResolution.x, 1.0); }\n"


def scene_for(tmp_path: Path, source: str, name: str = "s.glsl") -> Scene:
    (tmp_path / name).write_text(source)
    return Scene(key="t", path=tmp_path / "t.toml", passes=(Pass(tmp_path / name),), title="t")


def test_include_resolves_from_lib_and_reports_the_included_file(renderer, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "helpers.glsl").write_text("float helper() {\n  return 1.0;\n}\nfloat broken() { return nope; }\n")
    scene = scene_for(tmp_path, '#include "helpers.glsl"\n' + GOOD)
    with pytest.raises(ShaderError) as err:
        renderer.compile(scene)
    assert err.value.path.endswith("lib/helpers.glsl") and err.value.line == 4
    assert "helpers.glsl:4:" in str(err.value) and "nope" in str(err.value)


def test_error_after_an_include_names_the_scene_file_and_line(renderer, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.glsl").write_text("float a() { return 1.0; }\n")
    scene = scene_for(tmp_path, '#include "a.glsl"\n\nvoid mainImage(out vec4 c, in vec2 p) {\n'
                                "  c = vec4(undefined_thing);\n}\n")
    with pytest.raises(ShaderError) as err:
        renderer.compile(scene)
    assert err.value.path.endswith("s.glsl") and err.value.line == 4
    assert "undefined_thing" in str(err.value)


def test_syntax_error_line(renderer, tmp_path):
    scene = scene_for(tmp_path, "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(1.0)\n}\n")
    with pytest.raises(ShaderError) as err:
        renderer.compile(scene)
    assert err.value.line in (2, 3)


def test_missing_and_circular_includes(renderer, tmp_path):
    with pytest.raises(ShaderError, match=r's.glsl:1: #include "nothere.glsl" not found'):
        renderer.compile(scene_for(tmp_path, '#include "nothere.glsl"\n' + GOOD))
    (tmp_path / "x.glsl").write_text('#include "y.glsl"\n')
    (tmp_path / "y.glsl").write_text('#include "x.glsl"\n')
    with pytest.raises(ShaderError, match="circular"):
        renderer.compile(scene_for(tmp_path, '#include "x.glsl"\n' + GOOD))


def test_a_failed_compile_keeps_the_previous_program(renderer, tmp_path):
    scene = scene_for(tmp_path, GOOD)
    first = renderer.compile(scene)
    broken = scene_for(tmp_path, "void mainImage(out vec4 c, in vec2 p) { c = nope; }\n", "b.glsl")
    with pytest.raises(ShaderError):
        renderer.compile(broken)
    assert renderer.scenes["t"] is first
    renderer.scenes.pop("t").release()


def write_scene(tmp_path: Path, text: str) -> Path:
    (tmp_path / "ok.glsl").write_text(GOOD)
    path = tmp_path / "scene.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ('shader = "ok.glsl"\ncolour = 1\n', "colour: unknown key"),
    ('shader = "ok.glsl"\n[params.a]\ndefault = 5.0\nrange = [0.0, 1.0]\n', "params.a.default: 5.0 is outside"),
    ('shader = "ok.glsl"\n[params.a]\ndefault = 0.5\nrange = [0.0, 1.0]\nunit = "Hz"\n', "params.a.unit: unknown key"),
    ('shader = "ok.glsl"\n[params.iTime]\ndefault = 0.5\nrange = [0.0, 1.0]\n', "clashes with the built-in"),
    ('shader = "ok.glsl"\n[params.a]\ndefault = 0.5\nrange = [1.0, 0.0]\n', "params.a.range"),
    ('shader = "missing.glsl"\n', "not found"),
    ('title = "no shader"\n', "give either shader or [[passes]]"),
    ('shader = "ok.glsl"\ntitle = [1\n', "malformed TOML"),
    ('shader = "ok.glsl"\ntransition = "swirl"\n', "transition: unknown 'swirl'"),
    ('shader = "ok.glsl"\ntransition_beats = 100\n', "transition_beats: 100 is outside"),
    ('shader = "ok.glsl"\ninput = "drums"\n', "input: 'drums' is not one of lead, backing"),
])
def test_bad_scene_files_name_the_file_and_key(tmp_path, text, message):
    path = write_scene(tmp_path, text)
    with pytest.raises(SceneError) as err:
        load_scene(path, shaders_dir=tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_scene_parameters_become_uniforms(renderer, tmp_path):
    (tmp_path / "p.glsl").write_text(
        "void mainImage(out vec4 c, in vec2 p) { c = vec4(gain, 0.0, 0.0, 1.0); }\n")
    path = tmp_path / "p.toml"
    path.write_text('shader = "p.glsl"\n[params.gain]\ndefault = 0.25\nrange = [0.0, 1.0]\n')
    scene = load_scene(path, shaders_dir=tmp_path)
    renderer.compile(scene)
    from visualizer.analysis.features import FeatureFrame
    from visualizer.render.timing import FrameTiming
    target = renderer.offscreen((16, 16))
    renderer.draw("p", FeatureFrame(), FrameTiming(), target.fbo)
    assert abs(int(target.read()[8, 8, 0]) - 64) <= 1
    renderer.draw("p", FeatureFrame(), FrameTiming(), target.fbo, params={"gain": 1.0})
    assert target.read()[8, 8, 0] == 255


@pytest.mark.parametrize("text, message", [
    ('shader = "ok.glsl"\n[params.a]\ndefault = 0.5\nrange = [0.0, 1.0]\n'
     '[[bindings]]\nparam = "a"\nfeature = "loudness_of_the_room"\n', "is not a feature"),
    ('shader = "ok.glsl"\n[params.a]\ntype = "bool"\ndefault = true\n'
     '[[bindings]]\nparam = "a"\nfeature = "level"\n', "only float and int parameters"),
    ('shader = "ok.glsl"\n[[bindings]]\nparam = "nope"\nfeature = "level"\n', "'nope' is not a parameter"),
    ('shader = "ok.glsl"\n[params.a]\ndefault = 0.5\nrange = [0.0, 1.0]\n'
     '[[bindings]]\nparam = "a"\nfeature = "level"\nrelease = -1\n', "release: expected a number >= 0"),
    ('shader = "ok.glsl"\nrender_scale = 3.0\n', "render_scale: 3.0 is outside"),
    ('[[passes]]\nshader = "ok.glsl"\n[[passes]]\nshader = "ok.glsl"\n', "every pass but the last needs one"),
    ('[[passes]]\nshader = "ok.glsl"\ntarget = "a"\n[[passes]]\nshader = "ok.glsl"\ntarget = "a"\n'
     '[[passes]]\nshader = "ok.glsl"\n', "'a' is drawn twice"),
    ('shader = "ok.glsl"\n[[passes]]\nshader = "ok.glsl"\n', "give either shader or [[passes]]"),
    ('shader = "ok.glsl"\n[params.c]\ntype = "color"\ndefault = [1.0, 2.0, 0.0]\n', "expected [r, g, b] in 0..1"),
    ('shader = "ok.glsl"\n[params.c]\ntype = "vec9"\ndefault = 1.0\n', "'vec9' is not one of"),
])
def test_bad_bindings_passes_and_types_name_the_file_and_key(tmp_path, text, message):
    path = write_scene(tmp_path, text)
    with pytest.raises(SceneError) as err:
        load_scene(path, shaders_dir=tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_feedback_buffer_keeps_its_last_frame(renderer, tmp_path):
    """Two passes: a float buffer adding 0.1 to its own last frame each frame,
    then the picture showing it: the picture brightens frame by frame."""
    from visualizer.analysis.features import FeatureFrame
    from visualizer.render.timing import FrameTiming
    (tmp_path / "acc.glsl").write_text(
        "void mainImage(out vec4 c, in vec2 p) {\n"
        "  c = texture(acc, p / iResolution.xy) + vec4(0.1);\n}\n")
    (tmp_path / "show.glsl").write_text(
        "void mainImage(out vec4 c, in vec2 p) { c = vec4(texture(acc, p / iResolution.xy).rgb, 1.0); }\n")
    path = tmp_path / "fb.toml"
    path.write_text('render_scale = 1.0\n[[passes]]\nshader = "acc.glsl"\ntarget = "acc"\n'
                    'feedback = true\n[[passes]]\nshader = "show.glsl"\n')
    scene = load_scene(path, shaders_dir=tmp_path)
    renderer.compile(scene)
    target = renderer.offscreen((16, 16))
    seen = []
    for k in range(5):
        renderer.draw("fb", FeatureFrame(), FrameTiming(time=k / 30, frame=k), target.fbo)
        seen.append(int(target.read()[8, 8, 0]))
    assert seen == sorted(seen) and seen[0] < 40 and seen[-1] > 115, seen


def test_render_scale_draws_fewer_pixels_and_scales_up(renderer, tmp_path):
    """A one-pixel stripe pattern survives at scale 1; at 0.5 it is drawn at
    half the size and filtered up, so the stripes blur away."""
    from visualizer.analysis.features import FeatureFrame
    from visualizer.render.timing import FrameTiming
    (tmp_path / "stripes.glsl").write_text(
        "void mainImage(out vec4 c, in vec2 p) { c = vec4(vec3(mod(floor(p.x), 2.0)), 1.0); }\n")
    target = renderer.offscreen((64, 16))
    contrast = {}
    for scale in (1.0, 0.5):
        path = tmp_path / f"s{int(scale * 10)}.toml"
        path.write_text(f'shader = "stripes.glsl"\nrender_scale = {scale}\n')
        scene = load_scene(path, shaders_dir=tmp_path)
        renderer.compile(scene)
        renderer.draw(scene.key, FeatureFrame(), FrameTiming(), target.fbo)
        row = target.read()[8, :, 0].astype(float)
        contrast[scale] = np.abs(np.diff(row)).mean()
    assert contrast[1.0] > 200 and contrast[0.5] < 100, contrast


def test_a_compile_log_names_its_first_error_not_an_earlier_warning(tmp_path):
    """Drivers list warnings and errors in source order: the message names the
    error (a warning is named only when there is no error)."""
    from visualizer.render.shader_source import LINE_BLOCK, load_fragment
    shader = tmp_path / "s.glsl"
    shader.write_text("float f() { float x; return x; }\nvoid mainImage(out vec4 c, in vec2 p)"
                      " { c = vec4(oops); }\n")
    source = load_fragment(shader, include_dirs=[], prelude="")
    log = (f"0:{LINE_BLOCK + 1}(20): warning: `x' used uninitialized\n"
           f"0:{LINE_BLOCK + 2}(50): error: `oops' undeclared\n")
    error = source.describe(log)
    assert f"{shader}:2:" in str(error) and "oops" in str(error)
    warning_only = source.describe(f"0:{LINE_BLOCK + 1}(20): warning: `x' used uninitialized\n")
    assert f"{shader}:1:" in str(warning_only)
