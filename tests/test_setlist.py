"""The setlist: the example set loads against the real scenes and
transitions, steps through its songs like a footswitch, and every mistake in
a file is one line naming the file, the song and the cue. A cue's table
means the same in a setlist and a timeline (one reader, scenes/cues.py)."""

from pathlib import Path

import numpy as np
import pytest

from visualizer.analysis.track import COL, FeatureTrack
from visualizer.control.setlist import Setlist
from visualizer.errors import ControlError, SceneError
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import TRANSITIONS_DIR, discover
from visualizer.scenes.timeline import load_timeline

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
    assert vortex == Cue(0.0, "vortex", "vortex_zoom", beats=2.0, quantize="bar",
                         fx=("trails", "glow"))   # the climax brings the effects
    assert setlist.songs[2].cues[0] == Cue(0.0, "club", quantize="beat")   # "cut"


def test_next_steps_through_every_cue_then_wraps_into_the_next_song(setlist):
    seen = [(setlist.current(), setlist.cue().scene)]
    while (cue := setlist.next()) is not None:
        assert cue == setlist.cue()
        seen.append((setlist.current(), cue.scene))
    assert seen == [
        ((0, 0), "steppe"), ((0, 1), "yaks"), ((0, 2), "night"), ((0, 3), "dawn"),
        ((1, 0), "haunting"), ((1, 1), "night"), ((1, 2), "journey"), ((1, 3), "almaty"),
        ((1, 4), "club"),
        ((2, 0), "club"), ((2, 1), "eyes"), ((2, 2), "crowd"), ((2, 3), "vortex"),
        ((2, 4), "steppe"), ((2, 5), "echo")]
    # The end of the set: the footswitch does nothing, the position stays.
    assert setlist.at_end and setlist.next() is None and setlist.current() == (2, 5)
    assert setlist.upcoming() == ""


def test_prev_goes_back_across_songs_and_stops_at_the_start(setlist):
    setlist.goto_song(1)
    assert setlist.prev() == setlist.songs[0].cues[-1]
    assert setlist.current() == (0, 3)
    assert setlist.prev().scene == "night"
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
    assert setlist.position_text() == "1/3 Dombra Wind · cue 1/4 steppe"
    assert setlist.upcoming() == "yaks"
    setlist.next()
    setlist.next()
    setlist.next()
    assert setlist.position_text() == "1/3 Dombra Wind · cue 4/4 dawn"
    assert setlist.upcoming() == "haunting"   # across the song boundary


GOOD_CUE = '[[song.cue]]\nscene = "steppe"\n'

BAD = {
    "unknown scene": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "tundra"\n',
                      r"song 1 'A': cue 1: scene: unknown scene 'tundra' \(known: vortex, steppe"),
    "unknown transition": ('[[song]]\nname = "A"\n' + GOOD_CUE +
                           '[[song.cue]]\nscene = "club"\ntransition = "spiral"\n',
                           r"song 1 'A': cue 2: transition: unknown transition 'spiral' "
                           r"\(known: crossfade, "),
    "empty song": ('[[song]]\nname = "A"\n' + GOOD_CUE + '[[song]]\nname = "B"\n',
                   r"song 2 'B': no \[\[song.cue\]\]"),
    "no songs": ('title = "x"\n', r"no \[\[song\]\]"),
    "bad quantize": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\nquantize = "phrase"\n',
                     r"song 1 'A': cue 1: quantize: 'phrase' is not one of none, beat, bar"),
    "unknown cue key": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\nbeat = 2\n',
                        r"song 1 'A': cue 1: beat: unknown key \(known: beats, duration, fx, look, quantize, "),
    "unknown song key": ('[[song]]\nname = "A"\ntempo = 120\n' + GOOD_CUE,
                         r"song 1 'A': tempo: unknown key \(known: cue, name\)"),
    "unknown top key": ('titel = "x"\n[[song]]\nname = "A"\n' + GOOD_CUE,
                        r"setlist\.toml: titel: unknown key \(known: song, title\)"),
    "beats and duration": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\n'
                           'beats = 2\nduration = 1\n', r"cue 1: give beats or duration, not both"),
    "the old name of duration": ('[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\n'
                                 'seconds = 1.5\n',
                                 r"song 1 'A': cue 1: seconds: unknown key; the transition length "
                                 r"is 'duration' \(known: beats, duration, "),
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


# -- one cue, in a setlist or a timeline ------------------------------------------

CUE_TABLES = [   # (the keys of one cue, as a setlist reads it, as a timeline reads it)
    ('transition = "wipe"\nbeats = 2\nquantize = "bar"',
     Cue(0.0, "club", "wipe", beats=2.0, quantize="bar"),
     Cue(5.0, "club", "wipe", beats=2.0, quantize="bar")),
    ('duration = 1.5', Cue(0.0, "club", "crossfade", duration=1.5, quantize="beat"),
     Cue(5.0, "club", "crossfade", duration=1.5)),
    ('transition = "cut"\nbeats = 4', Cue(0.0, "club", quantize="beat"), Cue(5.0, "club")),
    ('', Cue(0.0, "club", "crossfade", beats=1.0, quantize="beat"), Cue(5.0, "club")),
]


@pytest.fixture(scope="module")
def track():
    """60 s at 120 BPM: 15 bars."""
    return FeatureTrack(0.01, np.zeros((6000, len(COL)), np.float32), np.zeros(0),
                        np.arange(0.25, 60.0, 0.5), 120.0)


def both(tmp_path, track, keys: str):
    """The cue ``keys`` give in a setlist and in a timeline (at 5 s)."""
    setlist, timeline = tmp_path / "set.toml", tmp_path / "line.toml"
    setlist.write_text(f'[[song]]\nname = "A"\n[[song.cue]]\nscene = "club"\n{keys}\n')
    timeline.write_text(f'[[cue]]\nat = 0.0\nscene = "steppe"\n'
                        f'[[cue]]\nat = 5.0\nscene = "club"\n{keys}\n')
    cues, _ = load_timeline(timeline, scenes=discover(), track=track)
    return Setlist.load(setlist, SCENES, TRANSITIONS).cue(), cues[1]


@pytest.mark.parametrize("keys, in_setlist, in_timeline", CUE_TABLES)
def test_a_cue_reads_the_same_in_a_setlist_and_a_timeline(tmp_path, track, keys, in_setlist,
                                                          in_timeline):
    # What a cue leaves out differs, as the two are used: a setlist's comes
    # on the beat and crossfades over one, as a scene key does; a timeline's
    # is exactly at its time and cuts unless it gives a length.
    assert both(tmp_path, track, keys) == (in_setlist, in_timeline)


@pytest.mark.parametrize("keys, message", [
    ('seconds = 1.5', r"cue\[1\]\.seconds: unknown key; the transition length is 'duration' "
                      r"\(known: at, bar, beats, duration, fx, look, quantize, scene, transition\)"),
    ('beats = 2\nduration = 1.0', r"cue\[1\]: give beats or duration, not both"),
    ('beats = 700', r"cue\[1\]\.beats: 700 is not a number from 0 to 600"),
    ('quantize = "phrase"', r"cue\[1\]\.quantize: 'phrase' is not one of none, beat, bar"),
    ('transition = "spiral"', r"cue\[1\]\.transition: unknown transition 'spiral' "
                              r"\(known: crossfade, .*, cut\)"),
])
def test_a_timeline_cue_is_refused_as_a_setlist_cue_is(tmp_path, track, keys, message):
    with pytest.raises(SceneError, match=r"line\.toml: " + message):
        both(tmp_path, track, keys)


def test_a_quantised_timeline_cue_is_busy_until_its_latest_end(tmp_path, track):
    # Quantised to the bar, the transition may start up to a bar (2 s at
    # 120 BPM) after the cue's time, and last a beat more: a cue inside
    # that is an overlap.
    path = tmp_path / "q.toml"
    cue = '[[cue]]\nat = {}\nscene = "{}"\nbeats = 1\nquantize = "bar"\n'
    path.write_text(cue.format(0.0, "steppe") + cue.format(10.0, "club") + cue.format(12.6, "eyes"))
    cues, _ = load_timeline(path, scenes=discover(), track=track)
    assert [c.quantize for c in cues] == ["bar"] * 3
    path.write_text(cue.format(0.0, "steppe") + cue.format(10.0, "club") + cue.format(12.2, "eyes"))
    with pytest.raises(SceneError, match=r"cue\[2\]: at 12.2 s it overlaps the previous cue "
                                         r"\(busy until 12\.50 s\)"):
        load_timeline(path, scenes=discover(), track=track)
