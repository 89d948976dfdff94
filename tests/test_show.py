"""The show applies what the controls ask, one frame at a time, and never
lets a bad command through to the render loop. Also the adaptive render
scale, the picture delay (--av-offset) and a second input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import tone
from visualizer.analysis.features import FEATURE_INDEX
from visualizer.audio.delay import DelayLine
from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.engine.adaptive import AdaptiveScale
from visualizer.engine.core import Engine
from visualizer.engine.show import FADE_SECONDS, Show
from visualizer.render.timing import FrameTiming


@pytest.fixture
def show(renderer, scenes):
    renderer.activate()
    engine = Engine(renderer, scenes, scene="vortex")
    return Show(engine, ControlBus())


def run(show, seconds, fps=60, start=0.0):
    """Advance the show and its engine as the window would."""
    target = show.engine.renderer.offscreen((32, 18))
    timing = FrameTiming(fps=fps, delta=1 / fps)
    quiet = np.zeros(48000 // fps, np.float32)
    for k in range(int(seconds * fps)):
        timing.time = start + k / fps
        show.update(timing.time, timing.delta)
        show.engine.draw(show.engine.listen(quiet), timing, target.fbo)
    return start + seconds


def test_scene_commands_use_the_scenes_own_transition(show):
    show.bus.post(Command("scene", target="crowd", source="osc"))
    show.update(0.0, 1 / 60)
    assert show.engine.switching == "crowd"
    assert show.engine._switch.cue.transition == "flash"   # crowd.toml says so
    run(show, 5.0)   # no beat in silence: it goes after at most 4 s, then flashes
    assert show.engine.current == "crowd"


def test_next_and_previous_wrap_around_the_scene_order(show):
    keys = show.engine.keys
    show.bus.post(Command("prev_scene"))
    show.update(0.0, 0.0)
    assert show.engine.switching == keys[-1]
    show.bus.post(Command("next_scene"))
    show.bus.post(Command("next_scene"))
    show.update(0.0, 0.0)
    assert show.engine.switching == keys[1]


def test_parameters_by_value_and_normalised(show):
    state = show.engine.states["vortex"]
    name, param = next((n, p) for n, p in state.scene.params.items() if p.type == "float")
    show.bus.post(Command("param", target=name, value=param.high + 100))
    show.update(0.0, 0.0)
    assert state.base[name] == param.high          # clamped into its range
    show.bus.post(Command("param", target=name, scene="vortex", value=0.5, normalized=True))
    show.update(0.0, 0.0)
    assert state.base[name] == pytest.approx((param.low + param.high) / 2)


@pytest.mark.parametrize("command", [
    Command("scene", target="no-such-scene"),
    Command("scene_index", value=99),
    Command("param", target="no_such_param"),
    Command("param", scene="nowhere", target="x"),
    Command("param", target="spin", value=float("nan")),
    Command("intensity", value=float("nan")),
    Command("song", target="x"),              # no setlist loaded
])
def test_bad_commands_are_counted_never_raised(show, command):
    show.bus.post(command)
    show.bus.post(Command("blackout", value=1))  # and the next one still works
    show.update(0.0, 0.0)
    assert show.bus.failed == 1 and show.bus.last_error
    assert show.blackout


def test_blackout_fades_out_and_back(show):
    show.bus.post(Command("blackout", value=TOGGLE))
    t = 0.0
    for _ in range(int(FADE_SECONDS * 60 / 2)):
        show.update(t, 1 / 60)
        t += 1 / 60
    assert 0.3 < show.fade < 0.7      # half way: a fade, not a cut
    for _ in range(60):
        show.update(t, 1 / 60)
        t += 1 / 60
    assert show.fade == 0.0
    show.bus.post(Command("blackout", value=TOGGLE))
    for _ in range(60):
        show.update(t, 1 / 60)
        t += 1 / 60
    assert show.fade == 1.0


def test_the_expression_pedal_scales_the_intensity_arc(show):
    from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
    engine = show.engine
    loud = np.tile(tone(220, 1.0, amp=0.7), 12)
    arc = {}
    for pedal in (0.0, 0.5, 1.0):
        engine.analyzer = Analyzer(AnalyzerSettings(sample_rate=48000))  # the same music each time
        show.bus.post(Command("intensity", value=pedal))
        show.update(0.0, 0.0)
        frame = engine.listen(loud[:48000 * 6])
        arc[pedal] = float(frame.values[FEATURE_INDEX["intensity"]])
    assert arc[0.0] == 0.0
    assert arc[1.0] >= arc[0.5] > 0.0


def test_a_backing_input_drives_the_scenes_that_follow_it(renderer, scenes):
    from dataclasses import replace
    from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
    renderer.activate()
    backing_scene = replace(next(s for s in scenes if s.key == "club"), input="backing")
    engine = Engine(renderer, [backing_scene], scene="club",
                    backing=Analyzer(AnalyzerSettings(sample_rate=48000)))
    target = renderer.offscreen((64, 36))
    timing = FrameTiming(fps=30, delta=1 / 30)
    pictures = {}
    for name, lead, backing in (("backing loud", 0.0, 0.8), ("lead loud", 0.8, 0.0)):
        engine.backing_frame = None
        for k in range(60):
            timing.time = k / 30
            block = tone(110, 1 / 30, amp=1.0)
            frame = engine.listen(block * lead, backing=block * backing)
            engine.draw(frame, timing, target.fbo)
        pictures[name] = target.read().astype(np.float32).copy()
    # The club follows the backing track: loud backing lights it, a loud lead alone does not.
    assert pictures["backing loud"].mean() > pictures["lead loud"].mean() + 3


def test_adaptive_scale_holds_the_frame_rate_and_comes_back():
    period = 1 / 60
    cost = 0.030            # the scene takes 30 ms at full scale: twice the budget
    a = AdaptiveScale(period)
    for _ in range(300):
        a.update(cost * a.scale ** 2)
    assert a.scale < 0.75 and cost * a.scale ** 2 <= 0.85 * period
    assert a.changes <= 4   # settles; does not hunt
    for _ in range(3000):  # the heavy moment passes
        a.update(0.002 * a.scale ** 2)
    assert a.scale == 1.0


@settings(max_examples=40, deadline=None)
@given(delay=st.integers(0, 3000), blocks=st.lists(st.integers(0, 1500), min_size=1, max_size=20))
def test_the_delay_line_delays_by_exactly_its_length(delay, blocks):
    total = sum(blocks)
    x = np.arange(1, total + 1, dtype=np.float32)
    line = DelayLine(delay, block=512)
    out, i = [], 0
    for n in blocks:
        out.append(line.process(x[i:i + n]).copy())
        i += n
    y = np.concatenate(out) if out else np.zeros(0, np.float32)
    expected = np.concatenate([np.zeros(delay, np.float32), x])[:total]
    np.testing.assert_array_equal(y, expected)


def test_the_pedal_scales_each_analysed_hop_once(show):
    """Frames without a new hop keep the intensity (it must not compound)."""
    engine = show.engine
    engine.listen(np.tile(tone(220, 1.0, amp=0.7), 8))
    show.bus.post(Command("intensity", value=0.25))   # gain 0.5
    show.update(0.0, 0.0)
    empty = np.zeros(0, np.float32)
    values = [float(engine.listen(empty).values[FEATURE_INDEX["intensity"]]) for _ in range(5)]
    assert values[0] > 0 and values == [values[0]] * 5
