"""The scene library: every scene compiles, renders at 1280x720 on the
software rasterizer, reacts to the music the way the issue asks, and has not
changed by accident (reference images with a tolerance)."""

import tomllib

import av
import numpy as np
import pytest

from scene_fixtures import (OFF_VALUES, ON_VALUES, REFERENCE_DIR, musical_frame,
                            render_with)
from visualizer.analysis.features import FEATURE_INDEX as C
from visualizer.errors import SceneError
from visualizer.scenes.scene import discover

SCENES = discover()
KEYS = [s.key for s in SCENES]
PITCH_OR_EXPRESSION = {"pitch", "note", "cents", "vibrato_rate", "vibrato_depth", "breath",
                       "brightness", "pitch_confidence", "voiced", "tuning"}
RHYTHM = {"beat", "beat_phase", "bar_phase", "onset", "onset_count", "beat_count", "tempo"}


def scene(key):
    return next(s for s in SCENES if s.key == key)


def test_the_library_has_at_least_eight_scenes():
    assert len(SCENES) >= 8, KEYS
    assert {"vortex", "steppe"} <= set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_scene_renders_at_1280x720_and_is_never_black(renderer, key):
    s = scene(key)
    renderer.compile(s)
    loud = render_with(renderer, s, musical_frame(), size=(1280, 720)).astype(float)
    assert loud.std() > 12 and 15 < loud.mean() < 240
    silent = musical_frame()
    silent.values[:] = 0.0
    silent.values[C["tempo"]] = 120.0
    silent.bands[:] = 0.0
    silent.texture[0] = 0.0
    silent.texture[1] = 0.5
    quiet = render_with(renderer, s, silent, size=(320, 180)).astype(float)
    assert quiet.mean() > 6, "black on stage in silence"


@pytest.mark.parametrize("key", KEYS)
def test_scene_declares_its_render_scale(key):
    data = tomllib.loads(scene(key).path.read_text()) if scene(key).path.suffix == ".toml" else {}
    if scene(key).flavor == "glsl":
        assert "render_scale" in data
        assert 0.1 <= data["render_scale"] <= 1.0


def reacts_to(renderer, s, feature: str) -> float:
    """Mean absolute pixel difference with ``feature`` on versus off."""
    on, off = musical_frame(), musical_frame()
    on.values[C[feature]] = ON_VALUES.get(feature, 1.0)
    off.values[C[feature]] = OFF_VALUES.get(feature, 0.0)
    a = render_with(renderer, s, on, size=(160, 90)).astype(float)
    b = render_with(renderer, s, off, size=(160, 90)).astype(float)
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize("key", KEYS)
def test_scene_reacts_to_three_features_one_of_them_the_saxophone_and_to_rhythm(renderer, key):
    s = scene(key)
    renderer.compile(s)
    reacting = {f for f in C if reacts_to(renderer, s, f) > 0.5}
    assert len(reacting) >= 3, reacting
    assert reacting & PITCH_OR_EXPRESSION, f"no pitch or expression reaction: {reacting}"
    assert reacting & RHYTHM, f"no beat or onset reaction: {reacting}"


@pytest.mark.parametrize("key", [s.key for s in SCENES if s.bindings])
def test_each_binding_moves_the_picture(renderer, key):
    s = scene(key)
    renderer.compile(s)
    for b in s.bindings:
        assert reacts_to(renderer, s, b.feature) > 0.3, f"{b.param} <- {b.feature} does nothing"


@pytest.mark.parametrize("key", KEYS)
def test_scene_matches_its_reference_image(renderer, key):
    path = REFERENCE_DIR / f"{key}.png"
    assert path.exists(), f"no reference image: run scripts/update_references.py {key}"
    with av.open(str(path)) as c:
        expected = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    s = scene(key)
    renderer.compile(s)
    got = render_with(renderer, s, musical_frame()).astype(float)
    assert got.shape == expected.shape
    assert np.abs(got - expected).mean() < 3.0, "the scene changed: look, then update the reference"


# -- a performer's own scene folders ----------------------------------------------

SOLID = "void mainImage(out vec4 c, in vec2 p) {{ c = vec4({rgb}, 1.0); }}\n"


def own_scene(folder, key: str, rgb: str = "0.2, 0.8, 0.4", toml: str = "") -> None:
    """``key``.toml and its shader ``key``.glsl side by side in ``folder``."""
    folder.mkdir(exist_ok=True)
    (folder / f"{key}.glsl").write_text(SOLID.format(rgb=rgb))
    (folder / f"{key}.toml").write_text(toml or f'shader = "{key}.glsl"\nrender_scale = 1.0\n')


def test_a_scene_folder_of_ones_own_renders(renderer, tmp_path):
    from visualizer.scenes.scene import discover
    mine = tmp_path / "my-scenes"
    own_scene(mine, "meadow")
    (mine / "lib").mkdir()
    (mine / "lib" / "tint.glsl").write_text("vec3 tint() { return vec3(0.9, 0.1, 0.5); }\n")
    (mine / "tinted.glsl").write_text('#include "tint.glsl"\n#include "palette.glsl"\n'
                                      "void mainImage(out vec4 c, in vec2 p) { c = vec4(tint(), 1.0); }\n")
    (mine / "tinted.toml").write_text('shader = "tinted.glsl"\n')
    found = discover([mine])
    keys = [s.key for s in found]
    assert set(KEYS) | {"meadow", "tinted"} == set(keys)        # the built-in ones stay
    for key, rgb in (("meadow", (51, 204, 102)), ("tinted", (230, 26, 128))):
        s = next(s for s in found if s.key == key)
        assert s.shader == mine / f"{key}.glsl" and s.shader_dirs[0] == mine
        renderer.compile(s)
        img = render_with(renderer, s, musical_frame(), size=(16, 16)).astype(int)
        assert np.abs(img[8, 8] - rgb).max() <= 1, (key, img[8, 8])


def test_a_scene_of_ones_own_takes_the_place_of_the_built_in_one_of_its_key(tmp_path):
    from visualizer.scenes.scene import discover
    first, second = tmp_path / "a", tmp_path / "b"
    own_scene(first, "vortex", toml='shader = "vortex.glsl"\ntitle = "Mine"\norder = 99\n')
    own_scene(second, "steppe")
    own_scene(second, "meadow", toml='shader = "meadow.glsl"\ntitle = "B"\n')
    own_scene(first, "meadow", toml='shader = "meadow.glsl"\ntitle = "A"\n')
    found = {s.key: s for s in discover([first, second])}
    assert sorted(found) == sorted(set(KEYS) | {"meadow"})     # one scene per key
    assert found["vortex"].title == "Mine" and found["vortex"].path == first / "vortex.toml"
    assert found["vortex"].shader == first / "vortex.glsl"
    assert found["steppe"].path == second / "steppe.toml"
    assert found["meadow"].title == "B"                         # the folder named later wins
    keys = [s.key for s in discover([first, second])]
    assert keys[-3:] == ["vortex", "meadow", "steppe"]          # by their own order, then key
    assert {s.key for s in discover([second], builtin=None)} == {"steppe", "meadow"}


def test_a_scene_toml_finds_its_shader_beside_it_then_among_the_built_in_ones(tmp_path):
    from visualizer.scenes.scene import SHADERS_DIR, find, load_scene
    own_scene(tmp_path, "own")
    (tmp_path / "two.toml").write_text('[[passes]]\nshader = "own.glsl"\ntarget = "a"\n'
                                       '[[passes]]\nshader = "club.glsl"\n')
    scene = load_scene(tmp_path / "two.toml")
    assert [p.shader for p in scene.passes] == [tmp_path / "own.glsl", SHADERS_DIR / "club.glsl"]
    assert scene.shader_dirs == (tmp_path, SHADERS_DIR)
    assert scene.include_dirs == [tmp_path / "lib", tmp_path, SHADERS_DIR / "lib", SHADERS_DIR]
    assert find(str(tmp_path / "own.toml"), []).shader == tmp_path / "own.glsl"   # --scene FILE
    (tmp_path / "none.toml").write_text('shader = "nowhere.glsl"\n')
    with pytest.raises(SceneError, match=r"none\.toml: passes\[0\]\.shader: file nowhere\.glsl "
                                         r"not found \(looked in .* or .*shaders\)"):
        load_scene(tmp_path / "none.toml")


def test_scene_folders_that_are_not_there_or_hold_one_key_twice_are_errors(tmp_path):
    from visualizer.scenes.scene import discover
    with pytest.raises(SceneError, match=r"nope: no such scenes folder"):
        discover([tmp_path / "nope"])
    own_scene(tmp_path, "twice")
    (tmp_path / "twice.fs").write_text('/*{"INPUTS": []}*/\nvoid main() { gl_FragColor = vec4(1.0); }\n')
    with pytest.raises(SceneError, match=r"twice\.toml: twice\.fs in the same folder is the "
                                         r"scene 'twice' too: rename one"):
        discover([tmp_path])
