"""Transitions are shaders (startImage, endImage, progress), switches can be
timed in beats and quantised to the next beat or bar."""

import numpy as np
import pytest

from visualizer.analysis.features import FEATURE_INDEX as C, FeatureFrame
from visualizer.engine.core import Engine
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import Pass, Scene, TRANSITIONS_DIR

SIZE = (96, 54)
NAMES = ["crossfade", "dissolve", "wipe", "vortex_zoom", "flash"]


@pytest.fixture(scope="module")
def solid(tmp_path_factory):
    """Two flat scenes, red and blue: any blend is easy to measure."""
    folder = tmp_path_factory.mktemp("solid")
    scenes = []
    for key, colour in (("red", "0.9, 0.1, 0.1"), ("blue", "0.1, 0.1, 0.9")):
        path = folder / f"{key}.glsl"
        path.write_text(f"void mainImage(out vec4 c, in vec2 p) {{ c = vec4({colour}, 1.0); }}\n")
        scenes.append(Scene(key=key, path=folder / f"{key}.toml", passes=(Pass(path),), title=key))
    return scenes


def test_there_are_at_least_five_transitions():
    assert set(NAMES) <= {p.stem for p in TRANSITIONS_DIR.glob("*.glsl")}


@pytest.mark.parametrize("name", NAMES)
def test_transition_goes_from_start_to_end(renderer, solid, name):
    for s in solid:
        renderer.compile(s)
    renderer.compile_transition(TRANSITIONS_DIR / f"{name}.glsl")
    frame, timing = FeatureFrame(), FrameTiming(time=3.0)
    target = renderer.offscreen(SIZE)
    red = renderer.picture("red", frame, timing, SIZE)
    blue = renderer.picture("blue", frame, timing, SIZE)

    def at(p):
        renderer.draw_transition(name, red, blue, p, frame, timing, target.fbo)
        return target.read().astype(float).mean(axis=(0, 1))

    start, middle, end = at(0.0), at(0.5), at(1.0)
    assert start[0] > 200 and start[2] < 60, start      # all red
    assert end[2] > 200 and end[0] < 60, end            # all blue
    assert np.abs(middle - start).sum() > 60 and np.abs(middle - end).sum() > 60


def run_engine(solid, cue_at: float, cue: Cue, beat_times: list[float], seconds: float = 4.0,
               fps: int = 30):
    """Drive an engine by frame with a scripted beat; return (time, blue fraction) per frame."""
    r = Renderer.headless()
    engine = Engine(r, solid, scene="red")
    target = r.offscreen(SIZE)
    values = np.zeros(len(C))
    values[C["tempo"]] = 120.0
    out = []
    for k in range(int(seconds * fps)):
        t = k / fps
        values[C["beat_count"]] = sum(b <= t for b in beat_times)
        values[C["bar_phase"]] = ((values[C["beat_count"]] - 1) % 4) / 4.0 if values[C["beat_count"]] else 0
        if abs(t - cue_at) < 0.5 / fps:
            engine.request(cue, t)
        engine.step(np.zeros(0, np.float32), FrameTiming(time=t, delta=1 / fps, frame=k, fps=fps),
                    target.fbo, values=values)
        rgb = target.read().astype(float).mean(axis=(0, 1))
        out.append((t, (rgb[2] - 25) / (230 - 25)))
    r.release()
    return out


def test_a_switch_quantised_to_the_beat_starts_on_the_next_beat(solid):
    beats = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    trace = run_engine(solid, 0.6, Cue(0, "blue", "crossfade", beats=1.0, quantize="beat"), beats)
    started = next(t for t, b in trace if b > 0.02)
    assert 1.0 <= started <= 1.0 + 1 / 15          # not at the request (0.6), at the beat (1.0)
    done = next(t for t, b in trace if b > 0.98)
    assert 1.4 <= done <= 1.6                       # one beat at 120 BPM = 0.5 s


def test_a_switch_quantised_to_the_bar_waits_for_the_downbeat(solid):
    beats = [0.5 * i for i in range(1, 8)]          # downbeats at 0.5 and 2.5
    trace = run_engine(solid, 0.7, Cue(0, "blue", "flash", duration=0.4, quantize="bar"), beats)
    started = next(t for t, b in trace if abs(b) > 0.05)
    assert 2.5 <= started <= 2.6


def test_a_cut_is_immediate(solid):
    trace = run_engine(solid, 1.0, Cue(0, "blue"), [])
    assert [b > 0.98 for t, b in trace if t >= 1.0] == [True] * sum(t >= 1.0 for t, _ in trace)
    assert all(b < 0.02 for t, b in trace if t < 1.0)
