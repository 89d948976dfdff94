"""The analysis plot reads like a musician's chart: note names on the pitch
axis, spelled in the music's key and transposed as the player reads them,
onsets as ticks on the pitch panel, beats apart, and no flat panels.

Checked through the matplotlib objects of the figure (the axes' labels,
tick labels and lines), on tracks whose answer is known, and once on the
shared tenor recording."""

import numpy as np
import pytest

from conftest import SHARED_DATA
from visualizer.analysis.features import FEATURE_INDEX as COL
from visualizer.analysis.notes import Note
from visualizer.analysis.report import figure, key_of, plot, spell
from visualizer.analysis.from_file import analyze_file
from visualizer.analysis.track import FeatureTrack

HOP = 0.01
EB_MAJOR = (63, 65, 67, 68, 70, 72, 74, 75)


def scale_track(*, vibrato: bool = False, beats: bool = True, voiced: bool = True) -> FeatureTrack:
    """An E♭ major scale, 0.5 s a note, with rests, onsets and (optionally) beats."""
    n = int(len(EB_MAJOR) * 0.5 / HOP) + 50
    rows = np.zeros((n, len(COL)), np.float32)
    t = (np.arange(n) + 1) * HOP
    k = np.minimum((t // 0.5).astype(int), len(EB_MAJOR) - 1)
    rows[:, COL["note"]] = np.array(EB_MAJOR)[k]
    rows[:, COL["voiced"]] = float(voiced) * ((t % 0.5) < 0.45)
    rows[:, COL["cents"]] = 8 * np.sin(2 * np.pi * 5 * t) if vibrato else 0.0
    if vibrato:
        rows[:, COL["vibrato_rate"]], rows[:, COL["vibrato_depth"]] = 5.0, 8.0 * (t > 1)
    rows[:, COL["level"]] = 0.5 + 0.4 * np.sin(t)
    rows[:, COL["loudness_momentary"]] = -20 + 3 * np.sin(t)
    rows[:, COL["loudness_short"]] = -21 + np.sin(t / 2)
    rows[:, COL["brightness"]] = 0.4 + 0.1 * np.sin(3 * t)
    rows[:, COL["intensity"]] = t / t[-1]
    rows[:, COL["tempo"]] = 120.0
    onsets = np.arange(len(EB_MAJOR)) * 0.5 + 0.01
    beat_times = np.arange(0.0, t[-1], 0.5) if beats else np.zeros(0)
    return FeatureTrack(HOP, rows, onsets, beat_times, 120.0 if beats else 0.0)


def panels(fig) -> dict:
    return {ax.get_label(): ax for ax in fig.axes}


def test_the_pitch_axis_names_the_notes_in_their_key():
    fig = figure(scale_track())
    ax = panels(fig)["pitch"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # The scale's notes, and the key's notes around them, in E♭'s spelling.
    assert labels == ["C4", "D4", "E♭4", "F4", "G4", "A♭4", "B♭4", "C5", "D5", "E♭5"], \
        labels
    assert all(float(v).is_integer() for v in ax.get_yticks())
    # Every semitone has a grid line: the named notes' or a minor one.
    every = np.union1d(ax.get_yticks(), ax.get_yticks(minor=True))
    assert np.array_equal(every, np.arange(every[0], every[-1] + 1)) and every.size >= 16
    assert ax.get_ylabel().startswith("pitch") and "concert" in ax.get_ylabel()


def test_transposed_for_a_tenor_the_chart_reads_as_the_player_reads():
    fig = figure(scale_track(), transpose=14, reading="tenor")
    ax = panels(fig)["pitch"]
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert {"F5", "G5", "A5", "B♭5", "C6", "D6", "E6", "F6"} <= labels, labels  # F major
    assert not any("♯" in x for x in labels)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "pitch")
    assert np.nanmax(line.get_ydata()) == 75 + 14 and "tenor" in ax.get_ylabel()


def test_transcribed_notes_are_bars_at_their_written_pitch():
    notes = [Note(0.0, 0.45, 63, 0.0, 90), Note(0.5, 0.95, 65, 0.0, 90)]
    ax = panels(figure(scale_track(), transpose=14, reading="tenor", notes=notes))["pitch"]
    bars = [ln for ln in ax.get_lines() if ln.get_linewidth() > 3]
    assert [(tuple(b.get_xdata()), tuple(b.get_ydata())) for b in bars] == [
        ((0.0, 0.45), (77, 77)), ((0.5, 0.95), (79, 79))]
    assert "notes" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_onsets_are_ticks_on_the_pitch_panel_and_beats_have_their_own():
    track = scale_track()
    fig = figure(track)
    axes = panels(fig)
    pitch = axes["pitch"]
    ticks = next(c for c in pitch.collections if c.get_label() == "onsets")
    xs = sorted(seg[0][0] for seg in ticks.get_segments())
    assert np.allclose(xs, track.onset_times)
    beats = axes["beats"]
    lines = [seg[0][0] for c in beats.collections for seg in c.get_segments()]
    assert set(np.round(track.beat_times, 6)) <= set(np.round(lines, 6))
    assert not any(c.get_label() == "onsets" for c in beats.collections)
    assert list(axes)[:2] == ["pitch", "beats"]   # the chart first


def test_flat_panels_and_lines_are_left_out():
    axes = panels(figure(scale_track(vibrato=False)))
    assert "vibrato" not in axes            # no vibrato in the whole file
    shape = [ln.get_label() for ln in axes["shape"].get_lines()]
    assert shape == ["intensity"]           # dynamics and climax never move
    with_vibrato = panels(figure(scale_track(vibrato=True)))
    assert "vibrato" in with_vibrato and "vibrato rate" not in axes
    unpitched = panels(figure(scale_track(voiced=False, beats=False)))
    assert "pitch" not in unpitched and "beats" not in unpitched
    assert "loudness" in unpitched


def test_key_and_spelling():
    assert key_of(np.array(EB_MAJOR)) == 3                     # E♭
    assert key_of(np.array([64, 66, 68, 69, 71, 73, 75])) == 4  # E major
    assert key_of(np.array([60, 62, 64, 65, 67, 69, 71])) == 0  # C, the fewest accidentals
    assert key_of(np.zeros(0)) == 0
    assert spell(63, 3) == "E♭4" and spell(63, 4) == "D♯4" and spell(60) == "C4"
    assert spell(70, 5) == "B♭4"                                 # F major has a flat


@pytest.fixture(scope="module")
def tenor():
    return analyze_file(SHARED_DATA / "sax" / "359500__mtg__sax-tenor-e-major.wav")


def test_the_tenor_scale_reads_in_its_key(tenor, tmp_path):
    """The shared recording: a concert E♭ major scale (written F major for tenor)."""
    ax = panels(figure(tenor))["pitch"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert {"E♭3", "F3", "G3", "A♭3", "B♭3", "C4", "D4", "E♭4"} <= set(labels), labels
    written = panels(figure(tenor, transpose=14, reading="tenor"))["pitch"]
    assert {"F4", "B♭4", "F5"} <= {t.get_text() for t in written.get_yticklabels()}
    assert "vibrato" not in panels(figure(tenor))
    out = tmp_path / "tenor.png"
    plot(tenor, out, title="tenor", transpose=14, reading="tenor")
    assert out.stat().st_size > 50_000
