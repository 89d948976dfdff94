"""Soak: an hour of live input through the live path, faster than real time.

    .venv/bin/python benchmarks/soak.py [--minutes 60] [--size 160x90] [--json]

Generated audio (a sax-like lead in phrases over a pulse, with swells and
silences) goes in display-frame blocks through the same objects the live
window uses each frame: the control bus, the show, the engine's analysis and
drawing into a program framebuffer (EGL, headless). A command changes the
scene every few seconds (keys, "MIDI" next cue, "OSC" parameters), a
blackout comes and goes, and a bad command arrives now and then.

It prints, per audio minute, the process's resident memory and Python's
traced allocations, and at the end: frames, how many frames took longer
than the display period (lost to the program's own work, if it had been
live), and memory growth from the first minute to the last.
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings  # noqa: E402
from visualizer.control.bus import Command, ControlBus, TOGGLE  # noqa: E402
from visualizer.engine.clock import FrameClock  # noqa: E402
from visualizer.engine.core import Engine  # noqa: E402
from visualizer.engine.show import Show  # noqa: E402
from visualizer.render.renderer import Renderer  # noqa: E402
from visualizer.scenes.scene import discover  # noqa: E402

SR = 48000


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


class Performance:
    """An endless generated performance, produced block by block without allocating."""

    def __init__(self, block: int):
        self.block = block
        self.t = 0
        self._n = np.arange(block, dtype=np.float64)
        self._phase = np.zeros(block)
        self._out = np.zeros(block, np.float32)
        self._scratch = np.zeros(block)
        self._rng = np.random.default_rng(7)
        self._noise = self._rng.standard_normal(SR).astype(np.float32)
        self._notes = 220.0 * 2 ** (np.array([0, 3, 5, 7, 10, 12, 7, 5]) / 12)

    def next(self) -> np.ndarray:
        t = self.t / SR
        phrase = t % 8.0            # 6 s of playing, 2 s of silence
        note = self._notes[int(t * 2) % len(self._notes)]
        swell = 0.5 + 0.5 * np.sin(2 * np.pi * t / 45.0)   # a build every 45 s
        out, s = self._out, self._scratch
        np.multiply(self._n, 2 * np.pi * note / SR, out=s)
        s += 2 * np.pi * note * t
        np.sin(s, out=s)
        s *= 0.25 * swell if phrase < 6.0 else 0.0
        out[:] = s
        k = self.t % (SR - self.block)
        out += self._noise[k:k + self.block] * (0.02 if (t * 2) % 1.0 < 0.05 else 0.002)
        self.t += self.block
        return out


def soak(minutes: float, size=(160, 90), fps: int = 60, every: float = 4.0,
         sample: float = 60.0, report=print) -> dict:
    """Run ``minutes`` of audio; memory is sampled every ``sample`` seconds of it."""
    scenes = discover()
    renderer = Renderer.headless(sample_rate=SR)
    engine = Engine(renderer, scenes, scene=scenes[0].key,
                    analyzer=Analyzer(AnalyzerSettings(sample_rate=SR)))
    bus = ControlBus()
    show = Show(engine, bus)
    target = renderer.offscreen(size)
    clock = FrameClock(fps)
    block = SR // fps
    perf = Performance(block)
    frames = int(minutes * 60 * fps)
    period = 1.0 / fps
    slow = 0
    memory = []
    tracemalloc.start()
    wall = time.perf_counter()
    keys = engine.keys
    for k in range(frames):
        t0 = time.perf_counter()
        timing = clock.tick()
        if k % int(every * fps) == 0 and k:
            n = k // int(every * fps)
            command = (Command("scene_index", value=n % len(keys), source="key") if n % 3 == 0 else
                       Command("next_cue", source="midi") if n % 3 == 1 else
                       Command("param", target=next(iter(engine.states[engine.current].scene.params),
                                                    "none"), value=(n % 10) / 10,
                               normalized=True, source="osc"))
            bus.post(command)
            if n % 5 == 0:
                bus.post(Command("blackout", value=TOGGLE, source="key"))
            if n % 7 == 0:
                bus.post(Command("scene", target="no-such-scene", source="osc"))
        show.update(timing.time, timing.delta)
        frame = engine.listen(perf.next())
        engine.draw(frame, timing, target.fbo, size=size)
        renderer.ctx.finish()
        if time.perf_counter() - t0 > period:
            slow += 1
        if k % int(sample * fps) == int(sample * fps) - 1:
            current, _ = tracemalloc.get_traced_memory()
            memory.append((_rss_mb(), current / 2**20))
            report(f"{(k + 1) / fps / 60:6.1f} min: resident {memory[-1][0]:7.1f} MB, "
                   f"python {memory[-1][1]:6.2f} MB, {slow} slow frames so far")
    elapsed = time.perf_counter() - wall
    renderer.release()
    result = {
        "frames": frames, "audio_minutes": minutes, "seconds": elapsed,
        "speed": frames / fps / elapsed, "slow_frames": slow,
        "commands": bus.posted, "failed_commands": bus.failed,
        "rss_mb": [m[0] for m in memory], "python_mb": [m[1] for m in memory],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--size", default="160x90")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--json", action="store_true", help="print the result as JSON last")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    r = soak(args.minutes, size, args.fps)
    rss, py = r["rss_mb"], r["python_mb"]
    print(f"{r['frames']} frames ({r['audio_minutes']:g} min of audio at {args.fps} fps, "
          f"{args.size}) in {r['seconds']:.0f} s: {r['speed']:.1f}x real time")
    print(f"frames over the {1000 / args.fps:.1f} ms period: {r['slow_frames']} "
          f"({100 * r['slow_frames'] / r['frames']:.3f}%)")
    print(f"commands {r['commands']}, failed (on purpose: unknown scenes) {r['failed_commands']}")
    if len(rss) >= 2:
        print(f"resident memory minute 1 -> {len(rss)}: {rss[0]:.1f} -> {rss[-1]:.1f} MB "
              f"({rss[-1] - rss[0]:+.1f}); python heap {py[0]:.2f} -> {py[-1]:.2f} MB "
              f"({py[-1] - py[0]:+.2f})")
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
