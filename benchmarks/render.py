"""Offline render speed: render-only, encode-only and the real command path,
then the same job beside ShaderFlow.

    .venv/bin/python benchmarks/render.py [--seconds 3] [--repeats 2] [--part 1|2|both]
        [--shaderflow-python /tmp/sfvenv/bin/python] [--install-shaderflow] [--skip-shaderflow]

About 2.5 minutes on a 2-core llvmpipe machine. Every figure is measured when
the script runs (nothing is hard-coded but ShaderFlow's reference of ~9 fps,
used only when ShaderFlow cannot run) and is the best of ``--repeats`` tries,
taken in turns so that a burst of other load spoils one try, not all.

Part 1, one row per scene (``vortex`` light, ``night`` heavy) and size, 30 fps,
the first ``--seconds`` of the built-in demo track:

* render   -- frames/s of ``Renderer.draw`` + ``OffscreenTarget.read`` (pixels
              back in numpy), nothing encoded. Steady features, no analysis.
* encode   -- frames/s of ``VideoWriter.write_video`` (+ ``close``) on ~30
              pre-rendered RGB frames cycled, with the render command's crf and
              preset (printed under the table).
* full     -- frames/s of ``visualizer.engine.offline.render_file`` (the real command
              path): frames / wall seconds, nothing subtracted, so it INCLUDES
              the whole-file analysis pass, context start-up, decoding and AAC.
* -anal    -- the same run with the separately timed ``analyze_file`` pass
              (``anal s``) taken off the wall time.
* serial   -- 1 / (1/render + 1/encode): one frame rendered, then encoded.
              On a machine whose cores both stages already keep busy (llvmpipe
              and x264 are multi-threaded), this is also about the most that
              overlapping them can give: CPU time adds up.
* full/min -- full / min(render, encode); the goal is >= 90 %. ``-anal/min`` is
              the same with the analysis pass taken off.
* others   -- cores other processes kept busy during the row, on average;
              above ~0.2 the row is disturbed (the machine may be shared).

Part 2, Shadertoy's default "new shader" gradient at 1280x720, 60 fps, 2 s,
through our Shadertoy path (a bare .glsl scene) and through ShaderFlow (PyPI
``shaderflow``, in its own venv, exporting through an ffmpeg pipe; its ffmpeg
comes from PATH or imageio-ffmpeg), with ShaderFlow's encoder settings for both
(read from the ffmpeg command it ran: libx264 ``-preset slow -crf 20``,
yuv420p). The x264 option strings written into both files are compared to show
that the settings matched. Ours also analyses and encodes the audio of a WAV
of the same length; ShaderFlow's export has no audio. "ShaderFlow render loop"
is its scene run freewheeling with no output, to show where its time goes. The
goal is ours (render_file, analysis included) >= 1.5x ShaderFlow's export.

The header names the GL renderer, the libraries and the state (hash, time) of
``offline.py`` and ``output/video.py``, since the pipeline is being worked on.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import av
import numpy as np

import visualizer.engine.offline as offline
from visualizer.analysis.features import FeatureFrame
from visualizer.analysis.from_file import analyze_file
from visualizer.audio.demo import demo_track, write_wav
from visualizer.output.video import VideoWriter
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import discover, load_scene

REPO = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.gettempdir()) / "visualizer-bench-render"
SCENES = (("vortex", "light"), ("night", "heavy"))
SIZES = ((1280, 720), (1920, 1080))
FPS = 30
RENDER_FRAMES = 60          # render-only frames per case
ENCODE_POOL = 30            # distinct frames cycled by the encode-only test
GOAL_PIPELINE = 0.90        # full / min(render, encode)
GOAL_VS_SHADERFLOW = 1.5    # ours / ShaderFlow
SHADERFLOW_REFERENCE_FPS = 9.0  # reported for this machine class when it cannot run here
SF_SIZE, SF_FPS, SF_SECONDS = (1280, 720), 60, 2.0

DEFAULT_SHADER = """\
void mainImage( out vec4 fragColor, in vec2 fragCoord ) {
    vec2 uv = fragCoord/iResolution.xy;
    vec3 col = 0.5 + 0.5*cos(iTime+uv.xyx+vec3(0,2,4));
    fragColor = vec4(col,1.0);
}
"""

# ShaderFlow has no Shadertoy mainImage entry point: its own main() with the
# same arithmetic (gl_FragCoord / iResolution is Shadertoy's uv).
SHADERFLOW_RUNNER = '''\
import json, sys, time
from shaderflow.scene import ShaderScene

FRAG = """
void main() {
    vec2 uv = gl_FragCoord.xy / iResolution.xy;
    vec3 col = 0.5 + 0.5*cos(iTime + uv.xyx + vec3(0, 2, 4));
    fragColor = vec4(col, 1.0);
}
"""

class Default(ShaderScene):
    def build(self):
        self.shader.fragment = FRAG

out, w, h, fps, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
export = out != "-"   # "-": freewheel with no output, its render loop alone
from importlib.metadata import version
scene = Default(backend="headless")
t0 = time.perf_counter()
if export:
    scene.main(output=out, width=w, height=h, fps=fps, time=secs)
else:
    scene.main(freewheel=True, width=w, height=h, fps=fps, time=secs)
wall = time.perf_counter() - t0
print("SFRESULT " + json.dumps({"wall": wall, "frames": round(fps * secs),
      "version": version("shaderflow"),
      "renderer": scene.opengl.info.get("GL_RENDERER"),
      "cmd": [str(c) for c in scene.ffmpeg.command] if export else []}))
'''


# --------------------------------------------------------------------- helpers

def file_state(rel: str) -> str:
    path = REPO / rel
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:10]
    mtime = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    return f"{rel} sha1 {digest} modified {mtime}"


def x264_options(path: Path) -> dict:
    """The option string libx264 writes into the stream (SEI), as a dict."""
    data = Path(path).read_bytes()
    start = data.find(b"x264 - core")
    if start < 0:
        return {}
    text = data[start:data.find(b"\x00", start)].decode("ascii", "replace")
    core = text.split(" - ")[1]
    opts = dict(kv.split("=", 1) for kv in text.split("options: ", 1)[-1].split() if "=" in kv)
    opts["core"] = core
    return opts


def settings_diff(a: dict, b: dict) -> list[str]:
    """Option keys that differ, threading (machine-dependent) aside."""
    skip = {"threads", "lookahead_threads", "sliced_threads"}
    return sorted(k for k in set(a) | set(b) if k not in skip and a.get(k) != b.get(k))


def describe(opts: dict) -> str:
    keys = ("crf", "ref", "subme", "trellis", "rc_lookahead", "threads", "sliced_threads")
    return " ".join(f"{k}={opts.get(k, '?')}" for k in keys) + f" [{opts.get('core', '?')}]"


def video_frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return c.streams.video[0].frames


def demo_wav(seconds: float) -> Path:
    path = WORK / f"demo_{seconds:g}s.wav"
    samples = demo_track()
    write_wav(path, samples[:round(seconds * 48000)], 48000)
    return path


def features() -> FeatureFrame:
    frame = FeatureFrame()
    frame.values[:4] = 0.7
    frame.bands[:] = np.linspace(1, 0.2, frame.bands.shape[0])
    return frame


def machine_busy() -> float:
    """CPU seconds all processes have used (from /proc/stat); 0 where unavailable."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherCPU:
    """How many cores other processes kept busy, on average, since creation."""

    def __init__(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), machine_busy(), own_cpu()

    def cores(self) -> float:
        others = machine_busy() - self.busy0 - (own_cpu() - self.own0)
        return max(others, 0.0) / max(time.perf_counter() - self.t0, 1e-9)


# ---------------------------------------------------------------- measurements

def render_only(scene, size, fps, frames, keep=ENCODE_POOL):
    """Draw + read back ``frames`` frames; returns (fps, first ``keep`` frames)."""
    renderer = Renderer.headless()
    try:
        renderer.compile(scene)
        target = renderer.offscreen(size)
        frame, kept = features(), []
        renderer.draw(scene.key, frame, FrameTiming(time=0.0, fps=fps), target.fbo)
        target.read()  # warm-up: first draw compiles lazily, first read maps
        t0 = time.perf_counter()
        for k in range(frames):
            renderer.draw(scene.key, frame, FrameTiming(time=k / fps, frame=k, fps=fps), target.fbo)
            rgb = target.read()
            if len(kept) < keep:
                kept.append(rgb.copy())
        rate = frames / (time.perf_counter() - t0)
        target.release()
        return rate, kept
    finally:
        renderer.release()


def encode_only(pool, size, fps, frames, path, **settings):
    """Encode ``frames`` frames cycling through ``pool``; returns (fps, x264 options)."""
    t0 = time.perf_counter()
    writer = VideoWriter(path, size, fps, sample_rate=48000, **settings)
    for k in range(frames):
        writer.write_video(pool[k % len(pool)])
    writer.close()
    rate = frames / (time.perf_counter() - t0)
    return rate, x264_options(path)


def command_defaults() -> dict:
    """The crf/preset the render command uses when not told otherwise."""
    defaults = offline.RenderOptions()
    return {"crf": defaults.crf, "preset": defaults.preset}


def full_pipeline(audio, scene, size, fps, out, **settings):
    """Time analyze_file alone, then render_file; returns a dict of figures."""
    t0 = time.perf_counter()
    analyze_file(audio)
    analysis = time.perf_counter() - t0
    options = offline.RenderOptions(size=size, fps=fps, progress=False, **settings)
    t0 = time.perf_counter()
    frames = offline.render_file(audio, out, scenes=[scene], cues=[Cue(0, scene.key)],
                                 options=options)
    wall = time.perf_counter() - t0
    return {"frames": frames, "wall": wall, "analysis": analysis,
            "fps": frames / wall, "fps_no_analysis": frames / max(wall - analysis, 1e-9),
            "x264": x264_options(out)}


# ---------------------------------------------------------------------- part 1

def measure_case(scene, size, fps, audio, n_full, settings, repeats, tag):
    """Render-only, encode-only and render_file, each the best of ``repeats``
    (interleaved, so a burst of other load spoils one try, not all)."""
    meter = OtherCPU()
    r_fps = e_fps = 0.0
    full = None
    for _ in range(repeats):
        rate, pool = render_only(scene, size, fps, RENDER_FRAMES)
        r_fps = max(r_fps, rate)
        rate, e_opts = encode_only(pool, size, fps, n_full, WORK / f"enc_{tag}.mp4", **settings)
        e_fps = max(e_fps, rate)
        del pool
        run = full_pipeline(audio, scene, size, fps, WORK / f"full_{tag}.mp4", **settings)
        if full is None or run["fps"] > full["fps"]:
            full = run
    return r_fps, e_fps, e_opts, full, meter.cores()


def part1(seconds: float, repeats: int):
    audio = demo_wav(seconds)
    scenes = {s.key: s for s in discover()}
    defaults = command_defaults()
    n_full = round(seconds * FPS)
    print(f"\n== Part 1: {seconds:g} s of the demo track, {FPS} fps; render-only {RENDER_FRAMES} frames, "
          f"encode-only {n_full} frames (cycling {ENCODE_POOL}), full = render_file ({n_full} frames); "
          f"best of {repeats}")
    head = (f"{'scene':15s} {'size':>9s} {'render':>7s} {'encode':>7s} {'full':>6s} "
            f"{'-anal':>6s} {'serial':>7s} {'anal s':>6s} {'full/min':>8s} {'-anal/min':>9s} "
            f"{'others':>6s}  goal>=90%")
    print(head)
    print("-" * len(head))
    rows, mismatches = [], []
    for key, weight in SCENES:
        scene = scenes[key]
        for size in SIZES:
            tag = f"{key}_{size[0]}x{size[1]}"
            r_fps, e_fps, e_opts, full, others = measure_case(
                scene, size, FPS, audio, n_full, defaults, repeats, tag)
            if diff := settings_diff(e_opts, full["x264"]):
                mismatches.append(f"{tag}: {', '.join(diff)}")
            low = min(r_fps, e_fps)
            serial = 1 / (1 / r_fps + 1 / e_fps)
            ratio, ratio_na = full["fps"] / low, full["fps_no_analysis"] / low
            verdict = "met" if ratio >= GOAL_PIPELINE else (
                "met w/o analysis" if ratio_na >= GOAL_PIPELINE else "NOT met")
            print(f"{key + ' (' + weight + ')':15s} {size[0]:>4d}x{size[1]:<4d} {r_fps:7.1f} {e_fps:7.1f} "
                  f"{full['fps']:6.1f} {full['fps_no_analysis']:6.1f} {serial:7.1f} "
                  f"{full['analysis']:6.2f} {ratio:8.0%} {ratio_na:9.0%} {others:6.2f}  {verdict}",
                  flush=True)
            rows.append((tag, r_fps, e_fps, full))
    print("others: CPU cores other processes kept busy on average during the row "
          "(above ~0.2 the row is disturbed)")
    print(f"encoder: render command defaults {defaults}; x264 in files: {describe(full['x264'])}")
    print("same x264 settings in encode-only and render_file outputs: "
          + ("yes" if not mismatches else "NO (" + "; ".join(mismatches) + ")"))
    return rows


# ---------------------------------------------------------------------- part 2

def find_ffmpeg(sf_python: Path | None) -> Path | None:
    """An ffmpeg binary: PATH first, else the one imageio-ffmpeg bundles in ShaderFlow's venv."""
    if found := shutil.which("ffmpeg"):
        return Path(found)
    if sf_python and sf_python.exists():
        probe = subprocess.run([str(sf_python), "-c", "import imageio_ffmpeg as f; print(f.get_ffmpeg_exe())"],
                               capture_output=True, text=True, timeout=60)
        if probe.returncode == 0 and probe.stdout.strip():
            return Path(probe.stdout.strip())
    return None


def install_shaderflow(venv: Path, timeout: int = 600) -> str | None:
    """python3 -m venv + pip install shaderflow imageio-ffmpeg; returns an error or None."""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120,
                       capture_output=True)
        pip = subprocess.run([str(venv / "bin" / "pip"), "install", "shaderflow", "imageio-ffmpeg"],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"pip install did not finish in {timeout} s"
    except subprocess.CalledProcessError as e:
        return f"cannot create venv ({e})"
    if pip.returncode:
        return "pip install failed: " + pip.stdout.strip().splitlines()[-1][-200:]
    return None


def run_shaderflow(sf_python: Path, out: Path | str):
    """ShaderFlow's export (``out`` "-": its render loop with no output) in a
    subprocess; returns (result dict, None) or (None, reason)."""
    if not sf_python.exists():
        return None, f"no ShaderFlow venv at {sf_python.parent.parent} (pass --install-shaderflow)"
    ffmpeg = find_ffmpeg(sf_python)
    if ffmpeg is None:
        return None, "no ffmpeg binary (not on PATH, no imageio-ffmpeg in its venv)"
    bindir = WORK / "ffmpeg-bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "ffmpeg"
    link.unlink(missing_ok=True)
    link.symlink_to(ffmpeg)
    runner = WORK / "shaderflow_default.py"
    runner.write_text(SHADERFLOW_RUNNER)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", TQDM_DISABLE="1")
    w, h = SF_SIZE
    try:
        proc = subprocess.run([str(sf_python), str(runner), str(out), str(w), str(h), str(SF_FPS),
                               str(SF_SECONDS)], capture_output=True, text=True, timeout=300,
                              env=env, cwd=WORK)
    except subprocess.TimeoutExpired:
        return None, "its export did not finish in 300 s"
    for line in proc.stdout.splitlines():
        if line.startswith("SFRESULT "):
            result = json.loads(line[len("SFRESULT "):])
            result["ffmpeg"] = str(ffmpeg)
            return result, None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return None, f"it exited {proc.returncode}: " + " | ".join(tail)[-300:]


def shaderflow_x264(cmd: list[str]) -> dict:
    """crf/preset/pix_fmt ShaderFlow passed to ffmpeg."""
    def after(flag):
        return cmd[cmd.index(flag) + 1] if flag in cmd else None
    return {"crf": after("-crf"), "preset": after("-preset"), "pix_fmt": after("-pix_fmt"),
            "vf": after("-vf")}


def part2(sf_python: Path | None, repeats: int):
    w, h = SF_SIZE
    n = round(SF_FPS * SF_SECONDS)
    print(f"\n== Part 2: Shadertoy default shader, {w}x{h}, {SF_FPS} fps, {SF_SECONDS:g} s ({n} frames); "
          f"best of {repeats}, ShaderFlow and ours taking turns")
    shader = WORK / "default.glsl"
    shader.write_text(DEFAULT_SHADER)
    scene = load_scene(shader)
    audio = demo_wav(SF_SECONDS)
    meter = OtherCPU()

    sf_fps, sf, sf_loop, reason = None, None, None, "skipped (--skip-shaderflow)"
    settings = {"crf": 20, "preset": "slow"}  # ShaderFlow's defaults, used if it cannot run
    r_fps = e_fps = 0.0
    full = None
    for attempt in range(repeats):
        if sf_python is not None and (attempt == 0 or sf):
            run, reason = run_shaderflow(sf_python, WORK / "shaderflow.mp4")
            if run:
                sf = run
                sf_set = shaderflow_x264(run["cmd"])
                settings = {"crf": int(sf_set["crf"]), "preset": sf_set["preset"]}
                sf_fps = max(sf_fps or 0.0, run["frames"] / run["wall"])
        rate, pool = render_only(scene, SF_SIZE, SF_FPS, n)
        r_fps = max(r_fps, rate)
        rate, _ = encode_only(pool, SF_SIZE, SF_FPS, n, WORK / "ours_encode.mp4", **settings)
        e_fps = max(e_fps, rate)
        del pool
        run = full_pipeline(audio, scene, SF_SIZE, SF_FPS, WORK / "ours.mp4", **settings)
        if full is None or run["fps"] > full["fps"]:
            full = run
    if sf:
        sf_loop, _ = run_shaderflow(sf_python, "-")
        print(f"ShaderFlow {sf['version']} on {sf['renderer']}, ffmpeg {sf['ffmpeg']}")
        print(f"  its ffmpeg command: {' '.join(sf['cmd'][1:])}")
    others = meter.cores()

    print(f"{'':34s} {'fps':>6s}  note")
    print(f"{'ours render-only (draw+read)':34s} {r_fps:6.1f}")
    print(f"{'ours encode-only':34s} {e_fps:6.1f}  preset {settings['preset']}, crf {settings['crf']}")
    print(f"{'ours render_file, with analysis':34s} {full['fps']:6.1f}  {full['frames']} frames "
          f"in {full['wall']:.2f} s, incl. {full['analysis']:.2f} s analysis + AAC audio")
    print(f"{'ours render_file, minus analysis':34s} {full['fps_no_analysis']:6.1f}")
    if sf_fps:
        print(f"{'ShaderFlow export':34s} {sf_fps:6.1f}  {sf['frames']} frames, scene.main() timed, "
              f"ffmpeg's flush included; no audio")
        if sf_loop:
            print(f"{'ShaderFlow render loop, no output':34s} {sf_loop['frames'] / sf_loop['wall']:6.1f}  "
                  f"same scene, freewheel, nothing read back or encoded (one try)")
        ref = sf_fps
    else:
        print(f"{'ShaderFlow export':34s} {'-':>6s}  not measured here ({reason}); "
              f"reference: ~{SHADERFLOW_REFERENCE_FPS:g} fps reported on this machine class")
        ref = SHADERFLOW_REFERENCE_FPS
    ratio = full["fps"] / ref
    against = "measured ShaderFlow" if sf_fps else f"the {SHADERFLOW_REFERENCE_FPS:g} fps reference"
    print(f"ours / ShaderFlow: {ratio:.2f}x with analysis, {full['fps_no_analysis'] / ref:.2f}x without "
          f"(against {against}; goal >= {GOAL_VS_SHADERFLOW}x: "
          f"{'met' if ratio >= GOAL_VS_SHADERFLOW else 'NOT met'})")
    print(f"x264 ours:       {describe(full['x264'])}")
    sf_opts = x264_options(WORK / "shaderflow.mp4") if sf else {}
    if sf_opts:
        print(f"x264 ShaderFlow: {describe(sf_opts)}")
        diff = settings_diff(full["x264"], sf_opts)
        print("same x264 settings (threading aside): " + ("yes" if not diff else "differ in " + ", ".join(
            f"{k} (ours {full['x264'].get(k)}, theirs {sf_opts.get(k)})" for k in diff)))
        print(f"frames in files: ours {video_frames(WORK / 'ours.mp4')}, "
              f"ShaderFlow {video_frames(WORK / 'shaderflow.mp4')}; ShaderFlow also runs "
              f"'-vf {sf_set['vf']}' in ffmpeg and an SSAA resolve pass on the GPU")
    print(f"others: other processes kept {others:.2f} cores busy on average during part 2")


# ------------------------------------------------------------------------ main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="audio per part-1 case")
    parser.add_argument("--shaderflow-python", type=Path, default=Path("/tmp/sfvenv/bin/python"))
    parser.add_argument("--install-shaderflow", action="store_true",
                        help="create the ShaderFlow venv first if it is missing (pip, 10 min limit)")
    parser.add_argument("--skip-shaderflow", action="store_true")
    parser.add_argument("--repeats", type=int, default=2, help="best of N for every figure")
    parser.add_argument("--part", choices=("1", "2", "both"), default="both")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    started, meter = time.perf_counter(), OtherCPU()
    probe = Renderer.headless()
    gl = probe.ctx.info["GL_RENDERER"]
    probe.release()
    print(f"when: {datetime.now():%Y-%m-%d %H:%M:%S}  host: {platform.node()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}")
    print(f"GL: {gl}; PyAV {av.__version__} (libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))})")
    for rel in ("visualizer/engine/offline.py", "visualizer/output/video.py"):
        print(file_state(rel))

    if args.part in ("1", "both"):
        part1(args.seconds, args.repeats)
    if args.part in ("2", "both"):
        sf_python = None if args.skip_shaderflow else args.shaderflow_python
        if sf_python and not sf_python.exists() and args.install_shaderflow:
            if err := install_shaderflow(sf_python.parent.parent):
                print(f"ShaderFlow install failed: {err}")
        part2(sf_python, args.repeats)
    others = meter.cores()
    print(f"\ntotal {time.perf_counter() - started:.0f} s; other processes kept {others:.2f} of "
          f"{os.cpu_count()} cores busy on average{' (figures disturbed)' if others > 0.2 else ''}")


if __name__ == "__main__":
    main()
