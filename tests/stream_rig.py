"""What the stream's tests and benchmark share: free loopback ports, pictures
that carry their own number, a PyAV receiver of a UDP MPEG-TS stream, and an
RTMP server on loopback (FFmpeg's own, listening, behind a small relay).

Everything here sends to and listens on 127.0.0.1 only.
"""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np

BITS = 8
HERE = Path(__file__).parent


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port nobody holds now (UDP by default)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def draw_index(fbo, size: tuple[int, int], i: int, bits: int = BITS) -> None:
    """Picture ``i`` into ``fbo``: in the top half, column 0 white and
    columns 1..``bits`` the bits of ``i``; a grey of ``i`` in the bottom quarter."""
    w, h = size
    fbo.clear(0.0, 0.0, 0.0, 1.0)
    col = w // (bits + 1)
    for b in range(bits + 1):
        if b == 0 or (i >> (b - 1)) & 1:
            # GL rows run bottom-up: y from h/2 is the top half.
            fbo.clear(1.0, 1.0, 1.0, 1.0, viewport=(b * col, h // 2, col, h // 2))
    shade = (i % 16) / 16 * 0.5
    fbo.clear(shade, shade, shade, 1.0, viewport=(0, 0, w, h // 4))


def read_index(rgb: np.ndarray, bits: int = BITS) -> int:
    """The number :func:`draw_index` drew (from RGB, or from luma alone:
    (h, w)); -1 if the picture holds none."""
    luma = rgb.mean(axis=2) if rgb.ndim == 3 else rgb
    h, w = luma.shape
    col = w // (bits + 1)
    top = [luma[4:h // 2 - 4, b * col + 4:(b + 1) * col - 4].mean() for b in range(bits + 1)]
    if top[0] < 160:
        return -1
    return sum(1 << (b - 1) for b in range(1, bits + 1) if top[b] > 128)


def wait_bound(port: int, timeout: float = 60.0, alive=lambda: True) -> None:
    """Until something holds UDP ``port`` on loopback (a receiver is listening).
    Read from /proc, never by binding the port to find out: a probe that binds
    it, even for a moment, can take it from the receiver opening it. A
    condition, not a time: on a busy machine the receiver's thread may take
    seconds to open its socket; ``alive`` false means it never will."""
    local = f":{port:04X}"
    end = time.monotonic() + timeout
    while time.monotonic() < end and alive():
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                rows = [line.split() for line in Path(table).read_text().splitlines()[1:]]
            except OSError:
                continue
            if any(row[1].endswith(local) for row in rows):
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on UDP {port}")


class UdpReceiver:
    """Decodes the MPEG-TS stream sent to udp://127.0.0.1:``port`` on a thread:
    ``frames`` (arrival time, rgb), ``audio`` (mono samples, left channel).

    ``with UdpReceiver(port) as rx:`` starts listening before the block and,
    after it, reads until the stream has been quiet for ``quiet`` seconds."""

    def __init__(self, port: int, *, quiet: float = 2.0, keep=None):
        self.port, self.quiet = port, quiet
        self.keep = keep or (lambda rgb: rgb)   # what to keep of each picture
        self.frames: list = []
        self.audio_blocks: list = []
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="udp-receiver", daemon=True)

    def __enter__(self) -> "UdpReceiver":
        self._thread.start()
        wait_bound(self.port, alive=self._thread.is_alive)
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join(timeout=30)

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.audio_blocks) if self.audio_blocks else np.zeros(0)

    def _run(self) -> None:
        url = f"udp://127.0.0.1:{self.port}?overrun_nonfatal=1&fifo_size=1000000"
        try:
            c = av.open(url, format="mpegts", timeout=(30, self.quiet),
                        options={"probesize": "100000", "analyzeduration": "100000"})
        except av.FFmpegError as e:
            self.error = e
            return
        try:
            for packet in c.demux():
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        self.frames.append((time.perf_counter(),
                                            self.keep(frame.to_ndarray(format="rgb24"))))
                    else:
                        self.audio_blocks.append(frame.to_ndarray()[0].copy())
        except av.FFmpegError:
            pass   # the read timed out: the stream ended
        finally:
            c.close()


_LISTEN = """
import av, sys
c = av.open(sys.argv[1], options={"listen": "1"}, timeout=(60, 3))
video = audio = 0
try:
    for packet in c.demux():
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                video += 1
                size = (frame.width, frame.height)
            else:
                audio += frame.samples
except av.FFmpegError:
    pass
print(video, audio, *size, flush=True)
"""


class RtmpServer:
    """FFmpeg listening for one RTMP publisher at rtmp://127.0.0.1:PORT/APP/KEY,
    reached through a relay that answers the sender's handshake check itself
    (FFmpeg's listener takes one connection only). Each runs in a process of
    its own: PyAV holds the interpreter's lock while it connects.

    ``url`` is where to send; ``result()`` is (video frames, audio samples,
    width, height) once the publisher has gone."""

    def __init__(self, app_and_key: str):
        target = free_port(socket.SOCK_STREAM)
        self.listener = subprocess.Popen(
            [sys.executable, "-c", _LISTEN, f"rtmp://127.0.0.1:{target}/{app_and_key}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.relay = subprocess.Popen([sys.executable, str(HERE / "rtmp_relay.py"), str(target)],
                                      stdout=subprocess.PIPE, text=True)
        port = int(self.relay.stdout.readline())
        self.url = f"rtmp://127.0.0.1:{port}/{app_and_key}"
        _wait_listening(target)

    def result(self) -> tuple[int, int, int, int]:
        out, _ = self.listener.communicate(timeout=30)
        video, audio, w, h = (int(v) for v in out.split())
        return video, audio, w, h

    def stop(self) -> None:
        for proc in (self.relay, self.listener):
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def _wait_listening(port: int, timeout: float = 15.0) -> None:
    """Until a TCP listener holds ``port`` (read from the kernel's table, not by
    connecting: the listener takes one connection only)."""
    end, local = time.monotonic() + timeout, f":{port:04X}"
    while time.monotonic() < end:
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        if any(row[1].endswith(local) and row[3] == "0A" for row in rows):   # 0A: LISTEN
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on TCP {port}")
