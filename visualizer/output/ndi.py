"""The program picture and its sound as an NDI source, for a VJ's mixer
(Resolume, OBS with its NDI plugin, vMix, TouchDesigner) on the network.

An :class:`NdiSink` is an :class:`~visualizer.output.encoder_sink.EncoderSink`
whose writer is a cyndilib ``Sender`` (the NDI runtime comes inside
cyndilib's wheel): pictures at a constant frame rate from the shared
read-back, as RGBX frames, compressed and sent by NDI on the sender's
thread; dropped and counted when that thread is behind, never waited for.
Receivers find the source by mDNS: on Linux the NDI runtime registers it
with the avahi daemon (over D-Bus), so a machine with no avahi-daemon
running (and no NDI discovery server configured) is found by nobody; the
sink says so on the HUD and in the log rather than send to no one silently.
"""

import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from visualizer.errors import OutputError
from visualizer.output.encoder_sink import EncoderSink

_CHUNK = 4800   # samples per NDI audio frame at most (100 ms at 48 kHz)


class NdiWriter:
    """The writer an EncoderSink drives: (h, w, 3) RGB pictures out as RGBX
    video frames, (n, 2) float stereo as planar NDI audio."""

    def __init__(self, name: str, size: tuple[int, int], fps: int, sample_rate: int):
        try:
            from cyndilib.audio_frame import AudioSendFrame
            from cyndilib.sender import Sender
            from cyndilib.video_frame import VideoSendFrame
            from cyndilib.wrapper.ndi_structs import FourCC
        except ImportError as e:   # the wheel carries the runtime: only a missing wheel
            raise OutputError(f"--ndi: cyndilib is not installed ({e})") from None
        w, h = size
        self.label = f"NDI source '{name}'"
        video = VideoSendFrame()
        video.set_resolution(w, h)
        video.set_fourcc(FourCC.RGBX)
        video.set_frame_rate(Fraction(fps))
        audio = AudioSendFrame(max_num_samples=_CHUNK)
        audio.sample_rate = sample_rate
        audio.num_channels = 2
        # The show paces the frames; NDI's clocking would make the sender's thread wait.
        self.sender = Sender(name, clock_video=False, clock_audio=False)
        self.sender.set_video_frame(video)
        self.sender.set_audio_frame(audio)
        try:
            self.sender.open()
        except Exception as e:  # noqa: BLE001 -- cyndilib raises plain Exception
            raise OutputError(f"{self.label}: cannot start ({e})") from None
        self._rgbx = np.full((h, w, 4), 255, np.uint8)
        self._planar = np.zeros((2, _CHUNK), np.float32)
        self.frames = self.samples = 0

    @property
    def connections(self) -> int:
        """Receivers connected now."""
        return self.sender.get_num_connections(0.0)

    def write_video(self, rgb: np.ndarray) -> None:
        self._rgbx[..., :3] = rgb
        if not self.sender.write_video(self._rgbx.reshape(-1)):
            raise OutputError(f"{self.label}: the sender has closed")
        self.frames += 1

    def write_audio(self, block: np.ndarray) -> None:
        for start in range(0, block.shape[0], _CHUNK):
            part = block[start:start + _CHUNK]
            n = part.shape[0]
            self._planar[:, :n] = part.T
            self.sender.write_audio(self._planar[:, :n])
            self.samples += n

    def close(self) -> None:
        self.sender.close()

    def abort(self) -> None:
        self.close()


class NdiSink(EncoderSink):
    """The program as the NDI source ``name`` at ``fps``, with the input's sound.

    ``size`` is the source's (rounded down to even); the program picture is
    scaled to it. Raises OutputError (one line) if NDI cannot start.
    """

    lets_go = True

    def __init__(self, name: str, size: tuple[int, int], *, fps: int = 30,
                 sample_rate: int = 48000, max_backlog: int = 4, origin: float = 0.0):
        if not name.strip() or any(not c.isprintable() for c in name) or len(name) > 100:
            raise OutputError("--ndi: give the source a name of 1 to 100 printable characters")
        w, h = int(size[0]) & ~1, int(size[1]) & ~1
        writer = NdiWriter(name, (w, h), fps, sample_rate)
        super().__init__(writer, (w, h), fps=fps, sample_rate=sample_rate, label="ndi",
                         name="ndi", origin=origin, max_backlog=max_backlog)

        self.unseen = not _discoverable()
        if self.unseen:
            print(f"visualizer: ndi: {_UNSEEN}", file=sys.stderr)

    @property
    def problem(self) -> str:
        if self.error:
            return f"ndi: {self.error}"
        if self.unseen:
            return f"ndi: {_UNSEEN}"
        return f"ndi: {self.dropped} frames dropped" if self.dropped else ""

    def close(self) -> None:
        """Send what is queued and stop the source; errors are reported, not raised."""
        self.stop(wait=False)
        self._closer.join(timeout=6.0)
        print(f"visualizer: {self.writer.label}: {self.writer.frames} frames sent, "
              f"{self.dropped} dropped", file=sys.stderr)


_UNSEEN = ("no avahi-daemon is running, so no receiver can find the source "
           "(start it: systemctl start avahi-daemon)")


def _discoverable() -> bool:
    """Can receivers find an NDI source from here: an avahi daemon runs (its
    socket is there), or an NDI configuration names a discovery server?"""
    if Path("/run/avahi-daemon/socket").exists() or Path("/var/run/avahi-daemon/socket").exists():
        return True
    folder = os.environ.get("NDI_CONFIG_DIR") or str(Path.home() / ".ndi")
    try:
        return "discovery" in (Path(folder) / "ndi-config.v1.json").read_text()
    except (OSError, UnicodeDecodeError):
        return False
