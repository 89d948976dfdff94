"""The live show end to end: a real window under Xvfb, driven by keys
(xdotool), OSC over loopback and a setlist; recording, latency and
calibration; and the mistakes a performer can make on the command line."""

import os
import signal
import socket
import subprocess
import sys
import time

import av
import numpy as np
import pytest

from conftest import ROOT, run_cli, tone, wait_for_window, write_wav

SIZE = "320x180"


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    sr = 48000
    t = np.arange(sr * 8) / sr
    music = (0.6 * np.sin(2 * np.pi * 110 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
             + 0.2 * np.sin(2 * np.pi * 660 * t)).astype(np.float32)
    return write_wav(tmp_path_factory.mktemp("show") / "song.wav", music)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_live(display, *args, frames=240):
    env = dict(os.environ, DISPLAY=display)
    return subprocess.Popen([sys.executable, "-m", "visualizer", "live", "--size", SIZE,
                             "--frames", str(frames), "--play", "none", *args],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(proc, timeout=90):
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    return proc.returncode, out, err


def keys(display, *names, pause=0.3):
    env = dict(os.environ, DISPLAY=display)
    window = wait_for_window(display)
    assert window, "the live window never appeared"
    subprocess.run(["xdotool", "windowactivate", "--sync", window], env=env, capture_output=True)
    for name in names:
        subprocess.run(["xdotool", "key", "--window", window, name], env=env, check=True)
        time.sleep(pause)


def read_png(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)


def test_arrow_keys_step_through_scenes_with_their_transitions(xdisplay, song):
    # A switch waits for the beat (at most 4 s) and dissolves over two: room for both.
    proc = start_live(xdisplay, "--input", str(song), frames=480)
    keys(xdisplay, "Right", "Right", "Left")
    code, out, err = finish(proc)
    assert code == 0, err
    assert "ended on scene steppe" in out   # vortex -> steppe -> night -> steppe


def test_blackout_fades_to_black_and_the_hud_stays_out_of_it(xdisplay, song, tmp_path):
    shot = tmp_path / "black.png"
    proc = start_live(xdisplay, "--input", str(song), "--screenshot", str(shot), frames=150)
    keys(xdisplay, "b")
    code, out, err = finish(proc)
    assert code == 0, err
    assert read_png(shot).max() <= 2   # fully faded: a black screen on purpose


def test_hud_shows_over_the_picture(xdisplay, song, tmp_path):
    shots = {}
    for name, extra in (("plain", ()), ("hud", ("--hud",))):
        shots[name] = tmp_path / f"{name}.png"
        r = run_cli("live", "--size", SIZE, "--frames", "40", "--play", "none", "--input",
                    str(song), "--screenshot", str(shots[name]), "--fixed-scale", *extra,
                    env={"DISPLAY": xdisplay})
        assert r.returncode == 0, r.stderr
    plain, hud = read_png(shots["plain"]), read_png(shots["hud"])
    # The panel sits top-left; the bottom-right quarter is the scene alone.
    assert np.abs(hud[:60, :100] - plain[:60, :100]).mean() > 20
    assert np.abs(hud[120:, 200:] - plain[120:, 200:]).mean() < 20


def test_osc_over_loopback_changes_scenes_and_parameters_and_survives_garbage(xdisplay, song):
    from pythonosc.udp_client import SimpleUDPClient
    port = free_udp_port()
    proc = start_live(xdisplay, "--input", str(song), "--osc-port", str(port), frames=200)
    assert wait_for_window(xdisplay), "the live window never appeared"
    time.sleep(0.5)
    client = SimpleUDPClient("127.0.0.1", port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(b"\x00\xffnot osc at all", ("127.0.0.1", port))
    client.send_message("/no/such/address", 1.0)
    client.send_message("/scene", "no-such-scene")
    client.send_message("/param/steppe/no_such_param", 0.5)
    client.send_message("/scene", "night")
    client.send_message("/param01/night/stars", 1.0)
    code, out, err = finish(proc)
    assert code == 0, err
    assert "ended on scene night" in out
    assert "control messages ignored" in out


def test_a_setlist_advances_with_the_footswitch_keys(xdisplay, song, tmp_path):
    setlist = tmp_path / "set.toml"
    setlist.write_text('[[song]]\nname = "One"\n[[song.cue]]\nscene = "yaks"\n'
                       '[[song.cue]]\nscene = "club"\ntransition = "cut"\nquantize = "none"\n'
                       '[[song]]\nname = "Two"\n[[song.cue]]\nscene = "eyes"\n'
                       'transition = "cut"\nquantize = "none"\n')
    proc = start_live(xdisplay, "--input", str(song), "--setlist", str(setlist), frames=200)
    keys(xdisplay, "Down", "Down")
    code, out, err = finish(proc)
    assert code == 0, err
    assert "ended on scene eyes" in out   # yaks -> club -> the next song's eyes


def test_recording_plays_back_with_picture_and_sound(xdisplay, song, tmp_path):
    out_file = tmp_path / "show.mp4"
    r = run_cli("live", "--size", SIZE, "--frames", "120", "--play", "none", "--input",
                str(song), "--record", str(out_file), env={"DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    assert f"recorded {out_file}" in r.stdout
    with av.open(str(out_file)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(out_file)) as c:
        audio = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    assert len(frames) > 20 and np.mean(frames[-1]) > 10
    assert np.abs(audio).max() > 0.1   # the input's sound is in it


def test_ctrl_c_leaves_a_playable_recording(xdisplay, song, tmp_path):
    out_file = tmp_path / "cut.mp4"
    proc = start_live(xdisplay, "--input", str(song), "--record", str(out_file), frames=0)
    assert wait_for_window(xdisplay), "the live window never appeared"
    time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 130, err
    with av.open(str(out_file)) as c:
        assert sum(1 for _ in c.decode(video=0)) > 10


def test_latency_is_measured_from_real_capture_timestamps(xdisplay, mic_file):
    mic_file(np.tile(tone(220, 1.0, amp=0.5), 30))
    r = run_cli("live", "--device", "testmic", "--size", SIZE, "--frames", "60",
                env={"DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith("latency median"))
    median, p99 = (float(v.split()[0]) for v in line.split("median ")[1].split("p99 "))
    assert 0 < median <= p99 < 2000


def test_latency_calibration_flashes_on_clicks(xdisplay, mic_file):
    sr = 48000
    clicks = np.zeros(sr * 20, np.float32)
    clicks[::sr // 2] = 0.9      # a click every half second
    clicks[1::sr // 2] = -0.9
    mic_file(clicks)
    r = run_cli("latency", "--device", "testmic", "--size", SIZE, "--frames", "90",
                env={"DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    flashes = int(next(l for l in r.stdout.splitlines() if l.endswith("clicks flashed")).split()[0])
    assert flashes >= 2


@pytest.mark.parametrize("args, words", [
    (("--screen", "7"), "--screen 7: no such screen"),
    (("--midi", "no-such-port"), "MIDI"),
    (("--osc-send", "nohostport"), "--osc-send 'nohostport'"),
    (("--av-offset", "-50"), "a microphone cannot be heard ahead of time"),
    (("--setlist", "/no/such/set.toml"), "set.toml"),
    (("--record", "/no/such/dir/show.mp4"), "show.mp4: cannot write video"),
    (("--setlist", "examples/setlist.toml", "--scene", "club"), "not both"),
    (("--osc-host", "0.0.0.0"), "give --osc-port too"),
])
def test_bad_live_options_give_one_line_and_status_2(xdisplay, args, words):
    r = run_cli("live", "--size", SIZE, "--frames", "5", *args, env={"DISPLAY": xdisplay})
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("visualizer: error:")]
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_devices_lists_the_screens(xdisplay):
    r = run_cli("devices", env={"DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    assert "screens (--screen N):" in r.stdout and "1280x720" in r.stdout


FAULTY = """
import numpy as np
from visualizer.audio.ring import RingBuffer
from visualizer.output.window import LiveOptions, run_live
from visualizer.scene import discover

class Flaky(RingBuffer):
    calls = 0
    def drain(self):
        Flaky.calls += 1
        if Flaky.calls % 10 == 0:
            raise RuntimeError("the input driver hiccuped")
        return super().drain()

class Source:
    sample_rate, overflows = 48000, 0
    ring = Flaky(48000)
    def start(self): self.ring.write(np.full(4800, 0.3, np.float32), 0.0)
    def stop(self): pass

r = run_live(Source(), discover(), scene="vortex", options=LiveOptions(size=(160, 90), max_frames=45))
print("frames", r.frames, "faults", r.faults)
"""


def test_a_failing_frame_holds_the_last_picture_and_the_show_goes_on(xdisplay):
    r = subprocess.run([sys.executable, "-c", FAULTY], env=dict(os.environ, DISPLAY=xdisplay),
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "frames 45 faults 4" in r.stdout, r.stdout + r.stderr
    # Logged once, not once a frame.
    assert r.stderr.count("a frame failed and the last picture is held") == 1


def test_r_stops_and_starts_a_new_file_without_stalling_the_show(xdisplay, song, tmp_path):
    out_file = tmp_path / "set.mp4"
    proc = start_live(xdisplay, "--input", str(song), "--record", str(out_file), frames=420)
    assert wait_for_window(xdisplay), "the live window never appeared"
    time.sleep(1.5)                  # record a while
    keys(xdisplay, "r", pause=1.5)   # stop: the file is finished off the render thread
    keys(xdisplay, "r", pause=1.5)   # and a second one starts, never over the first
    code, out, err = finish(proc)
    assert code == 0, err
    second = tmp_path / "set-2.mp4"
    assert f"recorded {out_file}" in out and f"recorded {second}" in out
    for path in (out_file, second):
        with av.open(str(path)) as c:
            assert sum(1 for _ in c.decode(video=0)) > 10, path


def test_the_picture_follows_a_resized_window(xdisplay, song, tmp_path):
    shot = tmp_path / "resized.png"
    env = dict(os.environ, DISPLAY=xdisplay)
    proc = start_live(xdisplay, "--input", str(song), "--screenshot", str(shot), frames=150)
    window = wait_for_window(xdisplay)
    assert window, "the live window never appeared"
    subprocess.run(["xdotool", "windowsize", window, "400", "300"], env=env, check=True)
    code, out, err = finish(proc)
    assert code == 0, err
    picture = read_png(shot)
    assert picture.shape == (300, 400, 3)
    # Drawn at the new size, not the old one stretched: the vortex's bright
    # core stays round and centred, so both halves of the picture match in brightness.
    left, right = picture[:, :200].mean(), picture[:, 200:].mean()
    assert abs(left - right) < 0.25 * max(left, right)
