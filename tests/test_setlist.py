"""The setlist: the example set loads against the real scenes and
transitions, steps through its songs like a footswitch, and every mistake in
a file is one line naming the file, the song and the cue."""

from pathlib import Path

import pytest

from visualizer.control.setlist import Setlist
from visualizer.errors import ControlError
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import TRANSITIONS_DIR, discover

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "setlist.toml"
SCENES = [s.key for s in discover()]
TRANSITIONS = sorted(p.stem for p in TRANSITIONS_DIR.glob("*.glsl"))


@pytest.fixture
def setlist() -> Setlist:
    return Setlist.load(EXAMPLE, SCENES, TRANSITIONS)


def test_example_loads_against_the_real_scenes_and_transitions(setlist):
    assert setlist.title == "Almaty, Nov 28"
    assert [s.name for s in setlist.songs] == ["Dombra Wind", "Night Train to Almaty", "Vortex"]
    cues = [c for s in setlist.songs for c in s.cues]
    assert {c.scene for c in cues} == set(SCENES)   # the story uses every scene
    assert {c.transition for c in cues} - {""} <= set(TRANSITIONS)
    assert setlist.current() == (0, 0)
    assert setlist.cue() == Cue(0.0, "steppe", "dissolve", duration=3.0, quantize="none")
    vortex = setlist.songs[2].cues[3]
    assert vortex == Cue(0.0, "vortex", "vortex_zoom", beats=2.0, quantize="bar")
    assert setlist.songs[2].cues[0] == Cue(0.0, "club", quantize="beat")   # "cut"


def test_next_steps_through_every_cue_then_wraps_into_the_next_song(setlist):
    seen = [(setlist.current(), setlist.cue().scene)]
    while (cue := setlist.next()) is not None:
        assert cue == setlist.cue()
        seen.append((setlist.current(), cue.scene))
    assert seen == [
        ((0, 0), "steppe"), ((0, 1), "yaks"), ((0, 2), "night"),
        ((1, 0), "haunting"), ((1, 1), "night"), ((1, 2), "club"),
        ((2, 0), "club"), ((2, 1), "eyes"), ((2, 2), "crowd"), ((2, 3), "vortex"),
        ((2, 4), "steppe")]
    # The end of the set: the footswitch does nothing, the position stays.
    assert setlist.at_end and setlist.next() is None and setlist.current() == (2, 4)
    assert setlist.upcoming() == ""


def test_prev_goes_back_across_songs_and_stops_at_the_start(setlist):
    setlist.goto_song(1)
    assert setlist.prev() == setlist.songs[0].cues[-1]
    assert setlist.current() == (0, 2)
    assert setlist.prev().scene == "yaks"
    assert setlist.prev().scene == "steppe"
    assert setlist.prev() is None and setlist.current() == (0, 0)
    assert setlist.next().scene == "yaks"


def test_goto_song_by_name_or_index(setlist):
    assert setlist.goto_song("vortex") == setlist.songs[2].cues[0]   # any case
    assert setlist.current() == (2, 0)
    assert setlist.goto_song(" Night Train to Almaty ").scene == "haunting"
    assert setlist.current() == (1, 0)
    assert setlist.goto_song(0).scene == "steppe"
    with pytest.raises(ControlError, match=r"setlist\.toml: no song 'Blue Train' \(known: "):
        setlist.goto_song("Blue Train")
    with pytest.raises(ControlError, match=r"no song number 3 \(0\.\.2\)"):
        setlist.goto_song(3)
    assert setlist.current() == (0, 0)   # a failed jump moves nothing


def test_hud_texts(setlist):
    assert setlist.position_text() == "1/3 Dombra Wind · cue 1/3 steppe"
    assert setlist.upcoming() == "yaks"
    setlist.next()
    setlist.next()
    assert setlist.position_text() == "1/3 Dombra Wind · cue 3/3 night"
    assert setlist.upcoming() == "haunting"   # across the song boundary


GOOD_CUE = '[[song.cue]]\nscene = "steppe"\n'

BAD = {
    "unknown scene": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "tundra"\n',
                      r"song 1 'A': cue 1: unknown scene 'tundra' \(known: vortex, steppe"),
    "unknown transition": ('[[song]]\nname = "A"\n' + GOOD_CUE +
                           '[[song.cue]]\nscene = "club"\ntransition = "spiral"\n',
                           r"song 1 'A': cue 2: unknown transition 'spiral' \(known: crossfade, "),
    "empty song": ('[[song]]\nname = "A"\n' + GOOD_CUE + '[[song]]\nname = "B"\n',
                   r"song 2 'B': no \[\[song.cue\]\]"),
    "no songs": ('title = "x"\n', r"no \[\[song\]\]"),
    "bad quantize": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\nquantize = "phrase"\n',
                     r"song 1 'A': cue 1: quantize: 'phrase' is not one of none, beat, bar"),
    "unknown cue key": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\nbeat = 2\n',
                        r"song 1 'A': cue 1: beat: unknown key \(known: beats, quantize, "),
    "unknown song key": ('[[song]]\nname = "A"\ntempo = 120\n' + GOOD_CUE,
                         r"song 1 'A': tempo: unknown key \(known: cue, name\)"),
    "unknown top key": ('titel = "x"\n[[song]]\nname = "A"\n' + GOOD_CUE,
                        r"setlist\.toml: titel: unknown key \(known: song, title\)"),
    "beats and seconds": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\n'
                          'beats = 2\nseconds = 1\n', r"cue 1: give beats or seconds, not both"),
    "negative beats": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\nbeats = -1\n',
                       r"cue 1: beats: -1 is not a number from 0 to 600"),
    "no name": ('[[song]]\n' + GOOD_CUE, r"song 1: give it a name"),
    "same name twice": ('[[song]]\nname = "A"\n' + GOOD_CUE + '[[song]]\nname = "a"\n' + GOOD_CUE,
                        r"song 2 'a': the name is used twice"),
    "malformed": ('[[song]\nname = "A"\n', r"setlist\.toml: malformed TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_the_file(tmp_path, case):
    text, pattern = BAD[case]
    path = tmp_path / "setlist.toml"
    path.write_text(text)
    with pytest.raises(ControlError, match=pattern) as info:
        Setlist.load(path, SCENES, TRANSITIONS)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "gone.toml"
    with pytest.raises(ControlError, match=r"gone\.toml: setlist not found"):
        Setlist.load(path, SCENES, TRANSITIONS)
