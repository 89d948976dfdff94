"""Hot reload: edits apply, a broken shader keeps the last good picture and
shows the error, a fix recovers, and a hundred reloads leak nothing."""

import io
import os
import resource
import shutil
import subprocess
import sys
import time

import moderngl
import numpy as np
import pytest

from conftest import ROOT, wait_for_window
from visualizer.engine.core import Engine
from visualizer.engine.watch import SceneWatcher
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.scene import load_scene

SHADER = "void mainImage(out vec4 c, in vec2 p) {{ c = vec4({r}, 0.2, 0.3, 1.0) * tint; }}\n"
TOML = ('shader = "live.glsl"\n[params.tint]\ndefault = 1.0\nrange = [0.0, 2.0]\n')


@pytest.fixture
def stage(tmp_path):
    scenes, shaders = tmp_path / "scenes", tmp_path / "shaders"
    shutil.copytree(ROOT / "shaders", shaders)
    scenes.mkdir()
    (shaders / "live.glsl").write_text(SHADER.format(r="0.8"))
    (scenes / "live.toml").write_text(TOML)
    r = Renderer.headless()
    engine = Engine(r, [load_scene(scenes / "live.toml", shaders_dir=shaders)], scene="live")
    log = io.StringIO()
    watcher = SceneWatcher(engine, interval=0.0, shaders_dir=shaders, stream=log)
    yield engine, watcher, shaders / "live.glsl", log
    r.release()


def red(engine) -> float:
    target = engine.renderer.offscreen((8, 8))
    engine.step(np.zeros(0, np.float32), FrameTiming(time=1.0), target.fbo)
    return float(target.read()[..., 0].mean())


def touch(path, text):
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # a new mtime, surely


def test_an_edit_applies_a_break_keeps_the_last_good_picture_and_a_fix_recovers(stage):
    engine, watcher, shader, log = stage
    assert abs(red(engine) - 204) <= 1
    touch(shader, SHADER.format(r="0.4"))
    assert watcher.poll() == ["live"]
    assert abs(red(engine) - 102) <= 1
    touch(shader, "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(oops);\n}\n")
    assert watcher.poll() == []
    assert "live.glsl:2:" in watcher.error and "oops" in watcher.error
    assert "live.glsl:2:" in log.getvalue()
    assert abs(red(engine) - 102) <= 1            # still the last good picture
    touch(shader, SHADER.format(r="1.0"))
    assert watcher.poll() == ["live"] and watcher.error == ""
    assert red(engine) == 255


def test_a_broken_scene_file_is_survived_too(stage):
    engine, watcher, shader, log = stage
    toml = engine.scenes[0].path
    touch(toml, TOML.replace("default = 1.0", "default = 9.0"))
    assert watcher.poll() == []
    assert "params.tint.default: 9.0 is outside" in watcher.error
    touch(toml, TOML.replace("default = 1.0", "default = 0.5"))
    assert watcher.poll() == ["live"]
    assert abs(red(engine) - 102) <= 1            # the new default applies


def test_a_shader_beside_its_scene_file_reloads(tmp_path):
    """A performer's own folder, TOML and GLSL side by side and the built-in
    shaders left where they are: the watcher finds the shader where the
    scene did, and an edit to it applies (a break keeps the last good one)."""
    mine = tmp_path / "my-scenes"
    mine.mkdir()
    (mine / "live.glsl").write_text(SHADER.format(r="0.8"))
    (mine / "live.toml").write_text(TOML)
    r = Renderer.headless()
    try:
        engine = Engine(r, [load_scene(mine / "live.toml")], scene="live")
        watcher = SceneWatcher(engine, interval=0.0, stream=io.StringIO())
        assert engine.scenes[0].shader == mine / "live.glsl"
        assert abs(red(engine) - 204) <= 1
        touch(mine / "live.glsl", SHADER.format(r="0.4"))
        assert watcher.poll() == ["live"]
        assert abs(red(engine) - 102) <= 1
        touch(mine / "live.glsl", "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(oops);\n}\n")
        assert watcher.poll() == [] and "my-scenes/live.glsl:2:" in watcher.error
        touch(mine / "live.glsl", SHADER.format(r="1.0"))
        assert watcher.poll() == ["live"] and watcher.error == ""
        assert red(engine) == 255
    finally:
        r.release()


def test_a_hundred_reloads_leak_nothing(stage):
    engine, watcher, shader, _ = stage
    old_programs = []
    for i in range(20):
        touch(shader, SHADER.format(r=f"0.{i % 9 + 1}"))
        old_programs += [p.program for p in engine.renderer.scenes["live"].passes]
        watcher.poll()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i in range(100):
        touch(shader, SHADER.format(r=f"0.{i % 9 + 1}"))
        old_programs += [p.program for p in engine.renderer.scenes["live"].passes]
        assert watcher.poll() == ["live"]
        red(engine)
    growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert watcher.reloads == 120
    # Every replaced program was released (moderngl marks released objects invalid).
    assert all(isinstance(p.mglo, moderngl.mgl.InvalidObject) for p in old_programs)
    assert growth_kb < 8 * 1024, f"{growth_kb} kB more after 100 reloads"


def test_live_window_survives_a_broken_shader_and_shows_the_error(xdisplay, tmp_path):
    scenes, shaders = tmp_path / "scenes", tmp_path / "shaders"
    shutil.copytree(ROOT / "shaders", shaders)
    scenes.mkdir()
    (shaders / "live.glsl").write_text(SHADER.format(r="0.8"))
    (scenes / "live.toml").write_text(TOML)
    shot = tmp_path / "shot.png"
    env = dict(os.environ, DISPLAY=xdisplay, VISUALIZER_SCENES=str(scenes),
               VISUALIZER_SHADERS=str(shaders))
    proc = subprocess.Popen([sys.executable, "-m", "visualizer", "live", "--demo", "--play", "none",
                             "--size", "320x180", "--frames", "240", "--screenshot", str(shot)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Break it once the show is on (the window is up, so the scene compiled).
    assert wait_for_window(xdisplay), "the live window never appeared"
    time.sleep(0.3)
    touch(shaders / "live.glsl", "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(oops);\n}\n")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "live.glsl:2:" in err and "keeping the last good 'live'" in err
    import av
    with av.open(str(shot)) as c:
        img = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    top, bottom = img[:60], img[-40:]
    assert abs(top[..., 0].mean() - 204) < 30      # the last good picture keeps running
    assert bottom[..., 0].mean() < top[..., 0].mean() - 40 or bottom.std() > 20  # the error box


# A typo in a loop bound, slow only at the window's size: the probe (a frame at
# 1/64 of the pixels) cannot see it, so the guard's rule has to take it off.
SLOW_WHEN_BIG = ("void mainImage(out vec4 c, in vec2 p) {\n  float a = 0.0;\n"
                 "  int n = iResolution.x > 100.0 ? 6000 : 1;\n"
                 "  for (int i = 0; i < n; i++) a += sin(a + p.x * 1e-3 + float(i) * iTime);\n"
                 "  c = vec4(0.1 + 1e-9 * a, 0.2, 0.9, 1.0);\n}\n")


def test_live_window_takes_off_a_reload_too_slow_to_show(xdisplay, tmp_path):
    import threading
    scenes, shaders = tmp_path / "scenes", tmp_path / "shaders"
    shutil.copytree(ROOT / "shaders", shaders)
    scenes.mkdir()
    (shaders / "live.glsl").write_text(SHADER.format(r="0.8"))
    (scenes / "live.toml").write_text(TOML)
    shot = tmp_path / "shot.png"
    env = dict(os.environ, DISPLAY=xdisplay, VISUALIZER_SCENES=str(scenes),
               VISUALIZER_SHADERS=str(shaders))
    # A fixed scale: its floor is where it is (with the adaptive scale this one
    # would be rescued at a third of the size, a few frames a second).
    proc = subprocess.Popen([sys.executable, "-m", "visualizer", "live", "--demo", "--play", "none",
                             "--size", "320x180", "--frames", "300", "--fixed-scale",
                             "--screenshot", str(shot)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []   # (arrival time, stderr line)
    reader = threading.Thread(target=lambda: lines.extend((time.monotonic(), line)
                                                          for line in proc.stderr), daemon=True)
    reader.start()
    killer = threading.Timer(120, proc.kill)   # a hung run fails the test, not the suite
    killer.start()
    try:
        assert wait_for_window(xdisplay), "the live window never appeared"
        time.sleep(0.5)
        saved = time.monotonic()
        touch(shaders / "live.glsl", SLOW_WHEN_BIG)
        out = proc.stdout.read()   # to the end; stderr has its reader (not communicate's too)
        proc.wait(timeout=120)
    finally:
        killer.cancel()
        proc.kill()
    ended = time.monotonic()
    reader.join(timeout=10)
    err = "".join(line for _, line in lines)
    assert proc.returncode == 0, err
    slow = [(t, line) for t, line in lines if "too slow" in line]
    assert len(slow) == 1, err                              # printed once
    told, line = slow[0]
    assert "live.toml: too slow: " in line and "(budget 16.7 ms)" in line
    assert "keeping the last good 'live'" in line
    freeze = told - saved
    assert freeze < 30, f"the last good version came back {freeze:.1f} s after the save"
    # The rest of the 300 frames came at the usual pace.
    assert ended - told < 30
    import av
    with av.open(str(shot)) as c:
        img = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    top, bottom = img[:60], img[-40:]
    assert abs(top[..., 0].mean() - 204) < 30 and top[..., 2].mean() < 120   # the last good one
    assert bottom[..., 0].mean() < top[..., 0].mean() - 40 or bottom.std() > 20   # the error box
    print(f"\nlive: the last good version was back {freeze:.2f} s after the save, "
          f"the run ended {ended - told:.1f} s later; {out.strip().splitlines()[0]}")
