"""Bad input: one clear line naming the thing, exit status 2, no traceback."""

import shutil

import av
import numpy as np
import pytest

from conftest import ROOT, run_cli, tone, write_wav
from wavfile import wav_bytes


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    return write_wav(tmp_path_factory.mktemp("wav") / "ok.wav", tone(440, 0.5))


def assert_user_error(result, *needles):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_missing_audio_file(tmp_path):
    r = run_cli("render", str(tmp_path / "gone.wav"), "-o", str(tmp_path / "o.mp4"))
    assert_user_error(r, "gone.wav", "not found")
    assert not (tmp_path / "o.mp4").exists()


def test_undecodable_audio_file(tmp_path):
    bad = tmp_path / "noise.mp3"
    bad.write_bytes(b"this is not audio at all" * 100)
    r = run_cli("render", str(bad), "-o", str(tmp_path / "o.mp4"))
    assert_user_error(r, "noise.mp3", "cannot be decoded")
    assert not (tmp_path / "o.mp4").exists()


def test_unknown_scene(wav, tmp_path):
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.mp4"), "--scene", "disco")
    assert_user_error(r, "unknown scene 'disco'", "vortex")


def scene_dir(tmp_path, toml: str, glsl: str | None = None):
    scenes, shaders = tmp_path / "scenes", tmp_path / "shaders"
    scenes.mkdir()
    shutil.copytree(ROOT / "shaders", shaders)
    (scenes / "bad.toml").write_text(toml)
    if glsl is not None:
        (shaders / "bad.glsl").write_text(glsl)
    return {"VISUALIZER_SCENES": str(scenes), "VISUALIZER_SHADERS": str(shaders)}


def test_malformed_scene_toml(wav, tmp_path):
    env = scene_dir(tmp_path, 'shader = "vortex.glsl"\n[params.spin\n')
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.mp4"), env=env)
    assert_user_error(r, "bad.toml", "malformed TOML")


def test_shader_that_does_not_compile(wav, tmp_path):
    env = scene_dir(tmp_path, 'shader = "bad.glsl"\n',
                    "void mainImage(out vec4 c, in vec2 p) {\n    c = vec4(oops);\n}\n")
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.mp4"), env=env)
    assert_user_error(r, "bad.glsl:2:", "oops")
    assert not (tmp_path / "o.mp4").exists()


def test_device_that_does_not_exist(tmp_path):
    r = run_cli("live", "--device", "Imaginary Interface", "--frames", "1")
    assert_user_error(r, "'Imaginary Interface'", "not found")


def test_output_that_cannot_be_written(wav, tmp_path):
    r = run_cli("render", str(wav), "-o", str(tmp_path / "no" / "such" / "dir" / "o.mp4"))
    assert_user_error(r, "o.mp4", "does not exist")


def test_bad_size_is_a_usage_error(wav, tmp_path):
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.mp4"), "--size", "big")
    assert r.returncode == 2 and "'big' is not a size" in r.stderr and "Traceback" not in r.stderr


def test_listing_commands_work():
    scenes = run_cli("scenes")
    assert scenes.returncode == 0
    assert "[1] vortex" in scenes.stdout and "[2] steppe" in scenes.stdout
    devices = run_cli("devices")
    assert devices.returncode == 0 and "testmic" in devices.stdout
    assert "ALSA lib" not in devices.stderr and "Unknown PCM" not in devices.stderr


# Issue 10: broken audio, audio too short, an output that is a folder, flag
# mistakes, a file cut short in a live show.

def _decode(path):
    """(video frames, audio as (channels, n) float) of a rendered file."""
    with av.open(str(path)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    return frames, audio


def test_nan_and_inf_in_a_float_wav_render_as_silence_with_one_line(tmp_path):
    x = np.stack([tone(440, 1.0), tone(440, 1.0)], axis=1).astype(np.float64)
    x[12000:13000, 0] = np.nan
    x[30000, :] = np.inf
    x[30001, 1] = -np.inf
    x[40000:40010, :] = 1e30    # finite, but the AAC encoder refuses it all the same
    song = tmp_path / "song.wav"
    song.write_bytes(wav_bytes(x, rate=48000, fmt="f32"))
    out = tmp_path / "o.mp4"
    r = run_cli("render", str(song), "-o", str(out), "--size", "64x36")
    assert r.returncode == 0, r.stderr
    notes = [l for l in r.stderr.splitlines() if l.startswith("visualizer:")]
    assert notes == ["visualizer: " + str(song) + ": 1003 non-finite samples (NaN/inf) replaced "
                     "with silence, 20 samples beyond +-16 clipped"], r.stderr
    assert "Traceback" not in r.stderr
    frames, audio = _decode(out)
    assert frames == 30
    assert np.isfinite(audio).all() and audio.shape[1] > 40000
    assert 0.2 < np.sqrt(np.mean(audio[:, 20000:28000] ** 2)) < 0.5   # the tone is heard


def test_one_sample_is_too_short_to_render_and_leaves_no_file(tmp_path):
    one = write_wav(tmp_path / "one.wav", np.zeros(1, np.float32))
    out = tmp_path / "o.mp4"
    r = run_cli("render", str(one), "-o", str(out), "--size", "64x36")
    assert_user_error(r, "one.wav", "too short")
    assert not out.exists()


@pytest.mark.parametrize("command", [["sheet"], ["snapshot", "--at", "0"]])
def test_one_sample_is_too_short_for_stills(tmp_path, command):
    one = write_wav(tmp_path / "one.wav", np.zeros(1, np.float32))
    out = tmp_path / "o.png"
    r = run_cli(command[0], str(one), *command[1:], "-o", str(out), "--size", "64x36")
    assert_user_error(r, "one.wav", "too short for a still")
    assert not out.exists()


def test_an_output_that_is_a_folder_is_named_and_kept(wav, tmp_path):
    folder = tmp_path / "X.mp4"
    folder.mkdir()
    r = run_cli("render", str(wav), "-o", str(folder), "--size", "64x36")
    assert_user_error(r, "X.mp4", "is a folder")
    assert folder.is_dir()


def test_a_failed_render_cleans_up_without_hiding_the_error(wav, tmp_path):
    # The third picture of a PNG sequence cannot be written (a folder holds
    # its name): the frames written before are removed, the folder is left,
    # and the one line says why.
    (tmp_path / "o_00003.png").mkdir()
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.png"), "--size", "64x36")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("visualizer:")]  # not the progress
    assert len(errors) == 1 and "o.png: writing failed (Is a directory)" in errors[0], r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o_00003.png"]


@pytest.mark.parametrize("flag, value, words", [
    ("--size", "banana", "argument --size: 'banana' is not a size like 1280x720"),
    ("--fps", "0", "argument --fps: fps 0 is outside 24..120"),
    ("--preset", "warp", "argument --preset: invalid choice: 'warp'"),
])
def test_a_flag_mistake_is_one_line_that_says_where_to_look(wav, tmp_path, flag, value, words):
    r = run_cli("render", str(wav), "-o", str(tmp_path / "o.mp4"), flag, value)
    assert_user_error(r, "visualizer render: error: " + words, "(see visualizer render --help)")
    assert "usage:" not in r.stderr


def test_help_still_prints_the_whole_usage():
    r = run_cli("render", "--help")
    assert r.returncode == 0 and "usage: visualizer render" in r.stdout and "--supersample" in r.stdout


def test_live_plays_a_file_cut_short_and_says_so_in_one_line(xdisplay, tmp_path):
    whole = write_wav(tmp_path / "whole.wav", tone(220, 3.0)).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[:len(whole) // 6])   # the header still says 3 s
    r = run_cli("live", "--input", str(cut), "--play", "none", "--size", "320x180",
                "--frames", "20", env={"DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("visualizer:")]
    assert lines == [f"visualizer: {cut}: is cut short: its header says 3.0 s but only 0.5 s "
                     "decode; playing what there is"], r.stderr
    assert "20 frames shown" in r.stdout
