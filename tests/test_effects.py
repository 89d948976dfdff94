"""Effects (ISF filters) stacked on the program picture or on one scene, ISF
transitions beside the built-in ones, and the ways to drive them: keys, OSC,
MIDI, cues, --fx and --param. Real GL (headless EGL), real files."""

import numpy as np
import pytest

from conftest import run_cli
from visualizer.analysis.features import FEATURE_INDEX as C, FeatureFrame
from visualizer.control.bus import TOGGLE, Command, ControlBus
from visualizer.control.keys import Keys
from visualizer.control.midi import MidiMap
from visualizer.control.vocabulary import BadMessage, Names, command
from visualizer.engine.core import Engine
from visualizer.engine.param_setting import parse_params
from visualizer.engine.show import Show
from visualizer.errors import SceneError, VisualizerError
from visualizer.render.timing import FrameTiming
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import find, library

SIZE = (64, 36)

INVERT = """/*{ "INPUTS": [ {"NAME": "inputImage", "TYPE": "image"},
   {"NAME": "amount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0} ] }*/
void main() {
    vec4 c = IMG_THIS_PIXEL(inputImage);
    gl_FragColor = vec4(mix(c.rgb, 1.0 - c.rgb, amount), 1.0);
}
"""
HALVE = """/*{ "INPUTS": [ {"NAME": "inputImage", "TYPE": "image"} ] }*/
void main() { gl_FragColor = vec4(IMG_NORM_PIXEL(inputImage, isf_FragNormCoord).rgb * 0.5, 1.0); }
"""
MIX = """/*{ "INPUTS": [ {"NAME": "startImage", "TYPE": "image"}, {"NAME": "endImage", "TYPE": "image"},
   {"NAME": "progress", "TYPE": "float", "DEFAULT": 0.0} ] }*/
void main() {
    vec2 uv = isf_FragNormCoord;
    gl_FragColor = uv.x < progress ? IMG_NORM_PIXEL(endImage, uv) : IMG_NORM_PIXEL(startImage, uv);
}
"""
SOLID = "void mainImage(out vec4 c, in vec2 p) {{ c = vec4({rgb}, 1.0); }}\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A VJ's folder: two flat scenes, two filters (one driven by the level
    through a TOML file naming it) and a wipe transition, all side by side."""
    d = tmp_path_factory.mktemp("vj")
    for key, rgb in (("red", "0.8, 0.2, 0.2"), ("grey", "0.4, 0.4, 0.4")):
        (d / f"{key}.glsl").write_text(SOLID.format(rgb=rgb))
        (d / f"{key}.toml").write_text(f'shader = "{key}.glsl"\norder = {1 if key == "red" else 2}\n')
    (d / "invert.fs").write_text(INVERT)
    (d / "halve.fs").write_text(HALVE)
    (d / "wipe_right.fs").write_text(MIX)
    (d / "pulse.toml").write_text('isf = "invert.fs"\ntitle = "Pulse"\n[[bindings]]\n'
                                  'param = "amount"\nfeature = "level"\ngain = 1.0\nattack = 0\n'
                                  'release = 0\n[params.spare]\ndefault = 0.0\nrange = [0.0, 1.0]\n')
    return d


def lib_of(folder):
    lib = library([folder], builtin=None)
    return lib, {s.key: s for s in lib.scenes}, {e.key: e for e in lib.effects}


def mean_rgb(target) -> np.ndarray:
    return target.read().astype(float).mean(axis=(0, 1))


def test_a_folder_sorts_into_scenes_effects_and_transitions(folder):
    lib, scenes, effects = lib_of(folder)
    assert list(scenes) == ["red", "grey"]
    assert set(effects) == {"invert", "halve", "pulse"}   # pulse: a TOML naming invert.fs
    assert [t.key for t in lib.transitions] == ["wipe_right"]
    assert effects["pulse"].bindings[0].param == "amount" and effects["pulse"].role == "effect"
    with pytest.raises(SceneError, match="ISF filter.*is not a scene.*--fx"):
        find(str(folder / "halve.fs"), list(lib.scenes))


def test_the_built_in_effects_load_and_are_effects():
    lib = library()
    assert {"glow", "kaleido", "trails", "rgb_split", "grain"} <= {e.key for e in lib.effects}
    assert all(e.image_inputs == ("inputImage",) and e.bindings for e in lib.effects)
    assert not {e.key for e in lib.effects} & {s.key for s in lib.scenes}


def engine_with(renderer, folder, scene="red"):
    lib, scenes, effects = lib_of(folder)
    return Engine(renderer, lib.scenes, scene=scene, effects=lib.effects,
                  isf_transitions=lib.transitions)


def draw(engine, target, t=1.0, level=0.0):
    frame = FeatureFrame()
    frame.values[C["level"]] = level
    engine.draw(frame, FrameTiming(time=t, delta=1 / 30, fps=30), target.fbo, size=SIZE)
    return mean_rgb(target)


def test_effects_work_on_the_program_in_order_and_on_one_scene_only(renderer, folder):
    engine = engine_with(renderer, folder)
    target = renderer.offscreen(SIZE)
    plain = draw(engine, target)
    assert plain[0] > 190 and plain[1] < 60                       # red, no effect
    engine.effects.set("invert", True)
    inverted = draw(engine, target)
    assert np.allclose(inverted, 255 - plain, atol=2)
    engine.effects.set("halve", True)           # in chain order (order, then key): halve, invert
    assert engine.effects.names.index("halve") < engine.effects.names.index("invert")
    assert np.allclose(draw(engine, target), 255 - plain / 2, atol=2)
    engine.effects.chain(())                                      # a cue's fx = []
    assert np.allclose(draw(engine, target), plain, atol=1)
    engine.effects.set("invert", True, only="grey")               # on the grey scene only
    assert np.allclose(draw(engine, target), plain, atol=1)
    engine.select("grey")
    assert np.allclose(draw(engine, target), 255 - 0.4 * 255, atol=3)


def test_an_effects_binding_follows_the_music(renderer, folder):
    engine = engine_with(renderer, folder)
    target = renderer.offscreen(SIZE)
    engine.effects.set("pulse", True)
    engine.effects.param("pulse", "amount", 0.0)                  # amount = 0 + level
    quiet, loud = draw(engine, target, level=0.0), draw(engine, target, level=1.0)
    assert quiet[0] > 190 and loud[0] < 60                        # silence: red; loud: inverted


def test_an_isf_transition_runs_as_a_transition_in_beats(renderer, folder):
    engine = engine_with(renderer, folder)
    assert "wipe_right" in engine.transitions
    target = renderer.offscreen(SIZE)
    engine.request(Cue(0.0, "grey", "wipe_right", duration=1.0), 0.0)
    draw(engine, target, t=0.0)                                   # starts (quantize none)
    draw(engine, target, t=0.5)
    picture = target.read().astype(float)
    left, right = picture[:, : SIZE[0] // 3].mean(axis=(0, 1)), picture[:, -SIZE[0] // 3:].mean(axis=(0, 1))
    assert left[0] < 130 < right[0]                               # grey came in from the left
    draw(engine, target, t=1.1)
    assert engine.current == "grey"
    with pytest.raises(SceneError, match="unknown transition"):
        engine.request(Cue(0.0, "red", "nope"), 2.0)


def test_osc_keys_midi_and_the_show_drive_effects(renderer, folder):
    lib, scenes, effects = lib_of(folder)
    names = Names(list(scenes), {k: list(s.params) for k, s in scenes.items()},
                  {k: list(e.params) for k, e in effects.items()})
    on = command("/fx/invert", (1,), names, source="osc")
    assert (on.action, on.target, on.value) == ("fx", "invert", 1.0)
    assert command("/visualizer/fx/invert", (), names, source="osc").value == TOGGLE
    only = command("/fx/invert", (1, "grey"), names, source="osc")
    assert only.scene == "grey"
    knob = command("/fx01/pulse/amount", (0.25,), names, source="osc")
    assert (knob.action, knob.scene, knob.target, knob.normalized) == ("fx_param", "pulse", "amount", True)
    for address, args in (("/fx/nope", ()), ("/fx/invert/nope", (1,)), ("/fx/invert", ("x",)),
                          ("/fx/invert", (1, "nowhere")), ("/fx/invert/amount", (float("nan"),))):
        with pytest.raises(BadMessage):
            command(address, args, names, source="osc")

    bus = ControlBus()
    engine = engine_with(renderer, folder)
    show = Show(engine, bus)
    keys = Keys(bus, scenes=2, effects=tuple(engine.effects.names))
    keys.press("F1")                                              # the first effect in order
    show.update(0.0, 1 / 30)
    assert engine.effects.active == [engine.effects.names[0]]
    for c in (command("/fx/invert", (1,), names, source="osc"),
              command("/fx/pulse/amount", (0.5,), names, source="osc")):
        bus.post(c)
    show.update(0.0, 1 / 30)
    assert "invert" in engine.effects.active
    assert engine.effects.slot("pulse").state.base["amount"] == 0.5

    mapping = MidiMap(list(scenes), {k: list(s.params) for k, s in scenes.items()},
                      effects={k: list(e.params) for k, e in effects.items()},
                      data={"note": [{"note": 40, "action": "fx", "fx": "halve"}],
                            "cc": [{"cc": 21, "action": "fx_param", "fx": "pulse",
                                    "param": "amount"}]})

    class Msg:   # mido's message fields, what MidiMap reads
        def __init__(self, type, **kw):
            self.type, self.channel = type, 0
            self.__dict__.update(kw)

    pad = mapping.command(Msg("note_on", note=40, velocity=100), 0.0)
    knob = mapping.command(Msg("control_change", control=21, value=127), 0.0)
    assert [(c.action, c.target, c.value) for c in pad] == [("fx", "halve", TOGGLE)]
    assert [(c.action, c.scene, c.target, c.value) for c in knob] == [("fx_param", "pulse", "amount", 1.0)]
    with pytest.raises(Exception, match="not an effect"):
        MidiMap(list(scenes), {}, effects={}, data={"note": [{"note": 1, "action": "fx", "fx": "x"}]})


def test_param_settings_are_checked_and_set(renderer, folder):
    lib, scenes, effects = lib_of(folder)
    settings = parse_params(["fx/pulse/amount=0.25", "fx/pulse/spare=1"], lib.scenes, lib.effects)
    engine = engine_with(renderer, folder)
    for s in settings:
        s.apply(engine)
    assert engine.effects.slot("pulse").state.base["amount"] == 0.25
    assert engine.effects.slot("pulse").state.base["spare"] == 1.0
    for bad, why in (("amount", "expected NAME=VALUE"), ("fx/pulse/nope=1", "no parameter 'nope'"),
                     ("fx/pulse/amount=7", "outside"), ("red/x=1", "has no parameter"),
                     ("nobody=1", "no scene here has"), ("fx/zzz/a=1", "unknown effect")):
        with pytest.raises(VisualizerError, match=why):
            parse_params([bad], lib.scenes, lib.effects)


def test_cli_renders_and_snapshots_with_effects_and_params(tmp_path):
    base, fx = tmp_path / "base.png", tmp_path / "fx.png"
    for out, extra in ((base, []), (fx, ["--fx", "grain", "--param", "fx/grain/vignette=1.5"])):
        done = run_cli("snapshot", "--demo", "--scene", "steppe", "--at", "3", "--size", "96x54",
                       *extra, "-o", str(out))
        assert done.returncode == 0, done.stderr
    from test_live import read_png
    a, b = read_png(base).astype(float), read_png(fx).astype(float)
    corner = (slice(0, 8), slice(0, 8))
    assert a[corner].mean() - b[corner].mean() > 10              # the vignette darkens the corner
    trails = run_cli("snapshot", "--demo", "--scene", "steppe", "--at", "2", "--size", "64x36",
                     "--fx", "trails", "-o", str(tmp_path / "t.png"))
    assert "drew 2 s of frames first" in trails.stdout, trails.stdout
    bad = run_cli("render", "--demo", "--fx", "nope", "-o", str(tmp_path / "x.mp4"))
    assert bad.returncode == 2 and "--fx nope: unknown effect" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    listing = run_cli("effects")
    assert listing.returncode == 0 and "[ F1] glow" in listing.stdout


def test_a_chunked_render_with_a_feedback_effect_and_a_cue_that_turns_it_off(tmp_path):
    """Effects are part of the plan: chunks rendered apart give the frames of one
    render, the trails' history carried across the boundary by the pre-roll,
    and a timeline cue's fx = [] turns them off from its time."""
    line = tmp_path / "line.toml"
    line.write_text('[[cue]]\nat = 0\nscene = "vortex"\n[[cue]]\nat = 1.5\nscene = "vortex"\nfx = []\n')
    frames = {}
    for name, seconds in (("whole", "60"), ("chunks", "1")):
        out = tmp_path / name / "f.png"
        out.parent.mkdir()
        done = run_cli("render", "--demo", "--duration", "2", "--size", "64x36", "--fx", "trails",
                       "--timeline", str(line), "--chunk-seconds", seconds, "-o", str(out))
        assert done.returncode == 0, done.stderr
        frames[name] = [(out.parent / f"f_{k:05d}.png").read_bytes() for k in range(1, 61)]
    assert frames["whole"] == frames["chunks"]
    plain = tmp_path / "plain" / "f.png"
    plain.parent.mkdir()
    assert run_cli("render", "--demo", "--duration", "2", "--size", "64x36", "--scene", "vortex",
                   "-o", str(plain)).returncode == 0
    ours = [(plain.parent / f"f_{k:05d}.png").read_bytes() for k in range(1, 61)]
    assert frames["whole"][20] != ours[20] and frames["whole"][59] == ours[59]


def test_a_scene_in_the_folder_may_enter_by_the_folders_isf_transition(folder, tmp_path):
    import shutil
    mine = tmp_path / "mine"
    shutil.copytree(folder, mine)
    (mine / "grey.toml").write_text('shader = "grey.glsl"\ntransition = "wipe_right"\n')
    lib, scenes, _ = lib_of(mine)
    assert scenes["grey"].transition == "wipe_right"
    (mine / "grey.toml").write_text('shader = "grey.glsl"\ntransition = "halve"\n')   # a filter
    with pytest.raises(SceneError, match="transition: unknown 'halve'"):
        lib_of(mine)


def test_effect_looks_by_key_osc_and_cue_and_an_effects_ramp(renderer, folder, tmp_path):
    """Shift+F1 (and /fxlook, and a cue's "NAME:LOOK") crossfade an effect to a
    look; a timeline ramps an effect's parameter like a scene's."""
    from visualizer.analysis.track import analyze
    from visualizer.audio.demo import demo_track
    from visualizer.scenes.timeline import load_timeline
    lib = library()
    engine = Engine(renderer, [s for s in lib.scenes if s.key == "vortex"], scene="vortex",
                    effects=lib.effects)
    bus = ControlBus()
    show = Show(engine, bus)
    keys = Keys(bus, scenes=1, effects=tuple(engine.effects.names))
    assert engine.effects.names[0] == "glow"
    keys.press("SHIFT+F1")
    show.update(0.0, 1 / 30)
    glow = engine.effects.slot("glow").state
    assert glow.look_name == "haze" and bus.failed == 0       # the first of its looks
    names = Names(["vortex"], {"vortex": []}, lib.effect_params())
    bus.post(command("/fxlook/glow", ("flare",), names, source="osc"))
    show.update(0.0, 1 / 30)
    assert glow.look_name == "flare"
    with pytest.raises(BadMessage):
        command("/fxlook/nope", (), names, source="osc")
    engine.request(Cue(0.0, "vortex", fx=("glow:haze", "trails")), 1.0)
    assert engine.effects.active == ["glow", "trails"] and glow.look_name == "haze"

    track = analyze(demo_track(48000).mean(axis=1), sample_rate=48000)
    line = tmp_path / "line.toml"
    line.write_text('[[cue]]\nat = 0\nscene = "vortex"\nfx = ["glow:flare"]\n'
                    '[[ramp]]\nfx = "glow"\nparam = "amount"\nfrom = 0.0\nto = 2.0\n'
                    'start = 1.0\nend = 3.0\n')
    vortex = [s for s in lib.scenes if s.key == "vortex"]
    cues, ramps = load_timeline(line, scenes=vortex, track=track, effects=lib.effects)
    assert cues[0].fx == ("glow:flare",) and ramps[0].effect and ramps[0].scene == "glow"
    ramps[0].apply(engine, 2.0)
    assert glow.base["amount"] == pytest.approx(1.0)
    line.write_text('[[cue]]\nat = 0\nscene = "vortex"\n[[ramp]]\nfx = "nope"\nparam = "a"\n'
                    'from = 0\nto = 1\nstart = 0\nend = 1\n')
    with pytest.raises(SceneError, match="unknown effect 'nope'"):
        load_timeline(line, scenes=vortex, track=track, effects=lib.effects)


def test_a_setlist_cue_names_effects_and_their_looks_or_is_refused(tmp_path):
    from visualizer.control.setlist import Setlist
    from visualizer.errors import ControlError
    lib = library()
    effects = {e.key: list(e.looks) for e in lib.effects}
    path = tmp_path / "set.toml"
    path.write_text('[[song]]\nname = "A"\n[[song.cue]]\nscene = "vortex"\nfx = ["trails:vortex", "grain"]\n')
    setlist = Setlist.load(path, [s.key for s in lib.scenes], ["crossfade"], effects=effects)
    assert setlist.cue().fx == ("trails:vortex", "grain")
    for fx, why in (('["nope"]', "unknown effect 'nope'"), ('["glow:nope"]', "not a look of effect"),
                    ('"glow"', "expected a list of effect names")):
        path.write_text(f'[[song]]\nname = "A"\n[[song.cue]]\nscene = "vortex"\nfx = {fx}\n')
        with pytest.raises(ControlError, match=why):
            Setlist.load(path, [s.key for s in lib.scenes], ["crossfade"], effects=effects)


def test_midi_learn_binds_a_knob_to_an_effects_main_parameter_and_a_pad_to_its_switch(tmp_path):
    """L, Shift+F1, then a knob moves: the first effect's main parameter is on
    that knob, saved to the map; L, F2, then a pad: the second effect's switch."""
    import mido
    import tomllib
    from visualizer.control.midi import MidiInput, MidiLearn
    lib = library()
    params = {s.key: list(s.params) for s in lib.scenes}
    path = tmp_path / "learned.toml"
    mapping = MidiMap.load(path, [s.key for s in lib.scenes], params, missing_ok=True,
                           effects=lib.effect_params())
    learn = MidiLearn(mapping, path)
    bus = ControlBus()
    midi = MidiInput(bus, mapping, learn=learn)
    engine_fx = [e.key for e in lib.effects]
    knobs = {e.key: next(iter(e.params)) for e in lib.effects}
    keys = Keys(bus, learn, scenes=len(lib.scenes), effects=tuple(engine_fx), knobs=knobs)
    keys.press("L")
    keys.press("SHIFT+F1")
    midi.feed(mido.Message("control_change", control=21, value=90))
    keys.press("L")
    keys.press("F2")
    midi.feed(mido.Message("note_on", note=40, velocity=100))
    data = tomllib.loads(path.read_text())
    assert {"cc": 21, "action": "fx_param", "fx": "glow", "param": "amount"} in data["cc"]
    assert any(e.get("action") == "fx" and e.get("fx") == "kaleido"
               for kind in data.values() if isinstance(kind, list) for e in kind), data
    bus.drain()
    midi.feed(mido.Message("control_change", control=21, value=127))
    assert bus.drain() == [Command("fx_param", target="amount", scene="glow", value=1.0,
                                   normalized=True, source="midi")]
