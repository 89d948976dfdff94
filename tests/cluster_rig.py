"""Renders on a real local Ray cluster, run by tests/test_cluster.py inside a
private network namespace (only loopback: the cluster's traffic cannot leave
it). ``python cluster_rig.py MODE FOLDER`` prints one JSON line."""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np

from visualizer.analysis.from_file import analyze_file  # noqa: E402
from visualizer.audio.demo import write_wav  # noqa: E402
from visualizer.engine.cluster import render_on_cluster  # noqa: E402
from visualizer.engine.offline import RenderStopped, render_plan  # noqa: E402
from visualizer.engine.plan import make_plan  # noqa: E402
from visualizer.scenes.cues import Cue  # noqa: E402
from visualizer.scenes.scene import discover  # noqa: E402

SR = 48000


def only_loopback() -> None:
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        sys.exit(f"refusing to start a cluster outside a private namespace: {names}")


def plan(folder: Path, seconds: float = 4.0):
    t = np.arange(int(seconds * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * (220 + 60 * t) * t) * (0.5 + 0.5 * (np.sin(2 * np.pi * 3 * t) > 0))
    song = folder / "song.wav"
    write_wav(song, x.astype(np.float32), SR)
    track = analyze_file(song, sample_rate=SR)
    cues = [Cue(0.0, "vortex"), Cue(1.5, "steppe", "crossfade", duration=0.5)]
    return make_plan(song, track, discover(), cues, size=(160, 90), fps=30, chunk_seconds=1.0)


def frames(path: Path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha1(f.to_ndarray(format="rgb24").tobytes()).hexdigest()
                for f in c.decode(video=0)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exact(folder: Path) -> dict:
    p = plan(folder)
    render_plan(p, folder / "one.mp4", progress=False)
    render_on_cluster(p, folder / "two.mp4", workers=2, progress=False)
    return {"same_bytes": digest(folder / "one.mp4") == digest(folder / "two.mp4"),
            "same_frames": frames(folder / "one.mp4") == frames(folder / "two.mp4"),
            "frames": len(frames(folder / "two.mp4"))}


def png(folder: Path) -> dict:
    """A PNG sequence: each worker's frames written under the sequence's names."""
    p = plan(folder)
    (folder / "one").mkdir()
    (folder / "two").mkdir()
    render_plan(p, folder / "one" / "f.png", progress=False)
    render_on_cluster(p, folder / "two" / "f.png", workers=2, progress=False)
    one = {f.name: f.read_bytes() for f in (folder / "one").iterdir()}
    two = {f.name: f.read_bytes() for f in (folder / "two").iterdir()}
    return {"files": len(two), "same": one == two}


def kill(folder: Path) -> dict:
    """SIGKILL the worker rendering chunk 2 once it has started."""
    p = plan(folder)
    render_plan(p, folder / "one.mp4", progress=False)
    pids = folder / "pids"
    pids.mkdir()
    os.environ["VISUALIZER_CHUNK_PIDS"] = str(pids)
    killed = []

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for f in pids.glob("1.*"):
                os.kill(int(f.suffix[1:]), signal.SIGKILL)
                killed.append(int(f.suffix[1:]))
                break
            time.sleep(0.01)
    threading.Thread(target=killer, daemon=True).start()
    render_on_cluster(p, folder / "two.mp4", workers=2, progress=False)
    return {"killed": len(killed), "tries_of_chunk_2": len(list(pids.glob("1.*"))),
            "same_bytes": digest(folder / "one.mp4") == digest(folder / "two.mp4")}


def resume(folder: Path) -> dict:
    """Ctrl-C once two chunks are done; then --resume renders only the rest."""
    p = plan(folder)
    render_plan(p, folder / "one.mp4", progress=False)
    out = folder / "two.mp4"
    segments = out.with_name(f".{out.name}.segments")

    def interrupt():
        while len([f for f in segments.glob("*.mp4") if ".part" not in f.name]) < 2:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=interrupt, daemon=True).start()
    stopped = 0
    try:
        render_on_cluster(p, out, workers=1, progress=False)
    except RenderStopped as stop:
        stopped = stop.frames
    partial = len(frames(out)) if out.exists() else 0
    pids = folder / "pids"
    pids.mkdir()
    os.environ["VISUALIZER_CHUNK_PIDS"] = str(pids)
    render_on_cluster(p, out, workers=2, resume=True, progress=False)
    rendered_again = sorted({int(f.name.split(".")[0]) for f in pids.iterdir()})
    return {"stopped_frames": stopped, "partial_frames": partial,
            "rendered_again": rendered_again, "chunks": len(p.chunks()),
            "same_bytes": digest(folder / "one.mp4") == digest(out)}


def head(folder: Path) -> dict:
    """A cluster made as the README says (`ray start --head` with a token),
    joined with --cluster by a user's render; then without the token mode."""
    p = plan(folder)
    ray = str(Path(sys.executable).with_name("ray"))
    env = dict(os.environ, HOME=str(folder), RAY_AUTH_MODE="token")
    subprocess.run([ray, "get-auth-token", "--generate"], env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([ray, "start", "--head", "--port", "6379", "--node-ip-address", "127.0.0.1",
                    "--num-cpus", "2", "--include-dashboard", "false"], env=env, check=True,
                   capture_output=True, timeout=120)
    try:
        argv = [sys.executable, "-m", "visualizer", "render", str(p.audio), "-o",
                str(folder / "two.mp4"), "--size", "160x90", "--chunk-seconds", "1",
                "--cluster", "127.0.0.1:6379"]
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        one = argv[:-2]   # the same render in this one process
        one[one.index("-o") + 1] = str(folder / "one.mp4")
        subprocess.run(one, env=env, capture_output=True, timeout=300, check=True)
        open_ = subprocess.run(argv[:-4] + ["-o", str(folder / "x.mp4"), "--cluster",
                                            "127.0.0.1:6379"],
                               env=dict(env, RAY_AUTH_MODE="disabled"), capture_output=True,
                               text=True, timeout=300)
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)
    return {"code": r.returncode, "same_bytes": (folder / "two.mp4").is_file() and
            digest(folder / "one.mp4") == digest(folder / "two.mp4"),
            "open_code": open_.returncode,
            "open_error": open_.stderr.strip().splitlines()[-1:]}


def bad_address(folder: Path) -> dict:
    r = subprocess.run([sys.executable, "-m", "visualizer", "render", str(folder / "song.wav"),
                        "-o", str(folder / "x.mp4"), "--cluster", "127.0.0.1:1"],
                       capture_output=True, text=True, timeout=120)
    return {"code": r.returncode, "stderr": r.stderr.strip().splitlines()[-1:],
            "output": (folder / "x.mp4").exists()}


if __name__ == "__main__":
    only_loopback()
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "bad_address":
        plan(folder)
    print(json.dumps(globals()[mode](folder)), flush=True)
