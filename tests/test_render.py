"""Both scenes render headless on a real GL context and react to the music."""

import numpy as np
import pytest

from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.engine.clock import FrameClock
from visualizer.engine.core import Engine
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming

SIZE = (320, 180)


def frame_with(**values) -> FeatureFrame:
    f = FeatureFrame()
    for name, v in values.items():
        f.values[FEATURE_INDEX[name]] = v
    if values:
        f.bands[:] = np.linspace(1.0, 0.3, 48) * values.get("bass", 0.5)
        f.texture[0] = np.linspace(0.9, 0.1, 512) * values.get("level", 0.5)
    f.texture[1] = 0.5
    return f


def draw(renderer, scene, frame, t=5.0):
    target = renderer.offscreen(SIZE)
    renderer.draw(scene, frame, FrameTiming(time=t, fps=30), target.fbo)
    return target.read().astype(np.int16)


@pytest.mark.parametrize("key", ["vortex", "steppe"])
def test_scene_renders_a_picture_not_a_blank(renderer, scenes, key):
    renderer.compile(next(s for s in scenes if s.key == key))
    img = draw(renderer, key, frame_with(level=0.6, bass=0.6, mid=0.5, high=0.4))
    assert img.shape == (SIZE[1], SIZE[0], 3)
    assert 20 < img.mean() < 235           # neither black nor white
    assert img.std() > 15                  # a picture has structure
    silent = draw(renderer, key, frame_with())
    assert silent.mean() > 8               # never black on stage, even in silence


@pytest.mark.parametrize("key", ["vortex", "steppe"])
def test_loud_bass_differs_measurably_from_silence(renderer, scenes, key):
    renderer.compile(next(s for s in scenes if s.key == key))
    loud = draw(renderer, key, frame_with(level=0.9, bass=1.0, mid=0.6, high=0.5))
    silent = draw(renderer, key, frame_with())
    assert np.abs(loud - silent).mean() > 10
    assert loud.mean() > silent.mean()     # music brings light


@pytest.mark.parametrize("key", ["vortex", "steppe"])
def test_scene_moves_with_time(renderer, scenes, key):
    renderer.compile(next(s for s in scenes if s.key == key))
    f = frame_with(level=0.5, bass=0.5)
    a, b = draw(renderer, key, f, t=5.0), draw(renderer, key, f, t=5.5)
    assert np.abs(a - b).mean() > 1


def test_live_and_offline_give_the_same_picture_at_the_same_audio_time(scenes):
    """One engine, two ends. Live: each frame drains whatever 256-sample
    callbacks have arrived. Offline: each frame reads the file up to k / fps.
    At the same audio time the pictures are identical."""
    rng = np.random.default_rng(5)
    sr, fps = 48000, 30
    audio = (np.sin(2 * np.pi * 110 * np.arange(sr) / sr) * np.repeat(rng.random(10), sr // 10)
             ).astype(np.float32)

    def run(samples_for_frame):
        r = Renderer.headless()
        engine = Engine(r, scenes, scene="vortex")
        target = r.offscreen(SIZE)
        clock = FrameClock(fps)
        for k in range(fps):
            engine.step(samples_for_frame(k), clock.tick(), target.fbo)
        picture = target.read().copy()
        r.release()
        return picture

    def live(k):  # the callbacks that completed before frame k's time
        done = lambda j: (j * sr // fps) // 256 * 256
        return audio[done(k - 1) if k else 0:done(k)]

    def offline(k):
        return audio[(k - 1) * sr // fps if k else 0:k * sr // fps]

    a, b = run(live), run(offline)
    assert np.array_equal(a, b)


def test_renderer_releases_what_it_made():
    r = Renderer.headless()
    from visualizer.scenes.scene import discover
    for s in discover():
        r.compile(s)
    r.offscreen((64, 64))
    r.release()
    assert r.scenes == {}


def test_changing_the_render_scale_remakes_the_scaled_buffers(renderer, scenes):
    """The live window's adaptive scale changes render_scale between frames:
    the picture must be the one a fresh start at the new scale draws (a stale
    buffer left a smaller copy of the scene in a corner)."""
    from visualizer.analysis.features import FeatureFrame
    from visualizer.render.timing import FrameTiming
    renderer.activate()
    scene = next(s for s in scenes if s.key == "vortex")
    renderer.compile(scene)
    target = renderer.offscreen((96, 54))
    frame, timing = FeatureFrame(), FrameTiming(time=2.0)
    pictures = []
    try:
        for first in (0.5, 0.8):
            renderer.render_scale = first
            renderer.draw("vortex", frame, timing, target.fbo)
            renderer.render_scale = 0.8
            renderer.draw("vortex", frame, timing, target.fbo)
            pictures.append(target.read().copy())
            renderer.scenes["vortex"].release_textures()
    finally:
        renderer.render_scale = 1.0
    np.testing.assert_array_equal(pictures[0], pictures[1])
