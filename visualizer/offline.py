"""Offline rendering: an audio file in, a video file with that audio out.

Two passes. First the whole file is analysed with zero lag (a FeatureTrack).
Then frame k, at time k / fps (never the wall clock), draws with the track's
features for that time; the streaming analyzer, which still makes the bands
and the audio texture, reads half a window ahead so those are centred on the
frame's time too. Each decoded block also goes to the audio encoder.
"""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.track import analyze_file
from visualizer.audio.file_source import FileSource, mono
from visualizer.clock import FrameClock
from visualizer.engine import Cue, Engine
from visualizer.output.video import VideoWriter
from visualizer.progress import Progress
from visualizer.render.renderer import Renderer
from visualizer.scene import Scene


def render_file(audio: Path, out: Path, *, scenes: list[Scene], cues: list[Cue],
                size: tuple[int, int], fps: int, sample_rate: int = 48000,
                progress: bool = True, settings: AnalyzerSettings | None = None,
                render_scale: float = 1.0) -> int:
    """Render ``audio`` to ``out`` following ``cues``; returns the frame count.

    ``cues`` must start with one at time 0. A partial file is removed if the
    render fails, so nothing half-written pretends to be complete.
    """
    settings = settings or AnalyzerSettings(sample_rate=sample_rate)
    track = analyze_file(audio, sample_rate=sample_rate, settings=settings)
    source = FileSource(audio, sample_rate=sample_rate)
    renderer = Renderer.headless(sample_rate=sample_rate, render_scale=render_scale)
    writer = None
    try:
        used = {c.scene for c in cues}
        analyzer = Analyzer(replace(settings, musical=False))
        engine = Engine(renderer, [s for s in scenes if s.key in used], scene=cues[0].scene,
                        analyzer=analyzer)
        lookahead = engine.analyzer.settings.n_fft // 2
        target = renderer.offscreen(size)
        writer = VideoWriter(out, size, fps, sample_rate=sample_rate)
        clock = FrameClock(fps)
        bar = Progress(math.ceil(source.duration * fps), label=Path(out).name) if progress else None
        mono_buf = np.empty(sample_rate, np.float32)
        cue_index, consumed, frames = 0, 0, 0
        while True:
            timing = clock.tick()
            now = round(timing.time * sample_rate)
            block = source.read(max(now + lookahead - consumed, 0))
            consumed += block.shape[0]
            writer.write_audio(block)
            if source.at_end() and consumed <= now:
                break  # the audio ends before this frame: the video is as long as the audio
            while cue_index + 1 < len(cues) and cues[cue_index + 1].time <= timing.time:
                cue_index += 1
                engine.request(cues[cue_index], timing.time)
            if block.shape[0] > mono_buf.shape[0]:
                mono_buf = np.empty(block.shape[0], np.float32)
            engine.step(mono(block, mono_buf[:block.shape[0]]), timing, target.fbo,
                        values=track.rows[track.index_at(timing.time)])
            writer.write_video(target.read())
            frames += 1
            if bar:
                bar.update(frames)
        writer.close()
        if bar:
            bar.close(frames)
        return frames
    except BaseException:
        if writer is not None:
            writer.abort()
            Path(out).unlink(missing_ok=True)
        raise
    finally:
        source.close()
        renderer.release()
