"""Join a render's segments into one file without re-encoding, and mux the
sound once.

Each segment is a chunk of the render's frames, encoded by itself from a
keyframe (``engine/offline.py``), in the output's own container and codec.
Their packets are copied in order, each moved later by the frames before its
segment; the sound, from the source file's ``start`` to ``end``, is encoded
once, segment by segment beside the picture, so the file interleaves as a
player wants it and memory stays small however long the concert.
"""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from visualizer.audio.file_source import FileSource
from visualizer.errors import OutputError
from visualizer.output.video import CODECS, add_audio_stream, audio_frame


def assemble(segments: list[Path], counts: list[int], out: Path, *, fps: int,
             audio: Path | None, start: float, end: float, sample_rate: int,
             codec: str) -> None:
    """Write ``out`` from ``segments`` (holding ``counts`` frames each) and
    the sound of ``audio`` from ``start`` to ``end`` seconds."""
    try:
        container = av.open(str(out), "w")
    except (av.FFmpegError, OSError, ValueError) as e:
        raise OutputError(f"{out}: cannot write video ({_reason(e)})") from None
    sound = _Sound(container, audio, start, end, sample_rate, CODECS[codec].audio)
    video, done = None, 0
    try:
        for path, count in zip(segments, counts):
            with av.open(str(path)) as segment:
                source = segment.streams.video[0]
                if video is None:
                    video = container.add_stream_from_template(source)
                    sound.add()
                shift = round(Fraction(done, fps) / source.time_base)
                for packet in segment.demux(source):
                    if packet.dts is None:   # the demuxer's end-of-stream marker
                        continue
                    packet.pts = packet.pts + shift if packet.pts is not None else None
                    packet.dts += shift
                    packet.stream = video
                    container.mux(packet)
            done += count
            sound.until(done / fps)
        sound.finish()
    except (av.FFmpegError, OSError) as e:
        raise OutputError(f"{out}: joining the segments failed ({_reason(e)})") from None
    finally:
        sound.close()
        container.close()


class _Sound:
    """The source's sound from ``start`` to ``end``, encoded as VideoWriter does."""

    def __init__(self, container, audio: Path | None, start: float, end: float,
                 sample_rate: int, encoder: str | None):
        self.container, self.sample_rate, self.encoder = container, sample_rate, encoder
        self.first, self.last = round(start * sample_rate), round(end * sample_rate)
        self.source = FileSource(audio, sample_rate=sample_rate, report=False) \
            if audio is not None and encoder else None
        self.stream = None
        self.written = 0   # samples encoded
        self.consumed = 0  # samples read from the source

    def add(self) -> None:
        if self.source is None:
            return
        self.stream = add_audio_stream(self.container, self.encoder, self.sample_rate)
        while self.consumed < self.first:   # skip to the render's start
            block = self.source.read(min(self.sample_rate, self.first - self.consumed))
            self.consumed += block.shape[0]
            if block.shape[0] == 0:
                break

    def until(self, t: float) -> None:
        """Encode the sound up to ``t`` seconds after the render's start."""
        if self.stream is None:
            return
        upto = self.last if t == float("inf") else min(self.first + round(t * self.sample_rate),
                                                       self.last)
        want = upto - self.consumed
        while want > 0:
            block = self.source.read(min(want, self.sample_rate))
            if block.shape[0] == 0:
                break
            self.consumed += block.shape[0]
            want -= block.shape[0]
            self._encode(block)

    def _encode(self, block: np.ndarray) -> None:
        frame = audio_frame(block, self.encoder, self.sample_rate, self.written)
        self.written += block.shape[0]
        self.container.mux(self.stream.encode(frame))

    def finish(self) -> None:
        if self.stream is not None:
            self.until(float("inf"))
            self.container.mux(self.stream.encode(None))

    def close(self) -> None:
        if self.source is not None:
            self.source.close()


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e)
