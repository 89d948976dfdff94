"""The HUD drawn by pyglet in a real window on a real X server (Xvfb).

pyglet picks its display when it is imported, so the drawing runs in a
subprocess (this file run as a script) that saves what it read back from the
window; the tests below check those pictures and counts.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
W, H = 640, 360
GREY = 128


@pytest.fixture(scope="module")
def drawn(xdisplay, tmp_path_factory):
    out = tmp_path_factory.mktemp("hud")
    env = dict(os.environ, DISPLAY=xdisplay, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, __file__, str(out)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    shots = dict(np.load(out / "shots.npz"))
    return shots, json.loads((out / "report.json").read_text())


def red(img: np.ndarray) -> int:
    r, g, b = (img[..., i].astype(int) for i in range(3))
    return int(((r > 180) & (g < 90) & (b < 90)).sum())


def outside(img: np.ndarray, bounds, height: int = H) -> np.ndarray:
    """The pixels outside the panel, give or take a pixel (``img`` rows top-down)."""
    x, y, w, h = bounds
    mask = np.ones(img.shape[:2], bool)
    mask[max(0, height - (y + h) - 1):height - y + 1, max(0, x - 1):x + w + 1] = False
    return img[mask]


def test_panel_covers_its_corner_and_nothing_else(drawn):
    shots, report = drawn
    img, bounds = shots["plain"], report["bounds"]
    x, y, w, h = bounds
    assert x < 40 and y + h > H - 40 and 100 < w < W / 2 and 100 < h < H
    assert (outside(img, bounds) == GREY).all()
    panel = img[H - (y + h):H - y, x:x + w].astype(int)
    assert abs(panel.mean() - GREY) > 40          # a dark panel, with text on it
    assert panel.std() > 20
    assert (shots["before"] == GREY).all()


def test_clip_lamp_is_red_only_while_clipping(drawn):
    shots, _ = drawn
    assert red(shots["plain"]) == 0
    assert red(shots["clipping"]) > 30


def test_labels_change_at_most_eight_times_a_second(drawn):
    shots, report = drawn
    line = H / 28
    # A new scene name within 1/8 s of the last text update: nothing changes.
    assert (shots["scene_soon"] == shots["plain"]).all()
    # Later it shows, and only in the scene row.
    diff = np.abs(shots["scene_later"].astype(int) - shots["plain"]).sum(axis=2) > 0
    rows, cols = np.nonzero(diff)
    assert rows.size > 20
    assert rows.max() - rows.min() < 1.5 * line
    x, y, w, h = report["bounds"]
    assert H - (y + h) <= rows.min() and rows.max() < H - y and cols.max() < x + w


def test_drawing_makes_no_new_objects(drawn):
    _, report = drawn
    first, after = report["objects_first"], report["objects_after"]
    assert report["frames"] == 300 and report["text_updates"] >= 30
    assert after["labels"] == first["labels"] > 10
    assert after["shapes"] == first["shapes"] > 10
    assert after["shape_ids"] == first["shape_ids"] and after["label_ids"] == first["label_ids"]
    assert after["vertex_lists"] <= first["vertex_lists"] + 2
    assert report["objects_released"] == {"labels": 0, "shapes": 0}


def test_moderngl_state_survives_the_hud(drawn):
    shots, _ = drawn
    # The same half-transparent gradient drawn by moderngl before and after a
    # HUD frame: pyglet left no blending or program behind that changes it.
    assert (shots["gradient_after"] == shots["gradient_before"]).all()
    # And the renderer's real scene draws the same picture after the HUD.
    assert shots["scene_before"].std() > 10
    assert (shots["scene_after"] == shots["scene_before"]).all()


def test_resize_lays_the_panel_out_again(drawn):
    shots, report = drawn
    x, y, w, h = report["bounds_big"]
    big = shots["big"]
    assert big.shape == (540, 960, 3)
    assert w > report["bounds"][2] * 1.3            # text and panel grow with the window
    assert (outside(big, (x, y, w, h), 540) == GREY).all()
    top_left = big[540 - (y + h):540 - y, x:x + w].astype(int)
    assert abs(top_left.mean() - GREY) > 40
    assert report["objects_big"]["labels"] == report["objects_first"]["labels"]


def test_stats_helpers():
    from visualizer.output.display.hud import HudStats, note_text
    assert note_text(66, -12.4) == "F#4 -12c" and note_text(69, 3) == "A4 +3c"
    assert note_text(-1, 0) == "—" and note_text(60, 0) == "C4 +0c"
    assert note_text(float("nan"), 0) == "—" and note_text(61, float("nan")) == "C#4"
    s = HudStats()
    s.set_level(-20.0, -0.05, now=10.0)
    assert s.clipping and s.level_dbfs == -20.0
    s.set_level(-20.0, -6.0, now=11.4)
    assert s.clipping                     # still lit 1.4 s later
    s.set_level(-20.0, -6.0, now=11.6)
    assert not s.clipping
    s.set_level(-1.0, -0.1, now=12.0)     # exactly -0.1 dBFS counts
    assert s.clipping


# -- the drawing, in a subprocess with DISPLAY set ---------------------------

def _main(out: Path) -> None:
    import gc

    import pyglet
    pyglet.options["debug_gl"] = False   # as the live window does: moderngl checks its own calls
    import moderngl

    from visualizer.output.display.stats import FrameStats, LatencyMeter
    from visualizer.output.display.hud import Hud, HudStats

    config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True,
                              double_buffer=True, depth_size=0)
    window = pyglet.window.Window(W, H, config=config, resizable=True)
    ctx = moderngl.create_context()
    clock = [100.0]
    hud = Hud(window, clock=lambda: clock[0])
    shots, report = {}, {}

    def read(size=(W, H)):
        w, h = size
        px = np.frombuffer(ctx.screen.read(viewport=(0, 0, w, h), components=3), np.uint8)
        return px.reshape(h, w, 3)[::-1].copy()

    def frame(stats, size=(W, H)):
        ctx.screen.use()
        # moderngl's screen keeps the size it was made with: after a resize,
        # its viewport and scissor (which clear() honours) must be set again.
        ctx.screen.viewport = ctx.screen.scissor = (0, 0, *size)
        ctx.clear(GREY / 255, GREY / 255, GREY / 255, 1.0)
        hud.draw(stats)

    def objects():
        gc.collect()
        found = {"labels": [], "shapes": [], "vertex_lists": 0}
        for o in gc.get_objects():
            if isinstance(o, pyglet.text.Label):
                found["labels"].append(id(o))
            elif isinstance(o, pyglet.shapes.ShapeBase):
                found["shapes"].append(id(o))
            elif isinstance(o, pyglet.graphics.vertexdomain.VertexList):
                found["vertex_lists"] += 1
        return {"labels": len(found["labels"]), "shapes": len(found["shapes"]),
                "label_ids": sorted(found["labels"]), "shape_ids": sorted(found["shapes"]),
                "vertex_lists": found["vertex_lists"]}

    stats = HudStats(frames=FrameStats(240, target_fps=60.0), latency=LatencyMeter())
    for i in range(240):
        stats.frames.add(1 / 60 + 0.001 * math.sin(i))     # none late: no red bars
        stats.latency.add(0.02 + 0.001 * (i % 7))
    stats.scene, stats.next_cue, stats.note, stats.cents = "vortex", "steppe", 66, -12.0
    stats.tempo, stats.beat_phase = 120.0, 0.5
    stats.set_level(-20.0, -14.0, clock[0])

    ctx.screen.use()
    ctx.clear(GREY / 255, GREY / 255, GREY / 255, 1.0)
    shots["before"] = read()
    frame(stats)
    shots["plain"] = read()
    report["bounds"] = hud.bounds
    report["objects_first"] = objects()

    clock[0] += 0.01
    stats.scene = "steppe"
    frame(stats)
    shots["scene_soon"] = read()
    stats.scene = "vortex"
    clock[0] += 0.2
    frame(stats)
    stats.scene = "steppe"
    clock[0] += 0.2
    frame(stats)
    shots["scene_later"] = read()
    stats.scene = "vortex"

    clock[0] += 0.2
    stats.set_level(-20.0, -0.05, clock[0])
    frame(stats)
    shots["clipping"] = read()

    # Missing values (NaN before the analysis has any) draw as "nothing known".
    nan = float("nan")
    stats.level_dbfs, stats.beat_phase, stats.tempo, stats.cents = nan, nan, nan, nan
    clock[0] += 0.2
    frame(stats)
    stats.tempo, stats.cents = 120.0, -12.0

    # 300 frames of a changing show.
    names = ("vortex", "steppe", "night", "club")
    updates = 0
    for i in range(300):
        clock[0] += 1 / 60
        stats.frames.add(1 / 60 * (1 + 0.8 * (i % 37 == 0)))
        stats.latency.add(0.02 + 0.0001 * i)
        stats.set_level(-40.0 + 35 * abs(math.sin(i / 20)), -3.0 + 3.1 * (i % 90 == 0), clock[0])
        stats.scene = names[i // 20 % 4]
        stats.note, stats.cents = (60 + i // 10 % 12, (i % 50) - 25.0) if i % 40 < 30 else (-1, 0.0)
        stats.beat_phase = (i / 30) % 1.0
        stats.recording, stats.freeze = i % 100 < 50, i % 70 < 10
        stats.warnings = "input device lost: retrying" if 100 <= i < 160 else ""
        before = hud._next_text
        frame(stats)
        updates += hud._next_text != before
    window.flip()
    report["frames"], report["text_updates"] = 300, updates
    report["objects_after"] = objects()

    # moderngl before and after the HUD: a half-transparent gradient, and a real scene.
    prog = ctx.program(vertex_shader="""#version 330
        in vec2 p; out vec2 uv; void main() { uv = p * 0.5 + 0.5; gl_Position = vec4(p, 0, 1); }""",
                       fragment_shader="""#version 330
        in vec2 uv; out vec4 c; void main() { c = vec4(uv, 0.3, 0.5); }""")
    quad = ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], "f4"))
    vao = ctx.vertex_array(prog, [(quad, "2f", "p")])

    def gradient():
        ctx.screen.use()
        ctx.clear(0.0, 0.0, 0.0, 1.0)
        vao.render(moderngl.TRIANGLE_STRIP)
        return read()

    shots["gradient_before"] = gradient()
    hud.draw(stats)
    shots["gradient_after"] = gradient()

    from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
    from visualizer.render.renderer import Renderer
    from visualizer.render.timing import FrameTiming
    from visualizer.scenes.scene import discover
    renderer = Renderer(ctx, owns_context=False)
    renderer.compile(next(s for s in discover() if s.key == "vortex"))
    feature = FeatureFrame()
    feature.values[[FEATURE_INDEX[n] for n in ("level", "bass", "mid")]] = 0.7

    def scene():
        ctx.screen.use()
        renderer.draw("vortex", feature, FrameTiming(time=4.0), ctx.screen)
        ctx.screen.use()
        return read()

    shots["scene_before"] = scene()
    hud.draw(stats)
    shots["scene_after"] = scene()
    renderer.release()

    # A bigger window: the HUD lays itself out again.
    window.set_size(960, 540)
    for _ in range(50):
        window.dispatch_events()
        if window.get_framebuffer_size() == (960, 540):
            break
    window.flip()   # Mesa gives the back buffer its new size at a swap
    frame(stats, size=(960, 540))
    shots["big"] = read((960, 540))
    report["bounds_big"] = hud.bounds
    report["objects_big"] = objects()

    hud.release()
    released = objects()
    report["objects_released"] = {k: released[k] for k in ("labels", "shapes")}
    window.close()
    np.savez(out / "shots.npz", **shots)
    (out / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
