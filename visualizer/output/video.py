"""Video files through PyAV: H.264 picture with the source audio as AAC."""

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from visualizer.errors import OutputError


class VideoWriter:
    """Encodes RGB frames and stereo float audio into one MP4 (or MOV/MKV).

    Frames get presentation times k / fps and audio sample-exact times, so
    the two stay in sync however the calls interleave.
    """

    def __init__(self, path: str | Path, size: tuple[int, int], fps: int, *,
                 sample_rate: int = 48000, audio: bool = True,
                 crf: int = 18, preset: str = "veryfast"):
        self.path = Path(path)
        w, h = size
        folder = self.path.resolve().parent
        if not folder.is_dir():
            raise OutputError(f"{self.path}: cannot write video (folder {folder} does not exist)")
        if not os.access(folder, os.W_OK) or (self.path.exists() and not os.access(self.path, os.W_OK)):
            raise OutputError(f"{self.path}: cannot write video (permission denied)")
        if w % 2 or h % 2:
            raise OutputError(f"{self.path}: H.264 needs an even width and height, got {w}x{h}")
        try:
            self._container = av.open(str(self.path), "w")
        except (av.FFmpegError, OSError, ValueError) as e:
            raise OutputError(f"{self.path}: cannot write video ({_reason(e)})") from None
        self._video = self._container.add_stream("libx264", rate=Fraction(fps))
        self._video.width, self._video.height = w, h
        self._video.pix_fmt = "yuv420p"
        self._video.options = {"crf": str(crf), "preset": preset}
        self._video.time_base = Fraction(1, fps)
        self._audio = None
        if audio:
            self._audio = self._container.add_stream("aac", rate=sample_rate)
            self._audio.layout = "stereo"
            self._audio.bit_rate = 192_000
        self.sample_rate = sample_rate
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
        planar = np.ascontiguousarray(block.T, dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = self.sample_rate
        frame.pts = self.samples
        self.samples += block.shape[0]
        self._mux(self._audio.encode(frame))

    def _mux(self, packets) -> None:
        try:
            self._container.mux(packets)
        except (av.FFmpegError, OSError) as e:
            raise OutputError(f"{self.path}: writing failed ({_reason(e)})") from None

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
            raise OutputError(f"{self.path}: finishing the file failed ({_reason(e)})") from None
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


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e)
