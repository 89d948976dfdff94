"""Offline analysis has zero lag: features land on the audio they describe,
and a rendered video's flashes land on the frame of the beat."""

import av
import numpy as np
import pytest

from conftest import run_cli, write_wav
from visualizer.analysis.track import analyze
from visualizer.engine.offline import RenderOptions, render_file
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import Pass, Scene

SR = 48000


def click_track(bpm: float, seconds: float, *, start: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Kick-like blips (a 60 ms decaying 90 Hz sine + a click) on every beat."""
    x = np.zeros(int(SR * seconds), np.float32)
    times = np.arange(start, seconds - 0.2, 60.0 / bpm)
    t = np.arange(int(0.06 * SR)) / SR
    blip = (0.8 * np.sin(2 * np.pi * 90 * t) * np.exp(-t / 0.015)).astype(np.float32)
    blip[:48] += np.hanning(96)[48:].astype(np.float32) * 0.5
    rng = np.random.default_rng(0)
    for c in times:
        i = int(round(c * SR))
        x[i:i + blip.size] += blip[:x.size - i]
    x += rng.standard_normal(x.size).astype(np.float32) * 0.002
    return x, times


@pytest.fixture(scope="module")
def clicks():
    return click_track(120, 12.0)


@pytest.fixture(scope="module")
def track(clicks):
    return analyze(clicks[0], sample_rate=SR)


def nearest(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.array([np.min(np.abs(found - t)) for t in truth])


def test_offline_onsets_land_on_the_clicks(track, clicks):
    _, truth = clicks
    assert track.onset_times.size == truth.size
    assert nearest(track.onset_times, truth).max() < 0.015
    # The onset pulse peaks on the click's hop, not a window later.
    pulse = track.column("onset")
    peaks = track.times[np.flatnonzero((pulse[1:] > 0.99) & (pulse[:-1] < 0.99)) + 1]
    assert nearest(peaks, truth).max() < 0.015


def test_offline_level_rises_with_the_click_not_after_it(track, clicks):
    _, truth = clicks
    level = track.column("level")
    for c in truth[2:6]:
        i = track.index_at(c)
        assert level[i - 4] < 0.5 < level[i + 4]  # within about 20 ms either side


def test_offline_beats_and_tempo(track, clicks):
    _, truth = clicks
    assert abs(track.tempo - 120) < 1.2
    assert nearest(track.beat_times, truth[1:-1]).max() < 0.07
    # The pulse peaks (at least e^(-hop / 100 ms)) on the first hop after each beat.
    beat = track.column("beat")
    on_beat = track.times[np.flatnonzero((beat[1:] > 0.9) & (beat[:-1] < 0.9)) + 1]
    assert on_beat.size == truth[2:-2].size + 4 or on_beat.size >= truth[2:-2].size
    assert nearest(on_beat, truth[2:-2]).max() < 0.07


def test_rendered_beat_flashes_land_on_the_frame_of_the_beat(tmp_path, clicks):
    """A scene that is white on iBeat: the bright frames are the beats' frames."""
    x, truth = clicks
    wav = write_wav(tmp_path / "clicks.wav", x, SR)
    shader = tmp_path / "flash.glsl"
    shader.write_text("void mainImage(out vec4 c, in vec2 p) { c = vec4(vec3(iBeat), 1.0); }\n")
    scene = Scene(key="flash", path=tmp_path / "flash.toml", passes=(Pass(shader),), title="flash")
    out = tmp_path / "flash.mp4"
    fps = 30
    render_file(wav, out, scenes=[scene], cues=[Cue(0, "flash")],
                options=RenderOptions(size=(32, 18), fps=fps, progress=False))
    with av.open(str(out)) as c:
        brightness = np.array([f.to_ndarray(format="gray").mean() for f in c.decode(video=0)])
    # Around each beat, the brightest frame is the frame nearest it (give or
    # take one for the tracker's placement), and the pulse is 1 there.
    for b in truth[2:-2]:
        nearest_frame = round(b * fps)
        near = np.arange(nearest_frame - 5, nearest_frame + 6)
        brightest = near[np.argmax(brightness[near])]
        assert abs(brightest - nearest_frame) <= 1, (b, brightness[near].round())
        assert brightness[brightest] > 0.9 * 255


def test_analyze_command_writes_csv_and_plot(tmp_path, clicks):
    wav = write_wav(tmp_path / "clicks.wav", clicks[0], SR)
    csv_path, png = tmp_path / "f.csv", tmp_path / "f.png"
    r = run_cli("analyze", str(wav), "-o", str(csv_path), "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert "tempo 120" in r.stdout or "tempo 119" in r.stdout
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("time_s,level,bass,mid,high")
    assert len(lines) == 1 + 1200  # 12 s at 100 rows per second
    with av.open(str(png)) as c:
        img = next(c.decode(video=0))
        # No pitch panel (clicks have no notes) and no flat ones: shorter than it was.
        assert img.width > 800 and img.height > 500


def test_analyze_of_a_missing_file_is_a_clear_error(tmp_path):
    r = run_cli("analyze", str(tmp_path / "none.flac"))
    assert r.returncode == 2 and "none.flac: audio file not found" in r.stderr
    assert "Traceback" not in r.stderr
