"""A render spread over Ray: one process against 1 and 2 workers on this
machine, the time of each part, and a model of a whole concert on K GPUs.

    .venv/bin/python benchmarks/cluster.py [--seconds 60] [--size 640x360]
        [--gpu-fps-1080 400] [--gpu-fps-4k 100]

Runs itself inside a private network namespace (``unshare -n``, root): the
local Ray cluster's traffic stays on loopback. Every figure but the per-GPU
render rates (``--gpu-fps-*``, an assumption until a GPU machine measures
them; printed as such) is measured when it runs:

* the same ``--seconds`` render (the demo track looped, 30 fps) in one
  process (``render_plan``) and on a local cluster of 1 and 2 workers;
* the parts of the cluster render: analysis, connecting (Ray start + the
  renderer probe), putting the plan in the object store, each chunk's render
  on its worker (mean), the segments' bytes, the join and mux;
* x264's rate at 1080p and 4K with the plan's 2 threads (encode only), which
  bounds what one GPU worker can deliver;
* the model: a two-hour concert at 1080p60 and 4K60 (60 s chunks, 2 s
  pre-roll each) on K = 1, 4, 16 and 64 GPU workers. Per worker a chunk takes
  (preroll + chunk frames) / min(GPU render fps, x264 fps) seconds; the
  analysis, the plan's transfer and the join are serial. Efficiency =
  T(1) / (K T(K)); the K where it falls below 0.9 is printed, and what
  limits it.
"""

import argparse
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONCERT_S = 2 * 3600
CHUNK_S, PREROLL_S = 60.0, 2.0


def in_namespace() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def song(folder: Path, seconds: float) -> Path:
    from visualizer.audio.demo import demo_track, write_wav
    sr = 48000
    track = demo_track(sr)
    reps = math.ceil(seconds * sr / track.shape[0])
    audio = np.concatenate([track] * reps)[:round(seconds * sr)]
    path = folder / "concert.wav"
    write_wav(path, audio, sr)
    return path


def encode_fps(size: tuple[int, int], frames: int = 40) -> float:
    """x264 (the render's crf and preset, 2 threads) on varied frames."""
    from visualizer.output.video import VideoWriter
    rng = np.random.default_rng(0)
    w, h = size
    base = (rng.random((h // 8, w // 8, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    with tempfile.TemporaryDirectory() as tmp:
        writer = VideoWriter(Path(tmp) / "e.mp4", size, 60, audio=False, threads=2)
        began = time.perf_counter()
        for i in range(frames):
            writer.write_video(np.roll(base, i * 4, axis=1))
        writer.close()
        return frames / (time.perf_counter() - began)


def measure(args) -> dict:
    from visualizer.analysis.from_file import analyze_file
    from visualizer.engine.cluster import render_on_cluster
    from visualizer.engine.offline import render_plan
    from visualizer.engine.plan import make_plan
    from visualizer.scenes.cues import Cue
    from visualizer.scenes.scene import discover
    w, h = (int(v) for v in args.size.split("x"))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio = song(folder, args.seconds)
        began = time.perf_counter()
        track = analyze_file(audio)
        out["analysis_s"] = time.perf_counter() - began
        plan = make_plan(audio, track, discover(), [Cue(0.0, "vortex")], size=(w, h), fps=30,
                         chunk_seconds=args.chunk_seconds)
        out["frames"], out["chunks"] = plan.frames, len(plan.chunks())
        began = time.perf_counter()
        render_plan(plan, folder / "one.mp4", progress=False)
        out["one_process_s"] = time.perf_counter() - began
        for workers in (1, 2):
            stats = {}
            began = time.perf_counter()
            render_on_cluster(plan, folder / f"w{workers}.mp4", workers=workers,
                              progress=False, stats=stats)
            stats["total_s"] = time.perf_counter() - began
            stats["same_bytes"] = (folder / f"w{workers}.mp4").read_bytes() == \
                (folder / "one.mp4").read_bytes()
            out[f"workers{workers}"] = stats
        out["audio_s"] = args.seconds
    out["x264_1080"] = encode_fps((1920, 1080))
    out["x264_2160"] = encode_fps((3840, 2160), frames=12)
    return out


def model(m: dict, size_name: str, gpu_fps: float, x264_fps: float, join_rate: float,
          analysis_rtf: float, ks=(1, 4, 16, 64)) -> list[tuple]:
    """Rows (K, hours, speed-up, efficiency) for a two-hour concert at 60 fps."""
    fps = 60
    chunks = math.ceil(CONCERT_S / CHUNK_S)
    per_chunk = (CHUNK_S + PREROLL_S) * fps / min(gpu_fps, x264_fps)
    serial = CONCERT_S / analysis_rtf + m["workers2"]["connect_s"] + m["workers2"]["put_s"]
    join = CONCERT_S * fps / join_rate
    rows = []
    t1 = serial + chunks * per_chunk + join
    for k in ks:
        tk = serial + math.ceil(chunks / k) * per_chunk + join
        rows.append((k, tk / 3600, t1 / tk, t1 / (k * tk)))
    return rows


def report(m: dict, args) -> None:
    w1, w2 = m["workers1"], m["workers2"]
    print(f"render of {m['audio_s']:.0f} s ({m['frames']} frames, {m['chunks']} chunks of "
          f"{args.chunk_seconds:g} s) at {args.size}, 30 fps, llvmpipe, 2 cores")
    print(f"{'':28s}{'wall s':>9s}{'fps':>8s}  same bytes as one process")
    print(f"{'one process (render_plan)':28s}{m['one_process_s']:9.1f}"
          f"{m['frames'] / m['one_process_s']:8.1f}")
    for n, w in ((1, w1), (2, w2)):
        print(f"{f'Ray, {n} worker(s)':28s}{w['total_s']:9.1f}{m['frames'] / w['total_s']:8.1f}"
              f"  {'yes' if w['same_bytes'] else 'NO'}")
    print("\nparts of the 2-worker render (s):")
    parts = [("analysis (driver, before)", m["analysis_s"]), ("connect + renderer probe",
             w2["connect_s"] + w2["probe_s"]), ("plan + files into the object store",
             w2["put_s"]), ("chunks (wall, all workers)", w2["chunks_s"]),
             ("  one chunk on its worker (mean)", float(np.mean(w2["chunk_s"]))),
             ("join + mux (driver)", w2["join_s"])]
    for name, value in parts:
        print(f"  {name:36s}{value:8.2f}")
    print(f"  segment bytes returned: {w2['segment_bytes'] / 1e6:.1f} MB")
    analysis_rtf = m["audio_s"] / m["analysis_s"]
    # The join copies packets (a cost per frame, whatever its size) and encodes
    # the sound once: its measured frames per second, applied to 60 fps.
    join_fps_here = m["frames"] / max(w2["join_s"], 1e-3)
    print(f"\nx264 with the plan's 2 threads: 1080p {m['x264_1080']:.0f} fps, "
          f"4K {m['x264_2160']:.1f} fps (measured here, encode only)")
    print(f"assumed GPU render rates (not measured: no GPU lent): 1080p {args.gpu_fps_1080:g} "
          f"fps, 4K {args.gpu_fps_4k:g} fps per GPU\n")
    serial = CONCERT_S / analysis_rtf + w2["connect_s"] + w2["put_s"] + \
        CONCERT_S * 60 / join_fps_here
    print(f"serial parts of a two-hour concert: analysis {CONCERT_S / analysis_rtf / 60:.1f} "
          f"min ({analysis_rtf:.0f}x real time), join + mux {CONCERT_S * 60 / join_fps_here / 60:.1f}"
          f" min ({join_fps_here:.0f} frames/s), connect {w2['connect_s']:.0f} s: "
          f"{serial / 60:.1f} min in all\n")
    for name, gpu, x264 in (("1080p60", args.gpu_fps_1080, m["x264_1080"]),
                            ("4K60", args.gpu_fps_4k, m["x264_2160"])):
        rows = model(m, name, gpu, x264, join_fps_here, analysis_rtf)
        limit = "x264 (CPU encode)" if x264 < gpu else "the GPU render"
        print(f"two-hour concert at {name}: per worker min(GPU {gpu:g}, x264 {x264:.0f}) fps "
              f"= limited by {limit}")
        print(f"  {'K':>4s}{'hours':>9s}{'speed-up':>10s}{'efficiency':>12s}")
        for k, hours, speed, eff in rows:
            print(f"  {k:4d}{hours:9.2f}{speed:10.1f}{eff:12.2f}")
        every = model(m, name, gpu, x264, join_fps_here, analysis_rtf, ks=range(1, 65))
        below = next((k for k, _, _, eff in every if eff < 0.9), None)
        print(f"  efficiency below 0.9 from K = {below if below else '> 64'}: the serial "
              "analysis and join, and 120 chunks over K workers in whole rounds\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--chunk-seconds", type=float, default=10.0)
    parser.add_argument("--gpu-fps-1080", type=float, default=400.0)
    parser.add_argument("--gpu-fps-4k", type=float, default=100.0)
    args = parser.parse_args()
    if not in_namespace():
        if shutil.which("unshare") is None:
            sys.exit("needs `unshare -n` (root) to keep the local cluster on loopback")
        cmd = f'ip link set lo up && exec "{sys.executable}" "{__file__}" ' + \
            " ".join(f'"{a}"' for a in sys.argv[1:])
        sys.exit(subprocess.call(["unshare", "-n", "sh", "-c", cmd]))
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    report(measure(args), args)


if __name__ == "__main__":
    main()
