"""A render's flashes land on the frame nearest their event, at any frame rate.

Clicks at irregular times, then a steady stretch the beat tracker can follow,
rendered through a scene whose red is ``iOnset`` and green ``iBeat``; the
video is decoded with PyAV and each flash's frame (the frame where the
channel jumps) is compared with its event. Sampling each frame at its own
time put every flash on the frame after (mean +24 ms at 24 fps); the nearest
frame makes the error at most half a frame either way and zero on average.
"""

import math

import av
import numpy as np
import pytest

from conftest import write_wav
from visualizer.analysis.features import FEATURE_INDEX as COL
from visualizer.analysis.track import FeatureTrack, analyze
from visualizer.engine.offline import RenderOptions, render_file
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import Pass, Scene

SR = 48000
HOP_S = 256 / SR


def clicks() -> tuple[np.ndarray, np.ndarray]:
    """6 s of clicks 0.28 to 0.61 s apart at random, then 13 beats 0.523 s apart.

    The beat period is no whole number of frames at 24, 30 or 60 fps, so the
    beats fall at all places between two frames.
    """
    rng = np.random.default_rng(7)
    irregular = 0.4 + np.cumsum(rng.uniform(0.28, 0.61, 13))
    steady = irregular[-1] + 0.6 + np.arange(13) * 0.523
    times = np.concatenate([irregular, steady])
    x = np.zeros(int(SR * (times[-1] + 0.6)), np.float32)
    t = np.arange(int(0.06 * SR)) / SR
    blip = (0.8 * np.sin(2 * np.pi * 90 * t) * np.exp(-t / 0.015)).astype(np.float32)
    blip[:48] += np.hanning(96)[48:].astype(np.float32) * 0.5
    for c in times:
        i = int(round(c * SR))
        x[i:i + blip.size] += blip
    x += rng.standard_normal(x.size).astype(np.float32) * 0.002
    return x, times


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The click track, its analysis, and per fps the decoded (times, red, green)."""
    d = tmp_path_factory.mktemp("sync")
    x, truth = clicks()
    wav = write_wav(d / "clicks.wav", x, SR)
    track = analyze(x, sample_rate=SR)
    shader = d / "flash.glsl"
    shader.write_text("void mainImage(out vec4 c, in vec2 p) "
                      "{ c = vec4(iOnset, iBeat, 0.0, 1.0); }\n")
    scene = Scene(key="flash", path=d / "flash.toml", passes=(Pass(shader),), title="flash")
    videos = {}
    for fps in (24, 30, 60):
        out = d / f"flash{fps}.mp4"
        render_file(wav, out, scenes=[scene], cues=[Cue(0, "flash")], track=track,
                    options=RenderOptions(size=(16, 16), fps=fps, progress=False))
        with av.open(str(out)) as c:
            frames = [(f.time, f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0))
                      for f in c.decode(video=0)]
        videos[fps] = (np.array([t for t, _ in frames]), np.array([rgb for _, rgb in frames]))
    return truth, track, videos


def flash_errors(events: np.ndarray, frame_times: np.ndarray, channel: np.ndarray,
                 fps: int) -> np.ndarray:
    """Seconds from each event to its flash: the frame within 4 of it where the channel jumps."""
    rise = np.diff(channel, prepend=0.0)
    errors = []
    for e in events:
        near = np.arange(max(round(e * fps) - 4, 0), min(round(e * fps) + 5, channel.size))
        k = near[np.argmax(rise[near])]
        assert channel[k] > 0.9 * 255, (e, k, channel[near].round())  # the pulse is 1 there
        errors.append(frame_times[k] - e)
    return np.array(errors)


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_onset_flashes_land_on_the_nearest_frame(rendered, fps):
    truth, track, videos = rendered
    times, rgb = videos[fps]
    assert track.onset_times.size == truth.size
    half = 0.5 / fps
    # Against the onsets the analysis found: exactly the nearest frame.
    found = flash_errors(track.onset_times, times, rgb[:, 0], fps)
    assert np.abs(found).max() <= half + 1e-6, found * 1000
    # Against the clicks themselves: the same, give or take the detector's
    # resolution (half a hop, 2.7 ms), and on time on average.
    err = flash_errors(truth, times, rgb[:, 0], fps)
    assert np.abs(err).max() <= half + HOP_S, err * 1000
    assert abs(err.mean()) < half / 2, err * 1000


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_beat_flashes_land_on_the_nearest_frame(rendered, fps):
    truth, track, videos = rendered
    times, rgb = videos[fps]
    steady = truth[13:]
    beats = track.beat_times[(track.beat_times > steady[1]) & (track.beat_times < steady[-2])]
    assert beats.size >= 8
    err = flash_errors(beats, times, rgb[:, 1], fps)
    assert np.abs(err).max() <= 0.5 / fps + 1e-6, err * 1000
    assert abs(err.mean()) < 0.25 / fps, err * 1000


def test_frames_put_each_event_on_its_nearest_frame():
    """The sampler alone: pulses peak, counts and the beat phase step on round(t * fps)."""
    hop = 0.005
    rows = np.zeros((2000, len(COL)), np.float32)
    rows[:, COL["level"]] = np.arange(2000) * hop  # a ramp: continuous features are not moved
    onsets = np.array([0.51, 1.229, 2.0, 3.77])
    beats = np.arange(0.3, 9.5, 0.5 + 1 / 97)
    track = FeatureTrack(hop, rows, onsets, beats, 60 / (0.5 + 1 / 97))
    for fps, start in ((24, 0.0), (30, 0.0), (60, 0.0), (24, 0.3)):
        frames = track.frames(fps, start=start)
        k_all = np.arange(math.ceil((9.5 - start) * fps))
        v = np.array([frames.values(start + k / fps).copy() for k in k_all])
        for e in onsets[onsets >= start]:
            k = round((e - start) * fps)
            assert v[k, COL["onset"]] == 1.0 and v[k - 1, COL["onset"]] < 0.9
            assert v[k, COL["onset_count"]] == v[k - 1, COL["onset_count"]] + 1
        for b in beats[(beats > start + 0.1) & (beats < 9.0)]:
            k = round((b - start) * fps)
            assert v[k, COL["beat"]] == 1.0 and v[k - 1, COL["beat"]] < 0.9
            assert v[k, COL["beat_phase"]] == 0.0 and v[k - 1, COL["beat_phase"]] > 0.9
            assert v[k, COL["beat_count"]] == v[k - 1, COL["beat_count"]] + 1
        t = start + k_all / fps
        assert np.allclose(v[:, COL["level"]], rows[[track.index_at(x) for x in t], COL["level"]])
