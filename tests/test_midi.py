"""MIDI control: mapping files, footswitch timing, MIDI learn and the input
handler, driven with real mido messages through the same path a port's
callback runs (and through a real virtual port where the OS has a MIDI
sequencer)."""

import os
import shutil
import threading
import time
import tomllib
from pathlib import Path

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.control.midi import MidiInput, MidiLearn, MidiMap, dumps, list_ports
from visualizer.errors import ControlError

ROOT = Path(__file__).resolve().parent.parent
PEDALBOARD = ROOT / "examples" / "midi" / "pedalboard.toml"
SCENES = ["vortex", "steppe", "night"]
PARAMS = {"vortex": ["spin", "flare"], "steppe": ["wind"], "night": []}


def cc(control, value, channel=0):
    return mido.Message("control_change", control=control, value=value, channel=channel)


def note(n, velocity=100, channel=0):
    return mido.Message("note_on", note=n, velocity=velocity, channel=channel)


def program(p, channel=0):
    return mido.Message("program_change", program=p, channel=channel)


def load(tmp_path, text, name="midi.toml"):
    path = tmp_path / name
    path.write_text(text)
    return MidiMap.load(path, SCENES, PARAMS)


def actions(commands):
    return [c.action for c in commands]


# -- the mapping file -----------------------------------------------------------

def test_example_pedalboard_loads_against_the_real_scenes():
    from visualizer.scenes.scene import discover
    scenes = discover()
    mapping = MidiMap.load(PEDALBOARD, [s.key for s in scenes],
                           {s.key: list(s.params) for s in scenes})
    # pads 36-43 pick eight different scenes, in key order
    picked = [mapping.command(note(36 + i), 0.0)[0].target for i in range(8)]
    assert len(set(picked)) == 8 and picked == [s.key for s in scenes if s.key in picked]
    # the expression pedal is the intensity, heel to toe
    assert mapping.command(cc(11, 0), 0.0) == [Command("intensity", value=0.0, source="midi")]
    assert mapping.command(cc(11, 127), 0.0)[0].value == 1.0
    # every knob moves real parameters of real scenes
    for control in (21, 22, 23, 24):
        commands = mapping.command(cc(control, 64), 0.0)
        assert commands and all(c.action == "param" and c.normalized for c in commands)
        for c in commands:
            scene = next(s for s in scenes if s.key == c.scene)
            assert c.target in scene.params
    # knob 4 sweeps only the middle of each range
    assert {c.value for c in mapping.command(cc(24, 0), 0.0)} == {0.2}
    # the main footswitch: a tap is the next cue once the double window has passed
    assert mapping.command(cc(64, 127), 10.0) == []
    assert mapping.command(cc(64, 0), 10.1) == []
    assert actions(mapping.poll(10.36)) == ["next_cue"]
    # the second switch blacks out (toggles) on the press
    assert mapping.command(cc(67, 127), 11.0) == [Command("blackout", value=TOGGLE, source="midi")]


@pytest.mark.parametrize("text, message", [
    ('[[cc]]\ncc = 1\naction = "param"\nparam = "spin"\n[[cc]]\ncc = 2\naction = "jump"\n',
     "[[cc]] 2: action: unknown action 'jump' (known: scene, "),
    ('[[note]]\nnote = 36\naction = "scene"\nscene = "nowhere"\n',
     "[[note]] 1: scene: 'nowhere' is not a scene (known: vortex, steppe, night)"),
    ('[[cc]]\ncc = 1\naction = "param"\nscene = "steppe"\nparam = "spin"\n',
     "[[cc]] 1: param: 'spin' is not a parameter of scene 'steppe' (its parameters: wind)"),
    ('[[cc]]\ncc = 1\naction = "param"\nparam = "nope"\n',
     "[[cc]] 1: param: 'nope' is not a parameter of any scene"),
    ('[[note]]\nnote = 128\naction = "tap"\n', "[[note]] 1: note: expected a number 0..127"),
    ('[[note]]\nnote = 1\naction = "tap"\nvelocity = 3\n', "[[note]] 1: velocity: unknown key"),
    ('[[note]]\nnote = 1\naction = "tap"\nscene = "vortex"\n',
     "[[note]] 1: scene: not used by action 'tap'"),
    ('[[program]]\nprogram = 1\naction = "blackout"\nvalue = 0.5\n',
     "[[program]] 1: value: expected 1 (on), 0 (off) or -1 (toggle)"),
    ('[[program]]\nprogram = 1\naction = "intensity"\n', "[[program]] 1: value: missing (0..1)"),
    ('[[cc]]\ncc = 1\naction = "intensity"\nrange = [0.5, 0.5]\n', "[[cc]] 1: range: expected"),
    ('channel = 16\n', "channel: expected a MIDI channel 0..15"),
    ('[[footswitch]]\ncc = 64\n', "[[footswitch]] 1: expected press, hold or double"),
    ('[[footswitch]]\ncc = 64\npress = "warp"\n', "[[footswitch]] 1: press: action: unknown action 'warp'"),
    ('[[footswitch]]\ncc = 64\npress = "tap"\nhold_seconds = 0\n',
     "[[footswitch]] 1: hold_seconds: expected seconds in (0, 10]"),
    ('[[footswitch]]\ncc = 64\npress = "tap"\n[[footswitch]]\ncc = 64\npress = "hud"\n',
     "[[footswitch]] 2: cc 64 already has a footswitch"),
    ('[[footswitch]]\ncc = 64\npress = "tap"\n[[cc]]\ncc = 64\naction = "hud"\n',
     "cc 64 is both a [[footswitch]] and a [[cc]]"),
    ('[[cc]]\ncc = 1\naction = "param"\nparams = { vortex = "spin" }\nparam = "spin"\n',
     "[[cc]] 1: params: expected"),
    ('jump = 1\n', "jump: unknown key"),
    ('[[note]]\nnote = 1\naction = ["scene"]\n', "[[note]] 1: action: unknown action ['scene']"),
    ('[[note]\n', "malformed TOML"),
])
def test_a_bad_mapping_is_one_line_naming_file_table_and_key(tmp_path, text, message):
    with pytest.raises(ControlError) as err:
        load(tmp_path, text)
    text = str(err.value)
    assert text.startswith(f"{tmp_path / 'midi.toml'}: ")
    assert message in text
    assert "\n" not in text


def test_a_missing_mapping_is_an_error_unless_missing_ok(tmp_path):
    with pytest.raises(ControlError, match="midi.toml: MIDI map not found"):
        MidiMap.load(tmp_path / "midi.toml", SCENES, PARAMS)
    empty = MidiMap.load(tmp_path / "midi.toml", SCENES, PARAMS, missing_ok=True)
    assert empty.command(program(1), 0.0) == [Command("scene_index", value=1.0, source="midi")]


# -- messages to commands -------------------------------------------------------

def test_cc_param_is_normalized_over_its_range_and_ends_are_exact(tmp_path):
    mapping = load(tmp_path, """
[[cc]]
cc = 1
action = "param"
scene = "vortex"
param = "spin"
[[cc]]
cc = 2
action = "param"
param = "spin"          # the current scene's
range = [1.0, 0.25]     # turned around
""")
    assert mapping.command(cc(1, 0), 0.0) == [
        Command("param", target="spin", scene="vortex", value=0.0, normalized=True, source="midi")]
    assert mapping.command(cc(1, 127), 0.0)[0].value == 1.0
    assert mapping.command(cc(1, 64), 0.0)[0].value == pytest.approx(64 / 127)
    assert mapping.command(cc(2, 0), 0.0)[0].value == 1.0
    assert mapping.command(cc(2, 127), 0.0)[0].value == 0.25
    assert mapping.command(cc(2, 0), 0.0)[0].scene == ""
    assert mapping.command(cc(3, 127), 0.0) is None   # not mapped: ignored


def test_notes_use_velocity_unless_a_value_is_given_and_note_offs_do_nothing(tmp_path):
    mapping = load(tmp_path, """
[[note]]
note = 40
action = "intensity"
[[note]]
note = 41
action = "freeze"
[[note]]
note = 42
action = "param"
scene = "steppe"
param = "wind"
value = 0.5
[[note]]
note = 42
action = "scene_index"
index = 1
""")
    assert mapping.command(note(40, 127), 0.0)[0].value == 1.0
    assert mapping.command(note(40, 1), 0.0)[0].value == pytest.approx(1 / 127)
    assert mapping.command(note(40, 0), 0.0) is None   # note-on at velocity 0 is a note-off
    assert mapping.command(mido.Message("note_off", note=40), 0.0) is None
    assert mapping.command(note(41), 0.0) == [Command("freeze", value=TOGGLE, source="midi")]
    # two entries on one pad: both commands, in file order
    assert mapping.command(note(42, 3), 0.0) == [
        Command("param", target="wind", scene="steppe", value=0.5, normalized=True, source="midi"),
        Command("scene_index", value=1.0, source="midi")]


def test_program_changes_pick_scenes_unless_mapped_or_turned_off(tmp_path):
    mapping = load(tmp_path, '[[program]]\nprogram = 1\naction = "song"\nsong = "Steppe Song"\n')
    assert mapping.command(program(0), 0.0) == [Command("scene_index", value=0.0, source="midi")]
    assert mapping.command(program(1), 0.0) == [Command("song", target="Steppe Song", source="midi")]
    assert mapping.command(program(2), 0.0)[0].value == 2.0
    assert mapping.command(program(3), 0.0) is None    # past the last scene
    off = load(tmp_path, "program_scenes = false\n", name="off.toml")
    assert off.command(program(0), 0.0) is None


def test_channels_filter_globally_and_per_entry(tmp_path):
    mapping = load(tmp_path, """
channel = 2
[[note]]
note = 36
action = "tap"
[[note]]
note = 36
channel = 9
action = "hud"
""")
    assert actions(mapping.command(note(36, channel=2), 0.0)) == ["tap"]
    assert actions(mapping.command(note(36, channel=9), 0.0)) == ["hud"]
    assert mapping.command(note(36, channel=0), 0.0) is None
    assert mapping.command(program(1, channel=0), 0.0) is None
    assert actions(mapping.command(program(1, channel=2), 0.0)) == ["scene_index"]


def test_a_cc_button_fires_once_as_the_value_rises_through_64(tmp_path):
    mapping = load(tmp_path, '[[cc]]\ncc = 80\naction = "record"\nvalue = 1\n')
    fired = [mapping.command(cc(80, v), 0.0) for v in (0, 63, 64, 127, 100, 0, 127)]
    assert [len(f) for f in fired] == [0, 0, 1, 0, 0, 0, 1]
    assert fired[2] == [Command("record", value=1.0, source="midi")]


# -- footswitch timing ----------------------------------------------------------

def switch(tmp_path, body):
    return load(tmp_path, "[[footswitch]]\ncc = 64\n" + body)


def test_footswitch_with_only_press_fires_on_the_down_edge(tmp_path):
    pedal = switch(tmp_path, 'press = "next_cue"\n')
    assert actions(pedal.command(cc(64, 127), 1.0)) == ["next_cue"]
    assert pedal.command(cc(64, 127), 1.01) == []      # pedals repeat their state
    assert pedal.command(cc(64, 0), 1.2) == []
    assert pedal.poll(50.0) == ()
    assert actions(pedal.command(cc(64, 100), 2.0)) == ["next_cue"]


def test_footswitch_press_and_hold(tmp_path):
    pedal = switch(tmp_path, 'press = "next_cue"\nhold = "prev_cue"\nhold_seconds = 0.8\n')
    # a short press fires on the release
    assert pedal.command(cc(64, 127), 1.0) == []
    assert pedal.poll(1.5) == ()
    assert actions(pedal.command(cc(64, 0), 1.5)) == ["next_cue"]
    # a long press fires the hold once, while held, and nothing on release
    assert pedal.command(cc(64, 127), 3.0) == []
    assert pedal.poll(3.79) == ()
    assert actions(pedal.poll(3.8)) == ["prev_cue"]
    assert pedal.poll(5.0) == ()
    assert pedal.command(cc(64, 0), 6.0) == []


def test_footswitch_double_press_fires_on_the_second_down_edge(tmp_path):
    pedal = switch(tmp_path, 'press = "next_cue"\ndouble = "tap"\n')
    assert pedal.command(cc(64, 127), 1.0) == []
    assert pedal.command(cc(64, 0), 1.1) == []
    assert actions(pedal.command(cc(64, 127), 1.3)) == ["tap"]
    assert pedal.command(cc(64, 0), 1.4) == []
    assert pedal.poll(10.0) == ()                      # press was not sent as well
    # a single press waits out the window, then fires
    assert pedal.command(cc(64, 127), 20.0) == []
    assert pedal.command(cc(64, 0), 20.1) == []
    assert pedal.poll(20.34) == ()
    assert actions(pedal.poll(20.35)) == ["next_cue"]
    # a second press after the window is a new single press
    assert pedal.command(cc(64, 127), 30.0) == []
    assert pedal.command(cc(64, 0), 30.1) == []
    assert actions(pedal.command(cc(64, 127), 30.5)) == ["next_cue"]   # the first, late
    assert pedal.command(cc(64, 0), 30.6) == []
    assert actions(pedal.poll(31.0)) == ["next_cue"]
    # still down when the window closes: it cannot be a double, so press fires then
    assert pedal.command(cc(64, 127), 40.0) == []
    assert actions(pedal.poll(40.4)) == ["next_cue"]
    assert pedal.command(cc(64, 0), 41.0) == []


def test_footswitch_press_hold_and_double_together(tmp_path):
    pedal = switch(tmp_path, 'press = "next_cue"\nhold = "prev_cue"\ndouble = "tap"\n')
    assert pedal.command(cc(64, 127), 1.0) == []
    assert pedal.poll(1.4) == ()                       # past the window, but it may be a hold
    assert actions(pedal.command(cc(64, 0), 1.5)) == ["next_cue"]
    pedal.command(cc(64, 127), 2.0)
    assert actions(pedal.poll(2.9)) == ["prev_cue"]    # held: the hold, and no press
    assert pedal.command(cc(64, 0), 3.0) == []
    pedal.command(cc(64, 127), 4.0)
    pedal.command(cc(64, 0), 4.1)
    assert actions(pedal.command(cc(64, 127), 4.2)) == ["tap"]
    assert pedal.poll(6.0) == ()                       # the second press never holds
    assert pedal.command(cc(64, 0), 6.1) == []



# -- the input handler (the port callback's path) -------------------------------

def test_feed_posts_commands_and_counts_what_it_ignores_and_rejects(tmp_path):
    bus = ControlBus()
    mapping = load(tmp_path, PEDALBOARD_MINI)
    midi = MidiInput(bus, mapping, clock=lambda: 100.0)
    midi.feed(note(36, 127))                               # mapped
    midi.feed(cc(1, 0))                                    # mapped, value 0
    midi.feed(cc(1, 127))                                  # mapped, value 127
    midi.feed(cc(99, 127))                                 # a CC outside the map
    midi.feed(mido.Message("note_off", note=36))           # note-off
    midi.feed(mido.Message("sysex", data=[0x7E, 0x7F, 0x06, 0x01]))
    midi.feed(mido.Message("clock"))
    midi.feed(mido.Message("pitchwheel", pitch=8191))
    midi.feed(bytes([0x90, 0x40]))                         # malformed: a note-on missing a byte
    midi.feed([0xB0, 0x01, 0xFF])                          # malformed: data byte > 127
    midi.feed(mido.MetaMessage("end_of_track"))            # not a MIDI message at all
    midi.feed([0xB0, 0x01, 0x40])                          # good raw bytes
    midi.feed(cc(64, 127))                                 # mapped: the footswitch waits
    assert midi.received == 13
    assert midi.ignored == 5
    assert bus.rejected == 3
    assert "MIDI: ValueError" in bus.last_error or "MIDI: TypeError" in bus.last_error
    assert bus.drain() == [
        Command("scene", target="vortex", source="midi"),
        Command("intensity", value=0.0, source="midi"),
        Command("intensity", value=1.0, source="midi"),
        Command("intensity", value=64 / 127, source="midi")]


PEDALBOARD_MINI = """
[[note]]
note = 36
action = "scene"
scene = "vortex"
[[cc]]
cc = 1
action = "intensity"
[[footswitch]]
cc = 64
press = "next_cue"
double = "tap"
"""


def test_feed_uses_the_injected_clock_and_poll_posts_what_falls_due(tmp_path):
    now = [5.0]
    bus = ControlBus()
    midi = MidiInput(bus, load(tmp_path, PEDALBOARD_MINI), clock=lambda: now[0])
    midi.feed(cc(64, 127))
    now[0] = 5.1
    midi.feed(cc(64, 0))
    assert midi.poll() == 0 and bus.drain() == []
    now[0] = 5.35
    assert midi.poll() == 1
    assert actions(bus.drain()) == ["next_cue"]
    assert midi.poll() == 0


def test_an_input_is_a_live_control_that_polls_and_stops_without_ports(tmp_path):
    from visualizer.control.base import Control
    now = [5.0]
    bus = ControlBus()
    midi = MidiInput(bus, load(tmp_path, PEDALBOARD_MINI), clock=lambda: now[0])
    assert isinstance(midi, Control)
    midi.feed(cc(64, 127))
    now[0] = 6.0                       # still down past the double window: a press
    midi.poll()                        # the live loop's call, as to any control
    assert actions(bus.drain()) == ["next_cue"]
    midi.stop()
    midi.stop()                        # nothing open: stopping twice is fine
    assert midi.ports == []


def test_a_handler_that_raises_is_counted_not_propagated(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    bus = ControlBus()
    mapping = load(tmp_path, PEDALBOARD_MINI)
    learn = MidiLearn(mapping, blocker / "midi.toml")      # its folder is a file: saving fails
    midi = MidiInput(bus, mapping, learn=learn)
    learn.arm("tap")
    midi.feed(note(50))
    assert bus.rejected == 1
    assert "cannot save MIDI map" in bus.last_error and "a-file" in bus.last_error
    assert not learn.armed                                  # disarmed, the old map kept
    assert mapping.command(note(50), 0.0) is None
    midi.feed(note(36))                                     # and the input goes on working
    assert actions(bus.drain()) == ["scene"]


def test_feeding_from_several_threads_loses_nothing(tmp_path):
    bus = ControlBus(capacity=100_000)
    midi = MidiInput(bus, load(tmp_path, PEDALBOARD_MINI))
    messages = [cc(1, v % 128) for v in range(2000)]

    def run():
        for m in messages:
            midi.feed(m)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        midi.poll()                                         # the render loop, meanwhile
    for t in threads:
        t.join()
    assert bus.posted == 8000 and midi.received == 8000 and bus.rejected == 0


# -- MIDI learn -----------------------------------------------------------------

def test_learn_binds_a_cc_saves_the_file_and_a_reload_agrees(tmp_path):
    path = tmp_path / "learned.toml"                        # does not exist yet
    mapping = MidiMap.load(path, SCENES, PARAMS, missing_ok=True)
    learn = MidiLearn(mapping, path)
    bus = ControlBus()
    midi = MidiInput(bus, mapping, learn=learn)
    learn.arm(("param", "vortex", "spin"))
    assert learn.armed
    midi.feed(mido.Message("clock"))                        # not a control: still armed
    midi.feed(cc(21, 90))                                   # learned, not acted on
    assert not learn.armed and bus.drain() == []
    assert learn.last == "cc 21 -> param vortex.spin"
    data = tomllib.loads(path.read_text())
    assert data == {"cc": [{"cc": 21, "action": "param", "scene": "vortex", "param": "spin"}]}
    reloaded = MidiMap.load(path, SCENES, PARAMS)
    for value in (0, 64, 127):
        assert reloaded.command(cc(21, value), 0.0) == mapping.command(cc(21, value), 0.0)
    midi.feed(cc(21, 127))
    assert bus.drain() == [Command("param", target="spin", scene="vortex", value=1.0,
                                   normalized=True, source="midi")]


def test_learn_control_first_then_target(tmp_path):
    """The other order: L, move a control (it does nothing yet), then key the
    target; the last control moved is the one bound."""
    path = tmp_path / "learned.toml"
    mapping = MidiMap.load(path, SCENES, PARAMS, missing_ok=True)
    learn = MidiLearn(mapping, path)
    bus = ControlBus()
    midi = MidiInput(bus, mapping, learn=learn)
    learn.listen()
    midi.feed(cc(30, 10))
    midi.feed(cc(22, 70))                                   # the one the player meant
    assert bus.drain() == [] and not path.exists()
    learn.arm("intensity")
    assert learn.last == "cc 22 -> intensity" and not learn.armed
    midi.feed(cc(22, 127))
    assert bus.drain() == [Command("intensity", value=1.0, source="midi")]
    assert tomllib.loads(path.read_text())["cc"] == [{"cc": 22, "action": "intensity"}]
    learn.listen()
    learn.cancel()                                          # Esc: nothing held, nothing bound
    midi.feed(cc(30, 10))
    assert tomllib.loads(path.read_text())["cc"] == [{"cc": 22, "action": "intensity"}]


def test_learn_replaces_the_controls_old_binding_and_keeps_the_files_comments(tmp_path):
    from visualizer.scenes.scene import discover
    scenes = discover()
    path = tmp_path / "pedalboard.toml"
    shutil.copy(PEDALBOARD, path)
    mapping = MidiMap.load(path, [s.key for s in scenes], {s.key: list(s.params) for s in scenes})
    learn = MidiLearn(mapping, path)
    learn.arm(("scene", "club"))
    assert learn.offer(note(36))                            # pad 1 was vortex
    learn.arm("intensity")
    assert learn.offer(cc(21, 10))                          # knob 1 was the motion macro
    text = path.read_text()
    assert "# The expression pedal (CC 11)" in text and "# Knob 2: light." in text
    assert "# Knob 1: motion." not in text                  # went with its binding
    data = tomllib.loads(text)
    assert [n for n in data["note"] if n["note"] == 36] == [{"note": 36, "action": "scene", "scene": "club"}]
    assert [c for c in data["cc"] if c["cc"] == 21] == [{"cc": 21, "action": "intensity"}]
    assert len(data["note"]) == 8 and len(data["cc"]) == 5
    reloaded = MidiMap.load(path, [s.key for s in scenes], {s.key: list(s.params) for s in scenes})
    assert reloaded.command(note(36), 0.0) == [Command("scene", target="club", source="midi")]
    assert reloaded.data == mapping.data


def test_learn_on_a_pedal_cc_makes_a_footswitch_and_knob_targets_skip_programs(tmp_path):
    path = tmp_path / "midi.toml"
    mapping = MidiMap(SCENES, PARAMS)
    learn = MidiLearn(mapping, path)
    learn.arm("next_cue")
    assert learn.offer(cc(64, 127))
    assert tomllib.loads(path.read_text()) == {"footswitch": [{"cc": 64, "press": "next_cue"}]}
    learn.arm(("blackout", 1))
    assert learn.offer(cc(65, 127))
    assert tomllib.loads(path.read_text())["footswitch"][1] == {
        "cc": 65, "press": {"action": "blackout", "value": 1}}
    learn.arm(("param", "", "wind"))
    assert not learn.offer(program(3))                      # a program change has no value
    assert not learn.offer(note(60, 0))                     # a note-off is not a control
    assert learn.offer(cc(64, 5))                           # the pedal becomes a knob
    data = tomllib.loads(path.read_text())
    assert data["footswitch"] == [{"cc": 65, "press": {"action": "blackout", "value": 1}}]
    assert data["cc"] == [{"cc": 64, "action": "param", "param": "wind"}]


def test_learn_refuses_targets_it_cannot_bind(tmp_path):
    learn = MidiLearn(MidiMap(SCENES, PARAMS), tmp_path / "midi.toml")
    for target in ("warp", ("param", "vortex", "wind"), ("scene", "nowhere"), ("blackout", 7), ()):
        with pytest.raises(ControlError):
            learn.arm(target)
    assert not learn.armed
    assert not (tmp_path / "midi.toml").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1), st.text(min_size=1))
def test_written_files_read_back_exactly(song, scene):
    data = {"channel": 3, "program_scenes": False,
            "program": [{"program": 1, "action": "song", "song": song}],
            "cc": [{"cc": 2, "action": "param", "params": {scene: "spin", "b": "x"},
                    "range": [0.1, 1.0]}],
            "footswitch": [{"cc": 64, "press": {"action": "intensity", "value": 1e-05},
                            "hold_seconds": 0.5}]}
    assert tomllib.loads(dumps(data)) == data


# -- ports ----------------------------------------------------------------------

def _sequencer() -> str | None:
    """None if the OS has a MIDI system here, else why not."""
    try:
        list_ports()
    except ControlError as e:
        return str(e)
    return None


def test_ports_without_a_midi_system_are_one_line_errors():
    why = _sequencer()
    midi = MidiInput(ControlBus(), MidiMap(SCENES, PARAMS), port="no-such-port-xyz")
    with pytest.raises(ControlError) as err:
        midi.start()
    if why is None:
        assert str(err.value).startswith("MIDI input 'no-such-port-xyz' not found (available: ")
    else:
        assert str(err.value) == why and why.startswith("MIDI: no MIDI system (")
        if not os.path.exists("/dev/snd/seq"):
            assert "ALSA sequencer unavailable: " in why
        virtual = MidiInput(ControlBus(), MidiMap(SCENES, PARAMS), port="virtual",
                            virtual_name="visualizer-test")
        with pytest.raises(ControlError, match=r"^MIDI: no MIDI system \("):
            virtual.start()
    assert "\n" not in str(err.value)


def test_a_virtual_port_round_trip():
    why = _sequencer()
    if why is not None:
        pytest.skip(f"no MIDI sequencer on this machine: {why}")
    bus = ControlBus()
    mapping = MidiMap(SCENES, PARAMS)
    backend = mido.Backend("mido.backends.rtmidi", load=True)
    with backend.open_output("visualizer-test-out", virtual=True) as out:
        midi = MidiInput(bus, mapping, port="visualizer-test-out")
        midi.start()
        try:
            out.send(program(2))
            deadline = time.monotonic() + 5.0               # a bound, not a timing assert
            while midi.received == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
        finally:
            midi.stop()
    assert bus.drain() == [Command("scene_index", value=2.0, source="midi")]


# -- the command line ------------------------------------------------------------

def test_an_input_that_cannot_open_is_one_line_on_stderr_and_status_2(xdisplay):
    # Here there is no sequencer (ALSA used to print its own "ALSA lib
    # seq_hw.c ..." line first); with one, port X is not found: one line too.
    from conftest import run_cli
    r = run_cli("live", "--midi", "X", "--demo", "--play", "none", "--size", "320x180",
                "--frames", "30", env={"DISPLAY": xdisplay})
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("visualizer: error: MIDI"), r.stderr


def test_a_midi_map_without_an_input_is_refused_before_anything_opens(tmp_path):
    from conftest import run_cli
    r = run_cli("live", "--midi-map", str(PEDALBOARD), "--demo", "--play", "none",
                env={"DISPLAY": ""})   # refused before the window: no display needed
    assert r.returncode == 2
    assert r.stderr == (f"visualizer: error: --midi-map {PEDALBOARD}: give --midi PORT too "
                        "(part of the input's name, or 'virtual'; `visualizer devices` lists "
                        "them)\n")
