"""A real pyglet window on a real X server (Xvfb), driven as a user would."""

import os
import shutil
import subprocess
import sys

import av
import numpy as np
import pytest

from conftest import ROOT, run_cli, wait_for_window, write_wav
from paced_mic import PacedMic
from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.render.timing import FrameTiming

SIZE = "320x180"


def read_png(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    sr = 48000
    t = np.arange(sr * 6) / sr
    loud = (0.8 * np.sin(2 * np.pi * 55 * t) + 0.2 * np.sin(2 * np.pi * 880 * t)).astype(np.float32)
    return {"loud": write_wav(folder / "loud.wav", loud), "silent": write_wav(folder / "silent.wav", loud * 0)}


def live(display, *args, frames=60):
    # --play none: the test machine's only "speaker" is the unpaced ALSA file
    # device, so playback is paced by the wall clock as without a sound card.
    return run_cli("live", "--size", SIZE, "--frames", str(frames), "--play", "none", *args,
                   env={"DISPLAY": display})


def test_live_window_shows_the_scene_and_reacts_to_the_music(xdisplay, songs, tmp_path):
    shots = {}
    for name, wav in songs.items():
        shot = tmp_path / f"{name}.png"
        r = live(xdisplay, "--input", str(wav), "--screenshot", str(shot), frames=90)
        assert r.returncode == 0, r.stderr
        assert "90 frames shown" in r.stdout
        shots[name] = read_png(shot)
    loud, silent = shots["loud"], shots["silent"]
    assert loud.shape == (180, 320, 3)
    assert loud.std() > 15 and silent.mean() > 8  # a picture, and never black
    assert loud.mean() > silent.mean() + 5        # the music lights it up
    assert np.abs(loud - silent).mean() > 10


def test_number_keys_switch_scenes(xdisplay, songs, tmp_path, renderer, scenes):
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (make test installs it)")
    shot = tmp_path / "after_key.png"
    env = dict(os.environ, DISPLAY=xdisplay)
    proc = subprocess.Popen([sys.executable, "-m", "visualizer", "live", "--size", SIZE,
                             "--input", str(songs["loud"]), "--frames", "240", "--play", "none",
                             "--screenshot", str(shot)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        window = wait_for_window(xdisplay)
        assert window, "the live window never appeared"
        subprocess.run(["xdotool", "windowactivate", "--sync", window], env=env, capture_output=True)
        subprocess.run(["xdotool", "key", "--window", window, "2"], env=env, check=True)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    picture = read_png(shot)
    # Compare with headless renders of both scenes for a loud frame: the
    # window must now show the second scene (steppe), not the first.
    target = renderer.offscreen((320, 180))
    frame = FeatureFrame()
    frame.values[[FEATURE_INDEX[n] for n in ("level", "bass", "mid")]] = 0.9
    distance = {}
    for key in ("vortex", "steppe"):
        renderer.compile(next(s for s in scenes if s.key == key))
        renderer.draw(key, frame, FrameTiming(time=4.0), target.fbo)
        distance[key] = np.abs(target.read().astype(np.int16) - picture).mean()
    assert distance["steppe"] < distance["vortex"]


def test_live_from_the_microphone(xdisplay, tmp_path):
    # The whole path from a real PortAudio capture stream to the window, from
    # a microphone that delivers in real time as a sound card does (however
    # busy the machine, the show hears the tone all along).
    from conftest import tone as make_tone
    shot = tmp_path / "mic.png"
    with PacedMic(make_tone(55, 1.0, amp=0.8)) as mic:
        r = run_cli("live", "--device", mic.name, "--size", SIZE, "--frames", "30",
                    "--screenshot", str(shot), env={"DISPLAY": xdisplay, **mic.env})
    assert r.returncode == 0, r.stderr
    assert "30 frames shown" in r.stdout and "input overflows" in r.stdout
    assert read_png(shot).std() > 15
