"""Offline rendering: an audio file in, a video file with that audio out.

Plan, render the chunks, assemble. First the whole file is analysed with
zero lag (a FeatureTrack) and the render is planned (``engine/plan.py``).
Then each chunk is rendered by itself into a segment: frame k, at time
start + k / fps (never the wall clock), draws with the track's features for
that time, each onset and beat on the frame nearest it
(``FeatureTrack.frames``); the streaming analyzer, which still makes the
bands and the audio texture, reads half a window ahead so those are centred
on the frame's time too. Drawing, read-back and encoding overlap (the
read-back in ``output/sink.py``, the encoder thread in ``output/encode.py``).
Last the segments are joined without re-encoding and the sound is muxed
once (``output/assemble.py``). Stopping with Ctrl-C finishes the file with
what was rendered; any other failure removes it, so nothing half-written
pretends to be complete.
"""

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.from_file import analyze_file
from visualizer.analysis.track import FeatureTrack
from visualizer.audio.file_source import FileSource, mono
from visualizer.engine.clock import FrameClock
from visualizer.engine.core import Engine
from visualizer.engine.plan import CHUNK_SECONDS, SETTLE_S, Chunk, Encoding, RenderPlan, make_plan
from visualizer.engine.shipping import chunk_keys
from visualizer.output.assemble import assemble
from visualizer.output.encode import VideoSink
from visualizer.output.progress import Progress
from visualizer.output.sink import ProgramOut
from visualizer.output.video import VideoWriter, check_target, codec_for, png_files
from visualizer.render.renderer import OffscreenTarget, Renderer
from visualizer.scenes.cues import Cue, Ramp
from visualizer.scenes.scene import Scene


@dataclass
class RenderOptions:
    """Everything about a render besides the audio and the cues."""

    size: tuple[int, int] = (1280, 720)
    fps: int = 30
    start: float = 0.0
    duration: float | None = None
    supersample: int = 1
    codec: str | None = None
    crf: int = 18
    preset: str = "veryfast"
    threads: int = 2
    render_scale: float = 1.0
    sample_rate: int = 48000
    progress: bool = True
    settings: AnalyzerSettings | None = None
    ramps: list[Ramp] = field(default_factory=list)
    effects: list[Scene] = field(default_factory=list)          # effects the cues or fx turn on
    isf_transitions: list[Scene] = field(default_factory=list)  # ISF transitions cues may name
    fx: tuple[str, ...] = ()          # effects on from the first frame
    params: list = field(default_factory=list)   # ParamSetting: set before the first frame
    chunk_seconds: float = CHUNK_SECONDS
    resume: bool = False            # reuse the segments a stopped run of the same plan left


def render_file(audio: Path, out: Path, *, scenes: list[Scene], cues: list[Cue],
                options: RenderOptions | None = None, track: FeatureTrack | None = None) -> int:
    """Render ``audio`` to ``out`` following ``cues``, in this process; the frame count.

    ``cues`` must start with one at time 0 (or at ``options.start``);
    ``track`` is the file's analysis when the caller already made it.
    """
    opt = options or RenderOptions()
    plan = plan_render(audio, scenes=scenes, cues=cues, options=opt, track=track)
    return render_plan(plan, Path(out), progress=opt.progress, resume=opt.resume)


def plan_render(audio: Path, *, scenes: list[Scene], cues: list[Cue],
                options: RenderOptions | None = None,
                track: FeatureTrack | None = None) -> RenderPlan:
    """The plan of a render (analysing ``audio`` unless ``track`` is given)."""
    opt = options or RenderOptions()
    settings = opt.settings or AnalyzerSettings(sample_rate=opt.sample_rate)
    track = track or analyze_file(audio, sample_rate=opt.sample_rate, settings=settings)
    return make_plan(audio, track, scenes, cues, ramps=opt.ramps, size=opt.size, fps=opt.fps,
                     start=opt.start, duration=opt.duration, supersample=opt.supersample,
                     render_scale=opt.render_scale, sample_rate=opt.sample_rate,
                     settings=settings, chunk_seconds=opt.chunk_seconds,
                     encoding=Encoding(opt.codec, opt.crf, opt.preset, opt.threads),
                     effects=opt.effects, isf_transitions=opt.isf_transitions, fx=opt.fx,
                     params=opt.params)


def render_plan(plan: RenderPlan, out: Path, *, progress: bool = True,
                resume: bool = False) -> int:
    """Render every chunk of ``plan`` in turn, then assemble ``out``. With
    ``resume``, chunks whose segments an earlier run of the same plan
    finished are not rendered again."""
    codec = codec_for(out, plan.encoding.codec)
    check_target(out, codec)
    parts = Segments(out, codec, chunk_keys(plan, "this machine"))
    if not resume:
        parts.clear()
    bar = Progress(plan.frames, label=out.name) if progress else None
    frames = 0
    try:
        for chunk in plan.chunks():
            if parts.done(chunk):
                frames += chunk.count
                continue
            try:
                done = frames
                frames += render_chunk(plan, chunk, parts.part(chunk),
                                       on_frame=(lambda k: bar.update(done + k)) if bar else None)
                parts.finished(chunk)
                parts.frames = frames
            except ChunkStopped as stop:
                frames += stop.frames
                parts.join(plan, [c for c in plan.chunks() if c.first < chunk.first], stop.frames)
                if bar:
                    bar.close(frames)
                raise RenderStopped(out, frames, plan.fps) from None
        parts.join(plan, plan.chunks())
        parts.tidy()   # whole: nothing left to resume
        if bar:
            bar.close(frames)
        return frames
    except RenderStopped:
        raise
    except BaseException:
        parts.remove_all()   # the segments stay, for --resume
        raise


def _engine_at(plan: RenderPlan, renderer: Renderer, analyzer: Analyzer, cue_index: int) -> Engine:
    """An engine as the render has it once cue ``cue_index`` was taken: its
    scene, the effects and parameters asked for, the looks and effects of the cues so far."""
    engine = Engine(renderer, plan.scenes, scene=plan.cues[cue_index].scene,
                    analyzer=analyzer, transitions_dir=plan.transitions_dir,
                    effects=plan.effects, isf_transitions=plan.isf_transitions)
    for name in plan.fx:
        engine.effects.set(name, True)
    for setting in plan.params:
        setting.apply(engine)
    for cue in plan.cues[:cue_index + 1]:   # the looks and effects the cues before chose
        if cue.look:
            engine.look(cue.look, scene=cue.scene, seconds=0.0)
        if cue.fx is not None:
            engine.effects.chain(cue.fx)
    return engine


def render_chunk(plan: RenderPlan, chunk: Chunk, path: Path, *, on_frame=None,
                 source=None, report: dict | None = None) -> int:
    """Render ``chunk`` of ``plan`` into the segment ``path`` by itself; its frame count.

    The same plan and chunk give the same segment in any process. ``source``
    gives the sound (``read(n)``, ``at_end()``, ``close()``, as FileSource;
    default: the plan's file). Ctrl-C finishes the segment with the frames
    drawn and raises ChunkStopped.
    """
    sr, fps, settings = plan.sample_rate, plan.fps, plan.settings
    enc = plan.encoding
    big = (plan.size[0] * plan.supersample, plan.size[1] * plan.supersample)
    if source is None:   # the analysis reported any repairs of the file already
        source = FileSource(plan.audio, sample_rate=sr, report=False)
    renderer = Renderer.headless(sample_rate=sr, render_scale=plan.render_scale)
    if report is not None:   # which GL drew it: a cluster must not mix renderers
        report["renderer"] = renderer.ctx.info["GL_RENDERER"]
    out = sink = None
    try:
        first = chunk.first - chunk.preroll
        t0 = plan.time_of(first)
        cue_index = plan.cue_at(t0)
        analyzer = Analyzer(replace(settings, musical=False))
        engine = _engine_at(plan, renderer, analyzer, cue_index)
        writer = VideoWriter(path, plan.size, fps, sample_rate=sr, audio=False,
                             codec=codec_for(path, enc.codec), crf=enc.crf, preset=enc.preset,
                             threads=enc.threads, first_number=chunk.first + 1)
        sink = VideoSink(writer)
        out = ProgramOut(renderer.ctx, supersample=plan.supersample, in_flight=3, pool=8,
                         wait=True)
        out.add(sink)
        target = OffscreenTarget(renderer.ctx, big, renderer.activate)
        feed = _Feed(source, analyzer, t0, settings.n_fft // 2, sr)
        clock = FrameClock(fps, start=plan.start, first=first)
        frames_of = plan.track.frames(fps, start=plan.start)  # each event on its nearest frame
        kept = 0
        try:
            for j in range(chunk.preroll + chunk.count):
                timing = clock.tick()
                while cue_index + 1 < len(plan.cues) and plan.cues[cue_index + 1].time <= timing.time:
                    cue_index += 1
                    engine.request(plan.cues[cue_index], timing.time)
                for ramp in plan.ramps:
                    ramp.apply(engine, timing.time)
                engine.step(feed.until(timing.time), timing, target.fbo, size=big,
                            values=frames_of.values(timing.time))
                if j >= chunk.preroll:
                    out.frame(target.texture, timing.frame, timing.time)
                    kept += 1
                    if on_frame is not None:
                        on_frame(kept)
        except KeyboardInterrupt:
            out.flush()
            sink.close()   # a playable segment of what was rendered
            raise ChunkStopped(kept) from None
        out.flush()
        sink.close()
        return kept
    except ChunkStopped:
        raise   # its segment is whole
    except BaseException:
        if sink is not None:
            sink.abort()
            remove_files(sink.writer.written_files())
        raise
    finally:
        if out is not None:
            out.release()
        source.close()
        renderer.release()


class _Feed:
    """The file's mono samples for the streaming analyzer, half a window ahead
    of each frame's time, after settling on the seconds before the first."""

    def __init__(self, source: FileSource, analyzer: Analyzer, start: float, lookahead: int,
                 sr: int):
        self.source, self.lookahead, self.sr = source, lookahead, sr
        self.consumed = _settle(source, analyzer, start, sr)
        self._mono = np.empty(sr, np.float32)

    def until(self, t: float) -> np.ndarray:
        block = self.source.read(max(round(t * self.sr) + self.lookahead - self.consumed, 0))
        self.consumed += block.shape[0]
        if block.shape[0] > self._mono.shape[0]:
            self._mono = np.empty(block.shape[0], np.float32)
        return mono(block, self._mono[:block.shape[0]])


def _settle(source: FileSource, analyzer: Analyzer, start: float, sr: int) -> int:
    """Skip to ``start``, analysing the last seconds before it; returns samples read."""
    skip = max(round(start * sr) - round(SETTLE_S * sr), 0)
    consumed = 0
    while consumed < skip:
        consumed += source.read(min(sr, skip - consumed)).shape[0]
        if source.at_end():
            break
    before = source.read(max(round(start * sr) - consumed, 0))
    consumed += before.shape[0]
    analyzer.process(mono(before))
    return consumed


class Segments:
    """Where a render's segments are written, and their joining into ``out``.

    Each chunk's segment is named by its index and a key (the chunk's cache
    key, see ``engine/cluster.py``), written as ``.part`` and renamed when
    whole: a stopped render leaves the finished ones, which ``--resume``
    reuses. A PNG sequence needs no joining: each chunk writes its own
    numbered files."""

    def __init__(self, out: Path, codec: str, keys: list[str] | None = None):
        self.out, self.codec, self.keys = out, codec, keys
        self.folder = out.with_name(f".{out.name}.segments")
        self.frames = 0   # frames in the finished chunks (a PNG sequence's files)

    def path(self, chunk: Chunk) -> Path:
        """Where ``chunk``'s finished segment is."""
        if self.codec == "png":
            return self.out
        key = f"-{self.keys[chunk.index]}" if self.keys else ""
        return self.folder / f"{chunk.index:05d}{key}{self.out.suffix}"

    def part(self, chunk: Chunk) -> Path:
        """Where ``chunk``'s segment is written until it is whole."""
        if self.codec == "png":
            return self.out
        self.folder.mkdir(exist_ok=True)
        final = self.path(chunk)
        return final.with_name(final.stem + ".part" + final.suffix)

    def finished(self, chunk: Chunk) -> None:
        if self.codec != "png":
            self.part(chunk).replace(self.path(chunk))

    def done(self, chunk: Chunk) -> bool:
        """Is ``chunk``'s segment there, whole (from an earlier run)?"""
        return self.codec != "png" and self.path(chunk).is_file()

    def clear(self) -> None:
        """Start afresh: no segment of an earlier run is reused."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def join(self, plan: RenderPlan, chunks: list[Chunk], partial: int | None = None) -> None:
        """Assemble ``chunks`` (and the next one's first ``partial`` frames) into ``out``."""
        if self.codec == "png":
            return
        counts = [c.count for c in chunks]
        paths = [self.path(c) for c in chunks]
        if partial:
            nxt = plan.chunks()[len(chunks)]
            counts.append(partial)
            paths.append(self.part(nxt))
        assemble(paths, counts, self.out, fps=plan.fps, audio=plan.audio, start=plan.start,
                 end=min(plan.end, plan.start + sum(counts) / plan.fps),
                 sample_rate=plan.sample_rate, codec=self.codec)

    def remove_all(self) -> None:
        """After a failure: the output too, so nothing half-written pretends to be whole."""
        remove_files(png_files(self.out, 1, self.frames) if self.codec == "png" else [self.out])

    def tidy(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_files(files: list[Path]) -> None:
    """Delete a failed render's files; never raises over the error being handled."""
    for f in files:
        try:
            if not f.is_dir():
                f.unlink(missing_ok=True)
        except OSError:
            pass  # the real error is on its way up; a file left behind is the lesser harm


class ChunkStopped(KeyboardInterrupt):
    """Ctrl-C during a chunk: its segment holds ``frames`` frames."""

    def __init__(self, frames: int):
        super().__init__(frames)
        self.frames = frames


class RenderStopped(KeyboardInterrupt):
    """Ctrl-C during a render: the file holds the frames rendered so far."""

    def __init__(self, path: Path, frames: int, fps: int):
        super().__init__(f"stopped: {path} holds the first {frames} frames ({frames / fps:.2f} s)")
        self.path, self.frames = path, frames
