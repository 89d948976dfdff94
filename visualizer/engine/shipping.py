"""A render's plan made self-contained, so a chunk renders on a machine that
has the package installed but not the project's files or the audio.

:func:`pack_files` snapshots the folders the plan's scenes read (the built-in
shaders with their ``lib/`` and transitions, and each scene's own folder);
:func:`unpack` writes them under a folder of the worker's and returns the
plan with every path moved there. :class:`SampleSlice` is the sound one chunk
needs (its settle time, pre-roll, frames and look-ahead), cut once on the
driver from the decoded file and read by the chunk as it would read the file.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from visualizer.audio.file_source import FileSource
from visualizer.engine.plan import SETTLE_S, Chunk, RenderPlan
from visualizer.errors import VisualizerError
from visualizer.scenes.scene import SHADERS_DIR

MAX_FILE_BYTES = 4 * 2**20
"""A shader or scene file is kilobytes: anything this large in a scene
folder is not one (and would not travel with every chunk)."""


@dataclass(frozen=True)
class Files:
    """Folders as {index: {relative path: bytes}} and where each came from."""

    roots: tuple[Path, ...]
    contents: tuple[dict, ...]


def pack_files(plan: RenderPlan) -> Files:
    """Snapshot the built-in shaders and every scene's folder of ``plan``."""
    roots = [Path(SHADERS_DIR).resolve()]
    for scene in plan.shaders:
        # Its own folder, and wherever its passes, vertex shaders and images are
        # (a Shadertoy export's passes are written to a folder of their own).
        files = [scene.path, *(p.shader for p in scene.passes),
                 *(p.vertex for p in scene.passes if p.vertex), *scene.images.values()]
        for folder in (Path(f).resolve().parent for f in files):
            if folder not in roots:
                roots.append(folder)
    contents = []
    for i, root in enumerate(roots):
        deep = i == 0   # the built-in tree whole; a scene folder, its files and lib/
        files = {}
        for path in sorted(root.rglob("*") if deep else [*root.glob("*"), *root.glob("lib/*")]):
            if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
                files[str(path.relative_to(root))] = path.read_bytes()
        contents.append(files)
    return Files(tuple(roots), tuple(contents))


def unpack(plan: RenderPlan, files: Files, folder: Path) -> RenderPlan:
    """Write ``files`` under ``folder``; ``plan`` with its paths moved there."""
    moved = {}
    for i, (root, contents) in enumerate(zip(files.roots, files.contents)):
        base = folder / f"root{i}"
        for name, data in contents.items():
            target = base / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        moved[root] = base

    def move(path: Path) -> Path:
        path = Path(path).resolve() if Path(path).is_absolute() else Path(path)
        for root in sorted(moved, key=lambda r: len(str(r)), reverse=True):
            if path == root or root in path.parents:
                return moved[root] / path.relative_to(root)
        return path

    def moved_scene(s):
        return replace(s, path=move(s.path), shaders_dir=move(s.shaders_dir),
                       images={name: move(path) for name, path in s.images.items()},
                       passes=tuple(replace(p, shader=move(p.shader),
                                            vertex=p.vertex and move(p.vertex))
                                    for p in s.passes))

    return replace(plan, scenes=[moved_scene(s) for s in plan.scenes],
                   effects=[moved_scene(s) for s in plan.effects],
                   isf_transitions=[moved_scene(s) for s in plan.isf_transitions],
                   transitions_dir=move(plan.transitions_dir))


class SampleSlice:
    """Stereo samples from sample ``first`` on, read as FileSource reads the
    whole file: zeros before ``first`` (never used: the settle skips them),
    nothing after the slice."""

    def __init__(self, samples: np.ndarray, first: int):
        self.samples, self.first = samples, first
        self.position = 0

    def read(self, n: int) -> np.ndarray:
        out = np.zeros((max(n, 0), 2), np.float32)
        a, b = self.position - self.first, self.position + n - self.first
        lo, hi = max(a, 0), min(b, self.samples.shape[0])
        if hi > lo:
            out[lo - a:hi - a] = self.samples[lo:hi]
        end = self.first + self.samples.shape[0]
        if self.position + n > end:   # the file ends here
            out = out[:max(end - self.position, 0)]
        self.position += out.shape[0]
        return out

    def at_end(self) -> bool:
        return self.position >= self.first + self.samples.shape[0]

    def close(self) -> None:
        pass


def sample_range(plan: RenderPlan, chunk: Chunk, lookahead: int) -> tuple[int, int]:
    """The samples ``chunk`` reads: from its settle to its last frame's look-ahead."""
    sr = plan.sample_rate
    start = plan.time_of(chunk.first - chunk.preroll)
    first = max(round(start * sr) - round(SETTLE_S * sr), 0)
    end = round(plan.time_of(chunk.first + chunk.count - 1) * sr) + lookahead + 1
    return first, end


def slices(plan: RenderPlan, chunks: list[Chunk]) -> Iterator[SampleSlice]:
    """Each chunk's SampleSlice, in order, decoding the file once with a
    window of a chunk or so in memory (a concert never is all at once)."""
    lookahead = plan.settings.n_fft // 2
    with FileSource(plan.audio, sample_rate=plan.sample_rate, report=False) as source:
        buffer, buffer_first = np.zeros((0, 2), np.float32), 0
        for chunk in chunks:
            first, end = sample_range(plan, chunk, lookahead)
            if first < buffer_first:
                raise VisualizerError("chunks must come in order")
            drop = min(first - buffer_first, buffer.shape[0])
            buffer, buffer_first = buffer[drop:], buffer_first + drop
            while buffer_first + buffer.shape[0] < end and not source.at_end():
                skip = max(first - (buffer_first + buffer.shape[0]), 0)
                block = source.read(min(skip, plan.sample_rate * 10) if skip else
                                    end - buffer_first - buffer.shape[0])
                if skip:
                    buffer_first += block.shape[0]
                else:
                    buffer = np.concatenate([buffer, block])
            yield SampleSlice(buffer[:end - buffer_first].copy(), buffer_first)


def chunk_keys(plan: RenderPlan, renderer: str) -> list[str]:
    """Each chunk's cache key: the plan (features, cues, ramps, scenes and
    their files, every option), the chunk, the renderer, the package version."""
    from visualizer import __version__
    h = hashlib.sha256()
    track = plan.track
    for array in (track.rows, track.onset_times, track.beat_times):
        h.update(memoryview(array.tobytes()))
    h.update(repr((track.tempo, track.hop_seconds, plan.cues, plan.ramps, plan.size, plan.fps,
                   plan.start, plan.end, plan.frames, plan.supersample, plan.render_scale,
                   plan.sample_rate, plan.settings, plan.encoding, plan.chunk_seconds,
                   [(s.key, s.params, s.bindings, s.passes) for s in plan.shaders],
                   plan.fx, plan.params,
                   Path(plan.audio).name, renderer, __version__)).encode())
    files = pack_files(plan)
    for contents in files.contents:
        for name, data in contents.items():
            h.update(name.encode())
            h.update(data)
    base = h.hexdigest()
    return [hashlib.sha256(f"{base}:{c.index}:{c.first}:{c.count}:{c.preroll}".encode())
            .hexdigest()[:16] for c in plan.chunks()]
