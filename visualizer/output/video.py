"""Video files through PyAV: the picture in H.264, HEVC, ProRes or as a PNG
sequence, with the source audio muxed where the container takes audio."""

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from visualizer.errors import OutputError


@dataclass(frozen=True)
class Codec:
    """How a picture is encoded, and the audio that goes with it."""

    name: str          # PyAV encoder
    pix_fmt: str
    audio: str | None  # audio encoder, None: the output carries no audio
    options: tuple = ()


CODECS = {
    "h264": Codec("libx264", "yuv420p", "aac"),
    "hevc": Codec("libx265", "yuv420p", "aac", (("x265-params", "log-level=error"),)),
    "prores": Codec("prores_ks", "yuv422p10le", "pcm_s16le", (("profile", "3"),)),
    "png": Codec("png", "rgb24", None),
}
"""Output codecs by name: h264 and hevc (MP4/MKV), prores (MOV, for editing),
png (a numbered image sequence)."""


def _x264_asm() -> str:
    """The instruction set x264 may use: AVX2 on a CPU with AVX-512.

    Measured here (PyAV 18's x264): with AVX-512 on, the same frames encode
    differently run to run whenever the width is not a multiple of 128
    pixels (the macroblock-tree pass reads memory it never wrote); capped at
    AVX2 they encode identically, at the same speed and size. Elsewhere x264
    picks for itself ("").
    """
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as cpu
    except ImportError:  # numpy moved it; x264's own choice is then the fallback
        return ""
    return "avx2" if cpu.get("AVX512F") and cpu.get("AVX2") else ""


_X264_ASM = _x264_asm()


def codec_for(path: Path, codec: str | None) -> str:
    """The codec named, or the one an output path implies."""
    if codec:
        if codec not in CODECS:
            raise OutputError(f"unknown codec '{codec}' (known: {', '.join(CODECS)})")
        return codec
    suffix = Path(path).suffix.lower()
    return {".mov": "prores", ".png": "png"}.get(suffix, "h264")


class VideoWriter:
    """Encodes RGB frames and stereo float audio into one file.

    Frames get presentation times k / fps and audio sample-exact times, so
    the two stay in sync however the calls interleave. A PNG sequence writes
    ``name_00001.png``... (``%05d`` in the path chooses the pattern; a chunk
    of a render starts at ``first_number``) and no audio. ``threads`` pins
    the encoder's threads (0: its own choice).
    """

    def __init__(self, path: str | Path, size: tuple[int, int], fps: int, *,
                 sample_rate: int = 48000, audio: bool = True, codec: str | None = None,
                 crf: int = 18, preset: str = "veryfast", threads: int = 0,
                 first_number: int = 1):
        self.path = Path(path)
        self.codec = codec_for(self.path, codec)
        spec = CODECS[self.codec]
        w, h = size
        self.size = (int(w), int(h))
        check_target(self.path, self.codec)
        if spec.pix_fmt.startswith("yuv420") and (w % 2 or h % 2):
            raise OutputError(f"{self.path}: {self.codec} needs an even width and height, got {w}x{h}")
        target, fmt = str(self.path), None
        if self.codec == "png":
            target = str(self.path) if "%" in self.path.name else str(
                self.path.with_name(self.path.stem + "_%05d.png"))
            fmt = "image2"
        self.first_number = first_number
        options = {"start_number": str(first_number)} if self.codec == "png" else None
        try:
            self._container = av.open(target, "w", format=fmt, options=options)
            self._video = self._container.add_stream(spec.name, rate=Fraction(fps))
        except (av.FFmpegError, OSError, ValueError) as e:
            raise OutputError(f"{self.path}: cannot write video ({_reason(e)})") from None
        options = {"crf": str(crf), "preset": preset} if self.codec in ("h264", "hevc") else {}
        setup_video_stream(self._video, self.codec, (w, h), fps, options, threads=threads)
        self._audio = None
        if audio and spec.audio:
            self._audio = add_audio_stream(self._container, spec.audio, sample_rate)
        self.sample_rate = sample_rate
        self.label = str(self.path)   # what its errors name
        self.frames = 0
        self.samples = 0

    def write_video(self, rgb: np.ndarray) -> None:
        """Encode one (h, w, 3) uint8 RGB frame."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.frames
        self.frames += 1
        self._mux(self._video.encode(frame))

    def write_audio(self, block: np.ndarray) -> None:
        """Encode (n, 2) float32 stereo samples at ``sample_rate``."""
        if self._audio is None or block.shape[0] == 0:
            return
        frame = audio_frame(block, self._audio.codec_context.name, self.sample_rate, self.samples)
        self.samples += block.shape[0]
        self._mux(self._audio.encode(frame))

    def _mux(self, packets) -> None:
        try:
            self._container.mux(packets)
        except (av.FFmpegError, OSError) as e:
            raise OutputError(f"{self.label}: writing failed ({_reason(e)})") from None

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            container.mux(self._video.encode(None))
            if self._audio is not None:
                container.mux(self._audio.encode(None))
        except (av.FFmpegError, OSError) as e:
            raise OutputError(f"{self.label}: finishing the file failed ({_reason(e)})") from None
        finally:
            container.close()

    def abort(self) -> None:
        """Close without flushing (after a failure); the caller removes the file."""
        if self._container is not None:
            container, self._container = self._container, None
            try:
                container.close()
            except (av.FFmpegError, OSError):
                pass  # the file is being discarded anyway

    def written_files(self) -> list[Path]:
        """The files this writer made (one, or a PNG sequence)."""
        if self.codec != "png":
            return [self.path]
        return png_files(self.path, self.first_number, self.frames)


def png_files(path: Path, first: int, count: int) -> list[Path]:
    """The files of a PNG sequence at ``path``, numbers ``first`` on."""
    pattern = path.name if "%" in path.name else path.stem + "_%05d.png"
    return [path.with_name(pattern % (first + i)) for i in range(count)]


def check_target(path: Path, codec: str) -> None:
    """An OutputError naming why ``path`` cannot be written, before any work."""
    try:
        folder = path.resolve().parent
        if not folder.is_dir():
            raise OutputError(f"{path}: cannot write video (folder {folder} does not exist)")
        if codec != "png" and path.is_dir():  # a PNG sequence writes beside it
            raise OutputError(f"{path}: cannot write video (it is a folder; name a file)")
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise OutputError(f"{path}: cannot write video (permission denied)")
    except (OSError, RuntimeError) as e:  # a name too long, a loop of links
        raise OutputError(f"{path}: cannot write video ({_reason(e)})") from None


def setup_video_stream(stream, codec: str, size: tuple[int, int], fps: int, options: dict, *,
                       threads: int = 0) -> None:
    """Size, pixel format, time base and encoder ``options`` of a new video
    ``stream`` of ``codec`` (a name in CODECS), over the codec's own options."""
    spec = CODECS[codec]
    stream.width, stream.height = size
    stream.pix_fmt = spec.pix_fmt
    options = {**dict(spec.options), **options}
    if codec == "h264" and _X264_ASM:
        options["x264-params"] = f"asm={_X264_ASM}"
    stream.options = options
    if threads:
        stream.thread_count = threads
    stream.time_base = Fraction(1, fps)


def add_audio_stream(container, encoder: str, sample_rate: int):
    """A stereo audio stream of ``encoder`` (AAC at 192 kb/s) in ``container``."""
    stream = container.add_stream(encoder, rate=sample_rate)
    stream.layout = "stereo"
    if encoder == "aac":
        stream.bit_rate = 192_000
    return stream


def audio_frame(block: np.ndarray, encoder: str, sample_rate: int, pts: int) -> av.AudioFrame:
    """(n, 2) float32 stereo samples as a frame ``encoder`` takes, at sample ``pts``."""
    if encoder == "pcm_s16le":
        pcm = (np.clip(block, -1, 1) * 32767).astype("<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
    else:
        planar = np.ascontiguousarray(block.T, dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
    frame.sample_rate = sample_rate
    frame.pts = pts
    return frame


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e)
