"""Frames per second of every scene, headless, at the given sizes; with
--effects, what each built-in effect costs on top of the vortex.

    .venv/bin/python benchmarks/scenes.py [--size 1280x720] [--frames 60] [--effects]

For each scene: draw only (GPU or llvmpipe, glFinish after every frame), draw
+ read back the pixels, and the analyzer's time per frame of audio at 30 fps. Prints the
renderer, so figures from different machines are not confused.
"""

import argparse
import time

import numpy as np

from visualizer.analysis.analyzer import Analyzer
from visualizer.analysis.features import FeatureFrame
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.scene import discover


def measure(renderer, key, size, frames):
    target = renderer.offscreen(size)
    frame = FeatureFrame()
    frame.values[:4] = 0.7
    frame.bands[:] = np.linspace(1, 0.2, 48)
    timing = FrameTiming(fps=30)
    renderer.draw(key, frame, timing, target.fbo)  # warm-up: first draw compiles lazily
    renderer.ctx.finish()
    t0 = time.perf_counter()
    for k in range(frames):
        timing.time = k / 30
        renderer.draw(key, frame, timing, target.fbo)
        # Finish every frame: llvmpipe drops a queued draw that the next one
        # overwrites, which would report a frame rate no display could see.
        renderer.ctx.finish()
    draw_fps = frames / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for k in range(frames):
        timing.time = k / 30
        renderer.draw(key, frame, timing, target.fbo)
        target.read()
    read_fps = frames / (time.perf_counter() - t0)
    target.release()
    return draw_fps, read_fps


def measure_effects(renderer, sizes, frames):
    """Frames per second of the engine drawing the vortex, then with each effect on."""
    from visualizer.engine.core import Engine
    from visualizer.scenes.scene import library
    lib = library()
    vortex = [s for s in lib.scenes if s.key == "vortex"]
    engine = Engine(renderer, vortex, scene="vortex", effects=lib.effects)
    frame = FeatureFrame()
    frame.values[:4] = 0.7
    print(f"{'effect':10s} {'size':>10s} {'fps':>7s} {'ms added':>9s}")
    for size in sizes:
        target = renderer.offscreen(size)
        base = None
        for name in [""] + engine.effects.names:
            engine.effects.chain((name,) if name else ())
            timing = FrameTiming(fps=30)
            engine.draw(frame, timing, target.fbo)   # warm-up: compiles, makes textures
            renderer.ctx.finish()
            t0 = time.perf_counter()
            for k in range(frames):
                timing.time, timing.delta = k / 30, 1 / 30
                engine.draw(frame, timing, target.fbo)
                renderer.ctx.finish()
            ms = (time.perf_counter() - t0) / frames * 1000
            base = ms if base is None else base
            print(f"{name or '(none)':10s} {size[0]:>5d}x{size[1]:<4d} {1000 / ms:7.1f} "
                  f"{ms - base:9.2f}")
        target.release()
    renderer.release()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", action="append", default=None)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--effects", action="store_true",
                        help="the vortex alone, then with each effect on (the whole engine draw)")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in (args.size or ["1280x720"])]
    renderer = Renderer.headless()
    print(f"renderer: {renderer.ctx.info['GL_RENDERER']}")
    if args.effects:
        return measure_effects(renderer, sizes, args.frames)
    scenes = discover()
    for s in scenes:
        renderer.compile(s)
    analyzer = Analyzer()
    block = np.random.default_rng(0).standard_normal(1600).astype(np.float32) * 0.1
    t0 = time.perf_counter()
    for _ in range(300):
        analyzer.process(block)
    per_frame_ms = (time.perf_counter() - t0) / 300 * 1000
    print(f"analyzer: {per_frame_ms:.2f} ms per 30 fps frame of audio (1600 samples)")
    print(f"{'scene':10s} {'size':>10s} {'scale':>6s} {'draw fps':>9s} {'draw+read fps':>14s}")
    for size in sizes:
        for s in scenes:
            draw_fps, read_fps = measure(renderer, s.key, size, args.frames)
            print(f"{s.key:10s} {size[0]:>5d}x{size[1]:<4d} {s.render_scale:6.2f} "
                  f"{draw_fps:9.1f} {read_fps:14.1f}")
    renderer.release()


if __name__ == "__main__":
    main()
