"""The live loop with no window: headless EGL, a test sink, real analysis and
scenes; and `visualizer live --headless` as a user runs it (no display server)."""

import os
import subprocess
import sys
import time

import av
import numpy as np

from conftest import ROOT
from visualizer.audio.ring import RingBuffer
from visualizer.audio.source import LiveSource
from visualizer.control.bus import Command
from visualizer.engine.live import run_live
from visualizer.engine.live_options import LiveOptions
from visualizer.output.display.headless import HeadlessDisplay
from visualizer.output.sink import Sink
from visualizer.scenes.scene import discover

SR = 48000
SIZE = (96, 54)


class Tone(LiveSource):
    """Two seconds of a pulsing 220 Hz tone, there from the start."""

    def __init__(self):
        self.sample_rate = SR
        self.ring = RingBuffer(SR * 4)
        t = np.arange(2 * SR) / SR
        self.samples = (0.4 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
                        ).astype(np.float32)

    def start(self):
        self.ring.write(self.samples, time.perf_counter())

    def stop(self):
        pass


class Collect(Sink):
    """Keeps what a sink is given."""

    size = SIZE

    def __init__(self):
        self.pictures, self.heard, self.closed = [], 0, False

    def picture(self, picture):
        self.pictures.append((picture.index, picture.time, picture.pixels.copy()))
        picture.release()

    def audio(self, block, time):
        self.heard += block.shape[0]

    def close(self):
        self.closed = True


def test_the_loop_runs_headless_and_feeds_a_sink():
    sink = Collect()
    options = LiveOptions(max_frames=40, adaptive=False, sinks=[sink])
    options.bus.post(Command("scene", target="night", source="test"))
    result = run_live(Tone(), discover(), scene="vortex", display=HeadlessDisplay(SIZE),
                      options=options)
    assert result.frames == 40 and result.faults == 0
    assert sink.closed and sink.heard == 2 * SR          # every sample, once
    indices = [i for i, _, _ in sink.pictures]
    assert indices == list(range(1, 41))                 # every frame, in order
    pictures = [p for _, _, p in sink.pictures]
    assert all(p.shape == (SIZE[1], SIZE[0], 3) for p in pictures)
    assert pictures[-1].mean() > 5                       # a picture, not black
    assert np.abs(pictures[-1].astype(int) - pictures[5].astype(int)).mean() > 1  # it moves
    assert result.applied.get("test") == 1   # the switch waits for a beat: applied, under way
    assert result.latency.startswith("latency median")


def test_live_headless_records_with_no_display_server(tmp_path):
    out = tmp_path / "rack.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    r = subprocess.run([sys.executable, "-m", "visualizer", "live", "--headless", "--demo",
                        "--play", "none", "--size", "160x90", "--frames", "90",
                        "--record", str(out)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "90 frames shown" in r.stdout and f"recorded {out}" in r.stdout
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert 20 <= len(frames) and frames[0].shape == (90, 160, 3)
    assert max(f.mean() for f in frames) > 5


def test_headless_refuses_window_flags():
    r = subprocess.run([sys.executable, "-m", "visualizer", "live", "--headless", "--demo",
                        "--fullscreen", "--frames", "5"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "no --fullscreen or --screen" in r.stderr
    assert "Traceback" not in r.stderr
