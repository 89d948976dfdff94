"""Looks: named sets of a scene's parameter values, switched live by keys,
OSC and cues, crossfaded, so a VJ can vary a scene from song to song."""

import numpy as np
import pytest

from scene_fixtures import musical_frame
from visualizer.analysis.features import FeatureFrame
from visualizer.control.bus import ControlBus
from visualizer.control.keys import Keys
from visualizer.control.vocabulary import BadMessage, Names, command
from visualizer.engine.core import Engine
from visualizer.engine.show import Show
from visualizer.errors import SceneError
from visualizer.render.timing import FrameTiming
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import SCENES_DIR, load_scene
from visualizer.scenes.state import SceneState


def steppe():
    return load_scene(SCENES_DIR / "steppe.toml")


def test_the_steppe_has_a_dusk_a_night_and_a_storm():
    looks = steppe().looks
    assert list(looks) == ["dusk", "night", "storm"]
    assert looks["storm"]["wind"] > looks["dusk"]["wind"] > looks["night"]["wind"]


def test_a_look_crossfades_and_the_next_one_follows_it():
    state = SceneState(steppe())
    frame = FeatureFrame()
    start = state.base["wind"]
    state.look("storm", 2.0)
    state.update(frame, 1.0)
    assert state.base["wind"] == pytest.approx((start + 2.8) / 2)
    state.update(frame, 1.0)
    assert state.base["wind"] == pytest.approx(2.8) and state.base["glow"] == pytest.approx(2.2)
    assert state.next_look() == "dusk"   # after the last, the first again
    state.look("night", 0.0)             # at once
    assert state.base["wind"] == pytest.approx(0.4) and state.next_look() == "storm"


@pytest.mark.parametrize("looks, words", [
    ('[looks.x]\nspeed = 1.0', "looks.x.speed: unknown key"),
    ('[looks.x]\nwind = 9.0', "looks.x.wind: expected a number in 0..3"),
    ('[looks.x]\nwind = "gale"', "looks.x.wind: expected a number"),
    ('[looks]\nx = 1', "looks.x: expected a table of parameter values"),
])
def test_a_bad_look_names_the_file_and_key(tmp_path, looks, words):
    text = (SCENES_DIR / "steppe.toml").read_text().split("# Looks:")[0] + looks + "\n"
    path = tmp_path / "steppe.toml"
    path.write_text(text)
    with pytest.raises(SceneError) as e:
        load_scene(path)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_keys_osc_and_cues_switch_looks_and_the_picture_changes(renderer):
    scenes = [load_scene(SCENES_DIR / f"{key}.toml") for key in ("steppe", "vortex")]
    engine = Engine(renderer, scenes, scene="steppe")
    bus = ControlBus()
    show = Show(engine, bus)
    names = Names(engine.keys, {s.key: list(s.params) for s in scenes})
    bus.post(command("/look", ("storm",), names, source="osc"))
    show.update(0.0, 0.0)
    state = engine.states["steppe"]
    assert state.look_name == "storm"
    Keys(bus).press("K")                  # the next look
    show.update(0.1, 0.1)
    assert state.look_name == "dusk"
    bus.post(command("/look", ("tornado",), names, source="osc"))
    show.update(0.2, 0.1)
    assert "no look 'tornado'" in bus.last_error and bus.failed == 1
    with pytest.raises(BadMessage):
        command("/look", (3,), names, source="osc")
    engine.request(Cue(0.0, "steppe", look="night"), 0.3)   # a cue brings its look
    assert state.look_name == "night"
    with pytest.raises(SceneError, match="has no look"):
        engine.request(Cue(0.0, "vortex", look="storm"), 0.4)
    state.look("night", 0.0)
    night = picture(renderer, state)
    state.look("storm", 0.0)
    storm = picture(renderer, state)
    assert np.abs(night.astype(int) - storm.astype(int)).mean() > 2


def picture(renderer, state: SceneState) -> np.ndarray:
    frame = musical_frame()
    params = state.update(frame, 60.0)
    target = renderer.offscreen((160, 90))
    renderer.draw(state.scene.key, frame, FrameTiming(time=12.5, fps=30, delta=1 / 30),
                  target.fbo, params=params)
    return target.read().copy()


def test_a_setlist_cue_names_a_look_the_scene_has(tmp_path):
    from visualizer.control.setlist import Setlist
    from visualizer.errors import ControlError
    looks = {"steppe": ["dusk", "night", "storm"], "vortex": []}
    path = tmp_path / "set.toml"
    path.write_text('[[song]]\nname = "Dombra Wind"\n[[song.cue]]\nscene = "steppe"\n'
                    'look = "storm"\n')
    cue = Setlist.load(path, ["steppe", "vortex"], ["crossfade"], looks=looks).cue()
    assert cue.scene == "steppe" and cue.look == "storm"
    path.write_text('[[song]]\nname = "A"\n[[song.cue]]\nscene = "vortex"\nlook = "storm"\n')
    with pytest.raises(ControlError) as e:
        Setlist.load(path, ["steppe", "vortex"], ["crossfade"], looks=looks)
    assert "cue 1: look: 'storm' is not a look of 'vortex' (its looks: none)" in str(e.value)


def test_a_midi_pad_names_a_look_and_another_steps_to_the_next(tmp_path):
    import mido

    from visualizer.control.midi import MidiMap
    path = tmp_path / "midi.toml"
    path.write_text('[[note]]\nnote = 40\naction = "look"\nlook = "storm"\nscene = "steppe"\n'
                    '[[note]]\nnote = 41\naction = "look"\n')
    mapping = MidiMap.load(path, ["steppe", "vortex"], {"steppe": ["wind"], "vortex": []})
    storm = mapping.command(mido.Message("note_on", note=40, velocity=100), 0.0)
    step = mapping.command(mido.Message("note_on", note=41, velocity=100), 0.0)
    assert [(c.action, c.target, c.scene) for c in storm] == [("look", "storm", "steppe")]
    assert [(c.action, c.target) for c in step] == [("look", "")]


def test_every_scene_has_looks_within_its_ranges():
    from visualizer.scenes.scene import discover
    for scene in discover([]):
        assert len(scene.looks) >= 2, scene.key
        for name, values in scene.looks.items():
            for param, value in values.items():
                p = scene.params[param]
                if p.type in ("float", "int"):
                    assert p.low <= value <= p.high, (scene.key, name, param)


def test_a_snapshot_shows_a_look_and_names_a_wrong_one(tmp_path):
    from conftest import run_cli
    from test_live import read_png
    shots = {}
    for look in ("brass", "midnight"):
        out = tmp_path / f"{look}.png"
        done = run_cli("snapshot", "--demo", "--scene", "vortex", "--look", look,
                       "--at", "12.5", "--size", "160x90", "-o", str(out))
        assert done.returncode == 0 and f"look {look}" in done.stdout, done.stderr
        shots[look] = read_png(out).astype(float)
    warm, cold = (shots[k][..., 0].mean() - shots[k][..., 2].mean() for k in ("brass", "midnight"))
    assert warm > 10 and cold < -5          # brass glows orange, midnight blue
    bad = run_cli("snapshot", "--demo", "--scene", "vortex", "--look", "nope", "--at", "1",
                  "-o", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert "vortex has no such look" in bad.stderr and "midnight" in bad.stderr


def test_a_still_shows_the_bindings_as_the_show_has_them_then():
    """A still replays the seconds before it through the scene's bindings: its
    parameters are within a few percent of a show's that played from the start,
    and far from the bindings at rest."""
    from visualizer.analysis.track import analyze
    from visualizer.audio.demo import demo_track
    from visualizer.engine.stills import settled_state
    samples = demo_track(48000).mean(axis=1)
    track = analyze(samples, sample_rate=48000)
    scene = load_scene(SCENES_DIR / "echo.toml")   # glow follows the intensity arc (1 s / 3 s)
    t = 15.0
    played = SceneState(scene)
    frame = FeatureFrame()
    for k in range(int(t * 30)):
        frame.values[:] = track.rows[track.index_at(k / 30)]
        played.update(frame, 1 / 30)
    still = settled_state(scene, track, t).values
    rest = SceneState(scene).update(frame, 1 / 30)
    for name in ("glow", "tint"):
        assert abs(still[name] - played.values[name]) < 0.05 * max(abs(played.values[name]), 0.1)
    assert played.values["glow"] - rest["glow"] > 0.2
