"""Bad input: one clear line naming the thing, exit status 2, no traceback."""

import shutil

import pytest

from conftest import ROOT, run_cli, tone, write_wav


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
