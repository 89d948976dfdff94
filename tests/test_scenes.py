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
