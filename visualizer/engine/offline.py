"""Offline rendering: an audio file in, a video file with that audio out.

Two passes. First the whole file is analysed with zero lag (a FeatureTrack).
Then frame k, at time start + k / fps (never the wall clock), draws with the
track's features for that time, each onset and beat on the frame nearest it
(``FeatureTrack.frames``); the streaming analyzer, which still makes the
bands and the audio texture, reads half a window ahead so those are centred
on the frame's time too. Drawing, read-back and encoding overlap (see
``output/pipeline.py``). Stopping with Ctrl-C finishes the file with what was
rendered; any other failure removes it, so nothing half-written pretends to
be complete.
"""

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.track import FeatureTrack, analyze_file
from visualizer.audio.file_source import FileSource, mono
from visualizer.engine.clock import FrameClock
from visualizer.engine.core import Engine
from visualizer.errors import AudioFileError, VisualizerError
from visualizer.output.pipeline import FramePipeline
from visualizer.output.progress import Progress
from visualizer.output.video import VideoWriter
from visualizer.scenes.cues import Ramp
from visualizer.render.renderer import Renderer
from visualizer.scenes.cues import Cue
from visualizer.scenes.scene import Scene

_SETTLE_S = 2.0  # audio analysed before --start so the automatic gain has settled


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
    render_scale: float = 1.0
    sample_rate: int = 48000
    progress: bool = True
    settings: AnalyzerSettings | None = None
    ramps: list[Ramp] = field(default_factory=list)


def render_file(audio: Path, out: Path, *, scenes: list[Scene], cues: list[Cue],
                options: RenderOptions | None = None, track: FeatureTrack | None = None) -> int:
    """Render ``audio`` to ``out`` following ``cues``; returns the frame count.

    ``cues`` must start with one at time 0 (or at ``options.start``);
    ``track`` is the file's analysis when the caller already made it.
    """
    opt = options or RenderOptions()
    sr = opt.sample_rate
    settings = opt.settings or AnalyzerSettings(sample_rate=sr)
    track = track or analyze_file(audio, sample_rate=sr, settings=settings)
    total = track.rows.shape[0] * track.hop_seconds
    if opt.start < 0 or opt.start >= max(total, 1e-9):
        raise VisualizerError(f"--start {opt.start:g} s is outside {audio} (0 to {total:.1f} s)")
    end = total if opt.duration is None else min(total, opt.start + opt.duration)
    n_frames = math.ceil((end - opt.start) * opt.fps - 1e-9)
    if n_frames < 1:  # no analysis hop at all: nothing to draw, and no file to leave
        raise AudioFileError(f"{audio}: too short to render: less than "
                             f"{track.hop_seconds * 1000:.1f} ms of audio")
    source = FileSource(audio, sample_rate=sr, report=False)  # the analysis reported repairs
    renderer = Renderer.headless(sample_rate=sr, render_scale=opt.render_scale)
    writer = pipeline = None
    frames = 0
    try:
        used = {c.scene for c in cues}
        analyzer = Analyzer(replace(settings, musical=False))
        engine = Engine(renderer, [s for s in scenes if s.key in used], scene=cues[0].scene,
                        analyzer=analyzer)
        lookahead = settings.n_fft // 2
        writer = VideoWriter(out, opt.size, opt.fps, sample_rate=sr, codec=opt.codec,
                             crf=opt.crf, preset=opt.preset)
        pipeline = FramePipeline(renderer.ctx, opt.size, writer, supersample=opt.supersample)
        big = (opt.size[0] * opt.supersample, opt.size[1] * opt.supersample)
        consumed = _settle(source, analyzer, opt.start, sr)
        clock = FrameClock(opt.fps, start=opt.start)
        frames_of = track.frames(opt.fps, start=opt.start)  # each event on its nearest frame
        bar = Progress(n_frames, label=Path(out).name) if opt.progress else None
        mono_buf = np.empty(sr, np.float32)
        audio_from = round(opt.start * sr)
        cue_index = 0
        while cue_index + 1 < len(cues) and cues[cue_index + 1].time <= opt.start:
            cue_index += 1
            engine.select(cues[cue_index].scene)
        try:
            for _ in range(n_frames):
                timing = clock.tick()
                now = round(timing.time * sr)
                block = source.read(max(now + lookahead - consumed, 0))
                consumed += block.shape[0]
                # The file's audio from the start, up to this frame's time.
                a0 = max(audio_from - (consumed - block.shape[0]), 0)
                a1 = min(block.shape[0], round(end * sr) - (consumed - block.shape[0]))
                audio_part = block[a0:max(a0, a1)]
                while cue_index + 1 < len(cues) and cues[cue_index + 1].time <= timing.time:
                    cue_index += 1
                    engine.request(cues[cue_index], timing.time)
                for ramp in opt.ramps:
                    engine.states[ramp.scene].set(ramp.param, ramp.value(timing.time))
                if block.shape[0] > mono_buf.shape[0]:
                    mono_buf = np.empty(block.shape[0], np.float32)
                engine.step(mono(block, mono_buf[:block.shape[0]]), timing, pipeline.source_fbo,
                            size=big, values=frames_of.values(timing.time))
                pipeline.submit(audio_part)
                frames += 1
                if bar:
                    bar.update(frames)
        except KeyboardInterrupt:
            pipeline.finish()  # a playable file of what was rendered
            if bar:
                bar.close(frames)
            raise RenderStopped(out, frames, opt.fps) from None
        tail = source.read(max(round(end * sr) - consumed, 0))
        pipeline.finish(tail)
        if bar:
            bar.close(frames)
        return frames
    except RenderStopped:
        raise
    except BaseException:
        if writer is not None:
            writer.abort()
            _remove(writer.written_files())
        raise
    finally:
        if pipeline is not None:
            pipeline.release()
        source.close()
        renderer.release()


def _remove(files: list[Path]) -> None:
    """Delete a failed render's files; never raises over the error being handled."""
    for f in files:
        try:
            if not f.is_dir():
                f.unlink(missing_ok=True)
        except OSError:
            pass  # the real error is on its way up; a file left behind is the lesser harm


class RenderStopped(KeyboardInterrupt):
    """Ctrl-C during a render: the file holds the frames rendered so far."""

    def __init__(self, path: Path, frames: int, fps: int):
        super().__init__(f"stopped: {path} holds the first {frames} frames ({frames / fps:.2f} s)")
        self.path, self.frames = path, frames


def _settle(source: FileSource, analyzer: Analyzer, start: float, sr: int) -> int:
    """Skip to ``start``, analysing the last seconds before it; returns samples read."""
    skip = max(round(start * sr) - round(_SETTLE_S * sr), 0)
    consumed = 0
    while consumed < skip:
        consumed += source.read(min(sr, skip - consumed)).shape[0]
        if source.at_end():
            break
    before = source.read(max(round(start * sr) - consumed, 0))
    consumed += before.shape[0]
    analyzer.process(mono(before))
    return consumed
