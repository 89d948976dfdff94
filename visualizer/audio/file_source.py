"""Audio files through PyAV: any format FFmpeg decodes (WAV, FLAC, OGG, MP3...),
resampled to the analysis rate as float32 stereo, streamed block by block."""

import sys
from collections import deque
from pathlib import Path

import av
import numpy as np

from visualizer.errors import AudioFileError

CHANNELS = 2
LIMIT = 16.0
"""Decoded samples are clipped to +-LIMIT (+24 dBFS). Float files may go over
full scale (1.0) and such overs are kept, but a magnitude like 1e30 is garbage
(a wrong header, uninitialised data): its square overflows float32 in the
analysis, and FFmpeg's AAC encoder refuses a frame whose coefficients pass
1e16. At +-16 a whole analysis window's energy stays far inside float32."""

_MIN_RATE = 1000  # Hz; below it no file holds real sound

_FLOAT_DTYPES = {"flt": np.float32, "fltp": np.float32, "dbl": np.float64, "dblp": np.float64}


class FileSource:
    """Decodes ``path`` lazily; :meth:`read` returns (n, 2) float32 blocks.

    Mono files are duplicated to both channels, more than two channels are
    downmixed by FFmpeg's resampler. ``duration`` is the container's estimate
    (exact for WAV and FLAC); the decoded length is the truth.

    Every sample read is finite and within +-:data:`LIMIT`: NaN and inf
    become 0 (silence), larger magnitudes are clipped; ``nonfinite`` and
    ``clipped`` count them (sample values, all channels, as decoded,
    before the downmix and the resampler).
    With ``report``, :meth:`close` says so in one line on stderr; a second
    pass over a file already reported passes ``report=False``.
    """

    def __init__(self, path: str | Path, *, sample_rate: int = 48000, report: bool = True):
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.report = report
        self.nonfinite = 0
        self.clipped = 0
        try:
            if not self.path.exists():
                raise AudioFileError(f"{self.path}: audio file not found")
            if self.path.is_dir():
                raise AudioFileError(f"{self.path}: is a folder, not an audio file")
        except OSError as e:  # a name too long, a folder we may not look into
            raise AudioFileError(f"{self.path}: cannot be read ({_reason(e)})") from None
        try:
            self._container = av.open(str(self.path), "r")
        except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise AudioFileError(f"{self.path}: cannot be decoded as audio ({_reason(e)})") from None
        streams = self._container.streams.audio
        if not streams:
            self._container.close()
            raise AudioFileError(f"{self.path}: contains no audio stream")
        self._stream = streams[0]
        if (self._stream.rate or 0) < _MIN_RATE:
            # A header saying 1 Hz would resample a few kilobytes into hours of sound.
            self._container.close()
            raise AudioFileError(f"{self.path}: sample rate {self._stream.rate or 0} Hz is not "
                                 f"audio (a damaged header? expected {_MIN_RATE} Hz or more)")
        self.duration = _duration(self._container, self._stream)
        if self._container.format.name == "wav":
            # FFmpeg clamps a WAV's length to the file's size; the header's own
            # claim is what tells a file that was cut short.
            self.duration = max(self.duration, _wav_declared_seconds(self.path))
        self._resampler = av.AudioResampler(format="flt", layout="stereo", rate=sample_rate)
        self._frames = self._container.decode(self._stream)
        self._pending: deque[np.ndarray] = deque()
        self._pending_len = 0
        self.exhausted = False
        self.samples_read = 0

    def read(self, n: int) -> np.ndarray:
        """Up to ``n`` frames as (k, 2) float32; fewer (possibly 0) at the end."""
        while self._pending_len < n and not self.exhausted:
            self._decode_more()
        take = min(n, self._pending_len)
        out = np.empty((take, CHANNELS), np.float32)
        filled = 0
        while filled < take:
            head = self._pending[0]
            k = min(take - filled, head.shape[0])
            out[filled:filled + k] = head[:k]
            if k == head.shape[0]:
                self._pending.popleft()
            else:
                self._pending[0] = head[k:]
            filled += k
        self._pending_len -= take
        self.samples_read += take
        return out

    def at_end(self) -> bool:
        """True once every sample has been read (decodes ahead to find out)."""
        while self._pending_len == 0 and not self.exhausted:
            self._decode_more()
        return self._pending_len == 0 and self.exhausted

    def check_complete(self) -> None:
        """After reading to the end: an AudioFileError if the file decoded
        much shorter than its header says (a copy or download cut short).
        Compressed formats only estimate their length, hence the tolerance."""
        decoded = self.samples_read / self.sample_rate
        if self.duration > 0 and decoded < 0.9 * self.duration and self.duration - decoded > 0.5:
            raise AudioFileError(f"{self.path}: is cut short: its header says "
                                 f"{self.duration:.1f} s but only {decoded:.1f} s decode")

    def read_all(self) -> np.ndarray:
        """The rest of the file as (n, 2) float32."""
        blocks = []
        while True:
            block = self.read(self.sample_rate * 10)
            if block.shape[0] == 0:
                break
            blocks.append(block)
        return np.concatenate(blocks) if blocks else np.zeros((0, CHANNELS), np.float32)

    def _decode_more(self) -> None:
        try:
            frame = next(self._frames)
            self._clean(frame)
            resampled = self._resampler.resample(frame)
        except StopIteration:
            resampled = self._resampler.resample(None)  # flush the resampler
            self.exhausted = True
        except (av.FFmpegError, OSError) as e:
            t = self.samples_read / self.sample_rate
            raise AudioFileError(f"{self.path}: decoding failed near {t:.1f} s ({_reason(e)})") from None
        for f in resampled:
            arr = f.to_ndarray().reshape(-1, CHANNELS)
            # A downmix of many channels, or the resampler's ringing, can pass
            # the limit that each decoded channel was held to.
            np.clip(arr, -LIMIT, LIMIT, out=arr)
            self._pending.append(arr)
            self._pending_len += arr.shape[0]

    def _clean(self, frame) -> None:
        """Make a decoded frame finite and within +-LIMIT, in place, before the
        resampler (whose filter would smear one NaN over its neighbours).
        Integer formats cannot hold either; a good float block costs two
        reductions and no allocation."""
        dtype = _FLOAT_DTYPES.get(frame.format.name)
        if dtype is None or frame.samples == 0:
            return
        count = frame.samples * (1 if frame.format.is_planar else frame.layout.nb_channels)
        for i in range(len(frame.planes)):
            x = np.frombuffer(frame.planes[i], dtype, count)
            if -LIMIT <= x.min() and x.max() <= LIMIT:  # False for NaN
                continue
            frame.make_writable()   # the decoder's buffer may be shared: copy on write
            x = np.frombuffer(frame.planes[i], dtype, count)
            bad = ~np.isfinite(x)
            self.nonfinite += int(np.count_nonzero(bad))
            x[bad] = 0.0
            self.clipped += int(np.count_nonzero(np.abs(x) > LIMIT))
            np.clip(x, -LIMIT, LIMIT, out=x)

    def repairs(self) -> str:
        """What was done to the samples read so far, for a person; '' if nothing."""
        done = []
        if self.nonfinite:
            done.append(f"{self.nonfinite} non-finite samples (NaN/inf) replaced with silence")
        if self.clipped:
            done.append(f"{self.clipped} samples beyond +-{LIMIT:g} clipped")
        return f"{self.path}: {', '.join(done)}" if done else ""

    def close(self) -> None:
        """Close the file; with ``report``, say once what was repaired."""
        self._container.close()
        if self.report and (note := self.repairs()):
            self.report = False
            print(f"visualizer: {note}", file=sys.stderr)

    def __enter__(self) -> "FileSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def mono(block: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Mix (n, 2) stereo to (n,) mono, into ``out`` when given."""
    if out is None:
        out = np.empty(block.shape[0], np.float32)
    np.add(block[:, 0], block[:, 1], out=out)
    out *= 0.5
    return out


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _wav_declared_seconds(path: Path) -> float:
    """The length a RIFF/WAVE header declares (data chunk size / byte rate), or 0."""
    import struct
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return 0.0
            byte_rate = 0
            while chunk := f.read(8):
                if len(chunk) < 8:
                    return 0.0
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(size + (size & 1))
                    byte_rate = struct.unpack("<I", fmt[8:12])[0]
                elif cid == b"data":
                    return size / byte_rate if byte_rate and size < 0xFFFFFFF0 else 0.0
                else:
                    f.seek(size + (size & 1), 1)
    except OSError:
        return 0.0
    return 0.0


def _reason(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return text.split(": '")[0].strip() or type(e).__name__
