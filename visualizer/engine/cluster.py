"""A render spread over a Ray cluster: the same chunks, rendered anywhere.

The driver analyses the audio and makes the plan (as for one process), puts
the plan and a snapshot of the scenes' files in Ray's object store, and
sends one task per chunk with that chunk's slice of the sound. A worker needs
the package, not the project's files or the audio. It renders the chunk
headless (on the GPU Ray gave it, or llvmpipe) and returns the segment's
bytes; the driver writes each finished segment, joins them without
re-encoding and muxes the sound once (``engine/offline.py``), exactly as one
process rendering the chunks in turn would. Ray retries a chunk whose worker
died. A chunk's segment is cached under a key of the plan, the chunk, the
renderer and the package version, so ``--resume`` goes on where a stopped
render stopped. Ray is an optional extra: ``pip install visualizer[cluster]``.
"""

import os
import time
from pathlib import Path

from visualizer.engine.offline import RenderStopped, Segments, remove_files
from visualizer.engine.plan import Chunk, RenderPlan
from visualizer.engine.shipping import chunk_keys, pack_files, slices
from visualizer.errors import VisualizerError
from visualizer.userfile import label
from visualizer.output.progress import Progress
from visualizer.output.video import check_target, codec_for, png_files


def render_on_cluster(plan: RenderPlan, out: Path, *, workers: int = 0, address: str = "",
                      gpus_per_worker: float = 0, resume: bool = False,
                      progress: bool = True, stats: dict | None = None) -> int:
    """Render ``plan`` to ``out`` on Ray: a local cluster of ``workers``
    processes, or the cluster at ``address`` ('auto': RAY_ADDRESS).
    ``stats`` (benchmarks) gets the time of each part."""
    ray = _ray()
    codec = codec_for(out, plan.encoding.codec)
    check_target(out, codec)
    began = time.perf_counter()
    _connect(ray, workers, address)
    try:
        job = _Job(ray, plan, out, codec, gpus_per_worker, resume, progress)
        job.stats["connect_s"] = time.perf_counter() - began
        frames = job.run()
        if stats is not None:
            stats.update(job.stats)
        return frames
    finally:
        ray.shutdown()


class _Job:
    def __init__(self, ray, plan, out, codec, gpus, resume, progress):
        self.ray, self.plan, self.out, self.codec = ray, plan, out, codec
        self.options = {"num_cpus": 1, "num_gpus": gpus, "max_retries": 3}
        self.stats = {"chunk_s": [], "segment_bytes": 0}
        began = time.perf_counter()
        self.renderer = ray.get(_probe.options(**self.options).remote())
        self.stats["probe_s"] = time.perf_counter() - began
        self.parts = Segments(out, codec, chunk_keys(plan, self.renderer))
        if not resume:
            self.parts.clear()
        self.bar = Progress(plan.frames, label=out.name) if progress else None
        self.done: dict[int, int] = {}   # chunk index -> frames
        self.resumed = 0                  # frames of segments an earlier run finished

    def run(self) -> int:
        ray, plan, parts = self.ray, self.plan, self.parts
        chunks = plan.chunks()
        todo = [c for c in chunks if not parts.done(c)]
        self.done.update({c.index: c.count for c in chunks if parts.done(c)})
        self.resumed = sum(self.done.values())
        counter = _Counter.remote()
        began = time.perf_counter()
        plan_ref = ray.put(plan)
        files_ref = ray.put(pack_files(plan))
        self.stats["put_s"] = time.perf_counter() - began
        began = time.perf_counter()
        pending = {}
        try:
            for chunk, piece in zip(todo, slices(plan, todo)):
                ref = _render.options(**self.options).remote(plan_ref, files_ref, chunk, piece,
                                                             counter, self.out.name)
                pending[ref] = chunk
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                for ref in ready:
                    self._finished(pending.pop(ref), ref)
                self._progress(counter)
        except KeyboardInterrupt:
            # No ray.cancel(force=True) here: racing a task that is just
            # finishing, it crashed Ray's core (2.60, "Tried to complete task
            # that was not pending"). ray.shutdown() in render_on_cluster ends
            # the job, and with it the tasks still running.
            return self._stopped()
        except BaseException:
            if self.codec == "png":   # no partial sequence pretends to be whole
                remove_files(png_files(self.out, 1, plan.frames))
            raise
        self.stats["chunks_s"] = time.perf_counter() - began
        began = time.perf_counter()
        parts.join(plan, chunks)
        self.stats["join_s"] = time.perf_counter() - began
        parts.tidy()
        if self.bar:
            self.bar.close(plan.frames)
        return plan.frames

    def _finished(self, chunk: Chunk, ref) -> None:
        try:
            data, frames, renderer, seconds = self.ray.get(ref)
        except Exception as e:  # noqa: BLE001 -- a chunk failed on every retry: one line
            raise VisualizerError(f"chunk {chunk.index + 1} (frames {chunk.first}-"
                                  f"{chunk.first + chunk.count - 1}) failed on the cluster: "
                                  f"{_reason(e)}") from None
        if renderer != self.renderer:
            raise VisualizerError(f"the cluster mixes renderers ('{self.renderer}' and "
                                  f"'{renderer}'): the chunks would not match; use one kind "
                                  "of worker (--gpus-per-worker for GPU machines only)")
        for name, content in data.items():   # one segment, or a chunk of a PNG sequence
            target = self.parts.part(chunk) if self.codec != "png" else self.out.with_name(name)
            target.write_bytes(content)
            self.stats["segment_bytes"] += len(content)
        self.stats["chunk_s"].append(seconds)
        self.done[chunk.index] = frames
        self.parts.finished(chunk)

    def _progress(self, counter) -> None:
        """Frames drawn on every worker (a retried chunk's twice, so capped)."""
        if self.bar:
            drawn = self.ray.get(counter.total.remote())
            self.bar.update(min(drawn + self.resumed, self.plan.frames))

    def _stopped(self) -> int:
        """Ctrl-C: join the chunks finished from the start; the file plays."""
        chunks = self.plan.chunks()
        whole = []
        for c in chunks:
            if c.index not in self.done:
                break
            whole.append(c)
        frames = sum(c.count for c in whole)
        if whole:
            self.parts.join(self.plan, whole)
        if self.bar:
            self.bar.close(frames)
        raise RenderStopped(self.out, frames, self.plan.fps)


def _ray():
    try:
        import ray
    except ImportError:
        raise VisualizerError("rendering on a cluster needs Ray: pip install "
                              "'visualizer[cluster]'") from None
    return ray


def _connect(ray, workers: int, address: str) -> None:
    """Start a local cluster of ``workers`` processes bound to 127.0.0.1, or join one."""
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        if address:
            if address == "auto" and not os.environ.get("RAY_ADDRESS"):
                raise VisualizerError("--cluster auto: RAY_ADDRESS is not set")
            _reachable(os.environ["RAY_ADDRESS"] if address == "auto" else address)
            _require_token(address)
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        else:
            ray.init(num_cpus=workers, num_gpus=_local_gpus(), include_dashboard=False,
                     _node_ip_address="127.0.0.1", log_to_driver=False,
                     logging_level="ERROR")
    except VisualizerError:
        raise
    except Exception as e:  # noqa: BLE001 -- Ray's connection errors share no base class
        raise VisualizerError(f"--cluster {label(address) or 'local'}: cannot connect to the Ray "
                              f"cluster ({_reason(e)})") from None


def _reachable(address: str) -> None:
    """A one-line error now for a head that is not there (Ray itself would
    retry for minutes)."""
    import socket
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise VisualizerError(f"--cluster {label(address)}: expected HEAD:PORT like "
                              "10.0.0.2:6379")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except (OSError, UnicodeError, ValueError) as e:
        reason = getattr(e, "strerror", None) or " ".join(str(e).split()) or type(e).__name__
        raise VisualizerError(f"--cluster {label(address)}: no Ray head answers there "
                              f"({reason})") from None


def _require_token(address: str) -> None:
    """An open Ray cluster runs anyone's code: join only one that checks a token."""
    if os.environ.get("RAY_AUTH_MODE", "token") != "token":
        raise VisualizerError(f"--cluster {label(address)}: RAY_AUTH_MODE is "
                              f"{label(os.environ['RAY_AUTH_MODE'])}: a cluster without token "
                              "authentication runs anyone's code; use RAY_AUTH_MODE=token")
    token = Path.home() / ".ray" / "auth_token"
    if not os.environ.get("RAY_AUTH_TOKEN") and not token.is_file():
        raise VisualizerError(f"--cluster {label(address)}: no Ray token here ({token} or "
                              "RAY_AUTH_TOKEN): copy the head's ~/.ray/auth_token to this "
                              "machine (the README says how)")
    os.environ["RAY_AUTH_MODE"] = "token"


def _local_gpus() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return len([d for d in visible.split(",") if d.strip()]) if visible else 0


def _reason(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 300 else text[:300] + "..."


def _remote(fn=None, **kwargs):
    """``ray.remote`` when Ray is installed; the function unchanged when not."""
    try:
        import ray
    except ImportError:
        return fn
    return ray.remote(**kwargs)(fn) if kwargs else ray.remote(fn)


class _CounterImpl:
    """Frames drawn on every worker, for the driver's progress bar."""

    def __init__(self):
        self.frames = 0

    def add(self, n: int) -> None:
        self.frames += n

    def total(self) -> int:
        return self.frames


_Counter = _remote(_CounterImpl, num_cpus=0)


def _worker_setup() -> None:
    """A worker renders on the GPU Ray gave it (by CUDA_VISIBLE_DEVICES, the
    EGL device of the same index) or on llvmpipe with one thread per CPU
    Ray gave it: never more threads than cores."""
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if gpus and gpus.split(",")[0].isdigit():
        os.environ["GLCONTEXT_DEVICE_INDEX"] = gpus.split(",")[0]
    os.environ.setdefault("LP_NUM_THREADS", "1")


def _probe_impl() -> str:
    _worker_setup()
    from visualizer.render.renderer import Renderer
    renderer = Renderer.headless()
    try:
        return renderer.ctx.info["GL_RENDERER"]
    finally:
        renderer.release()


_probe = _remote(_probe_impl)


def _render_impl(plan: RenderPlan, files, chunk: Chunk, piece, counter, name: str):
    """One chunk on a worker: ({file name: bytes} of its segment or PNG
    frames, frames, the GL renderer, seconds)."""
    import tempfile

    from visualizer.engine.offline import render_chunk
    from visualizer.engine.shipping import unpack
    _worker_setup()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        local = unpack(plan, files, Path(tmp) / "files")
        written = Path(tmp) / "out"
        written.mkdir()
        segment = written / name
        if _pid_folder := os.environ.get("VISUALIZER_CHUNK_PIDS"):   # tests kill a worker
            (Path(_pid_folder) / f"{chunk.index}.{os.getpid()}").touch()

        def drawn(k: int) -> None:
            if k % 10 == 0:
                counter.add.remote(10)
        began = time.perf_counter()
        frames = render_chunk(local, chunk, segment, source=piece, on_frame=drawn, report=report)
        data = {f.name: f.read_bytes() for f in sorted(written.iterdir())}
        return data, frames, report.get("renderer", ""), time.perf_counter() - began


_render = _remote(_render_impl)

