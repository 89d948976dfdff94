"""Audio-to-picture latency of the live window, measured from real timestamps.

    DISPLAY=:0 .venv/bin/python benchmarks/latency.py [--buffer 256] [--frames 600]
    xvfb-run -s "-screen 0 1920x1080x24 +extension GLX" .venv/bin/python benchmarks/latency.py

A paced thread stands in for the PortAudio input callback: every buffer
period (256 samples at 48 kHz = 5.3 ms) it does exactly what
MicSource's callback does, copying a block and its perf_counter() time into
the ring buffer. The real live window (the same run_live as `visualizer
live`) drains it each frame, analyses, draws and flips; the latency of a
frame is the time its flip returned minus the capture time of the newest
sample it used. A sound card adds its own converter and driver buffers on
top (typically 2-5 ms each way at 256 frames), which this cannot see.

Target: median at most one audio buffer plus one frame (5.3 + 16.7 = 22 ms
at 60 Hz). For comparison, none of the peers publishes a figure: projectM
and ShaderFlow analyse the newest 512-2048 samples once per frame (at best
the same buffer + frame), Synesthesia documents none; a hardware VJ mixer
or a projector adds 16-50 ms after us.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from visualizer.audio.ring import RingBuffer  # noqa: E402
from visualizer.audio.source import LiveSource  # noqa: E402
from visualizer.engine.live import run_live  # noqa: E402
from visualizer.engine.live_options import LiveOptions  # noqa: E402
from visualizer.output.display.window import WindowDisplay  # noqa: E402
from visualizer.scenes.scene import discover  # noqa: E402

SR = 48000


class PacedInput(LiveSource):
    """A sax-like tone delivered in real time, block by block, as a callback would."""

    def __init__(self, buffer: int):
        self.sample_rate, self.buffer = SR, buffer
        self.ring = RingBuffer(SR * 2)
        t = np.arange(SR * 4) / SR
        self._signal = (0.3 * np.sin(2 * np.pi * 233 * t) * (np.sin(2 * np.pi * 0.5 * t) > -0.3)
                        ).astype(np.float32)
        self._running = False

    def start(self):
        self._running = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        period = self.buffer / SR
        due, k = time.perf_counter(), 0
        n = self._signal.shape[0] - self.buffer
        while self._running:
            due += period
            while (delay := due - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.001))
            i = (k * self.buffer) % n
            self.ring.write(self._signal[i:i + self.buffer], time.perf_counter())
            k += 1

    def stop(self):
        self._running = False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buffer", type=int, default=256)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--scene", default="vortex")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    scenes = discover()
    source = PacedInput(args.buffer)
    result = run_live(source, scenes, scene=args.scene, display=WindowDisplay(size),
                      options=LiveOptions(max_frames=args.frames))
    buffer_ms = 1000 * args.buffer / SR
    print(f"{result.frames} frames of '{args.scene}' at {args.size}, input buffer "
          f"{args.buffer} ({buffer_ms:.1f} ms), {result.late} late frames")
    print(result.latency)
    print(f"target: one buffer + one 60 Hz frame = {buffer_ms + 1000 / 60:.1f} ms")


if __name__ == "__main__":
    main()
