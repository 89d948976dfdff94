"""The show as a live stream, through PyAV: H.264 + AAC to ``rtmp://`` or
``rtmps://`` (a streaming service: FLV) or to ``udp://HOST:PORT`` (MPEG-TS:
OBS's media source, ffplay or VLC on this or another machine).

A :class:`StreamSink` is an :class:`~visualizer.output.encoder_sink.EncoderSink`
whose writer is a network container: pictures at a constant frame rate from
the shared read-back, x264 tuned for zero latency on the encoder's thread,
and when the network or the encoder is behind, pictures dropped and counted
(at most ``max_backlog`` wait), never waited for. The connection is made
when the sink is made, so a wrong address or a refused key stops the show
before it starts, in one line; a failure later is shown on the HUD and in
the log, and the show goes on.

A stream key never shows: every message names the URL as :func:`redact`
writes it (``rtmp://host/app/***``), and any text from FFmpeg is scrubbed
of the URL's secret parts. PyAV's FFmpeg has no SRT; ``srt://`` is refused
with the way round it.
"""

import math
import socket
import ssl
import sys
from urllib.parse import urlsplit

import av

from visualizer.errors import OutputError
from visualizer.output.encoder_sink import EncoderSink
from visualizer.output.video import VideoWriter, add_audio_stream, setup_video_stream

FORMATS = {"rtmp": "flv", "rtmps": "flv", "udp": "mpegts"}
"""The container each scheme carries."""

AUDIO_RATES = (44100, 48000)
"""Sample rates a stream's AAC is sent at (what streaming services take)."""

_USAGE = "expected rtmp://HOST/APP/KEY, rtmps://HOST/APP/KEY or udp://HOST:PORT"
_HIDDEN = "***"


def redact(url: str) -> str:
    """``url`` with what may be secret hidden: a password or any user name,
    an RTMP stream key (the path after the application), a query, a
    fragment. Always one printable line; never raises. A text that is not
    a URL is not shown at all (it may be a key pasted alone)."""
    text = "".join(c if c.isprintable() else "?" for c in str(url))
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return "(a URL that does not parse, not shown)"
    if not parts.scheme or "://" not in text or not parts.netloc:
        return "(not a URL, not shown)"
    scheme = _clip(parts.scheme.lower(), 16)
    netloc = _clip(f"[{host}]" if ":" in host else host, 80)
    port = parts.netloc.rpartition("]")[2].rpartition("@")[2].rpartition(":")
    if port[1]:
        netloc += ":" + (port[2] if port[2].isdigit() and len(port[2]) <= 5 else "?")
    if "@" in parts.netloc:
        netloc = f"{_HIDDEN}@{netloc}"
    path = parts.path
    if scheme in ("rtmp", "rtmps"):
        app, key = _rtmp_path(path)
        shown = [_clip(app, 40) if app else "", _HIDDEN if key else ""]
        path = "/" + "/".join(x for x in shown if x) if app or key else ""
    elif path.strip("/"):
        path = f"/{_HIDDEN}"
    query = f"?{_HIDDEN}" if parts.query or text.endswith("?") else ""
    fragment = f"#{_HIDDEN}" if parts.fragment else ""
    return f"{scheme}://{netloc}{path}{query}{fragment}"


def _rtmp_path(path: str) -> tuple[str, str]:
    """(application, key) of an RTMP URL's path; a lone segment counts as
    a key (it may be one)."""
    app, slash, key = (path.removeprefix("/")).partition("/")
    return (app, key) if slash else ("", app)


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most] + "..."


def _secrets(url: str) -> list[str]:
    """The parts of ``url`` :func:`redact` hides, longest first (for scrubbing)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [parts.netloc.rpartition("@")[0], parts.query, parts.fragment]
    if parts.scheme.lower() in ("rtmp", "rtmps"):
        found.append(_rtmp_path(parts.path)[1])
    found += [s for s in found[0].split(":")]   # the user name and password apart
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (an FFmpeg message) with ``url`` and its secret parts hidden."""
    if url:
        text = text.replace(url, redact(url))
    for secret in _secrets(url):
        text = text.replace(secret, _HIDDEN)
    return " ".join(text.split())


def check_url(url: str) -> str:
    """The container for stream ``url`` (``flv``, ``mpegts``), or an
    OutputError (one line, the URL redacted) saying what is wrong. Reads
    the text only: no name is looked up, nothing is sent."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutputError(f"{shown}: not a stream URL ({_USAGE})") from None
    scheme = parts.scheme.lower()
    if scheme == "srt":
        raise OutputError(f"{shown}: PyAV's FFmpeg has no SRT; send udp://HOST:PORT "
                          "(MPEG-TS) or rtmp:// instead")
    if scheme not in FORMATS or "://" not in url:
        raise OutputError(f"{shown}: not a stream URL ({_USAGE})")
    if not parts.hostname or any(not c.isprintable() or c.isspace() for c in url):
        raise OutputError(f"{shown}: no host, or a space or control character in it ({_USAGE})")
    if scheme == "udp":
        if port is None or port == 0:
            raise OutputError(f"{shown}: a UDP stream needs a port from 1 to 65535 "
                              "(udp://HOST:PORT)")
        if parts.path.strip("/"):
            raise OutputError(f"{shown}: a UDP stream has no path (udp://HOST:PORT)")
    else:
        app, key = _rtmp_path(parts.path)
        if not app or not key.strip("/"):
            raise OutputError(f"{shown}: an RTMP stream needs the application and the key "
                              "(rtmp://HOST/APP/KEY)")
    return FORMATS[scheme]


def default_kbps(size: tuple[int, int], fps: int) -> int:
    """A video bit rate for ``size`` at ``fps``: 4000 kb/s at 1280x720 and 30
    fps (inside what YouTube and Twitch ask of 720p30), growing with the
    square root of the pixels, half as much again above 30 fps."""
    pixels = size[0] * size[1] / (1280 * 720)
    return int(min(max(4000 * math.sqrt(pixels) * (1.5 if fps > 30 else 1.0), 500), 9000))


class StreamWriter(VideoWriter):
    """A VideoWriter to a network URL: H.264 (x264 at ``preset``, by default
    OBS's own default ``veryfast``, tuned for zero latency, constant bit rate
    ``kbps``, a keyframe every ``gop`` seconds) and AAC. Connects at once: raises OutputError (one line, the
    URL redacted) if it cannot, or if the server has not answered within
    ``timeout`` seconds."""

    def __init__(self, url: str, size: tuple[int, int], fps: int, *, sample_rate: int = 48000,
                 kbps: int = 4000, gop: float = 1.0, timeout: float = 5.0,
                 preset: str = "veryfast"):
        fmt = check_url(url)
        self.label, self.codec = redact(url), "h264"
        self.url = url if fmt != "mpegts" or "pkt_size=" in url else \
            url + ("&" if "?" in url else "?") + "pkt_size=1316"  # 7 TS packets: under any MTU
        w, h = self.size = (int(size[0]), int(size[1]))
        if w % 2 or h % 2 or w < 16 or h < 16:
            raise OutputError(f"{self.label}: a stream needs an even size of at least 16x16, "
                              f"got {w}x{h}")
        if sample_rate not in AUDIO_RATES:
            raise OutputError(f"{self.label}: a stream's AAC is sent at 44100 or 48000 Hz; "
                              f"the input runs at {sample_rate} (give --rate 48000)")
        self._container = self._audio = None
        try:
            self._container = av.open(self.url, "w", format=fmt,
                                      container_options={"flush_packets": "1"})
            self._video = self._container.add_stream("libx264", rate=fps)
            setup_video_stream(self._video, "h264", (w, h), fps, {
                "preset": preset, "tune": "zerolatency", "maxrate": f"{kbps}k",
                "bufsize": f"{kbps}k", "g": str(max(1, round(gop * fps)))})
            self._video.bit_rate = kbps * 1000
            self._audio = add_audio_stream(self._container, "aac", sample_rate)
            self._connect(timeout)   # a refusal, or silence, stops us here
        except TimeoutError:
            self.abort()
            raise OutputError(f"{self.label}: cannot connect (no answer within {timeout:g} s)"
                              ) from None
        except (av.FFmpegError, OSError, ValueError) as e:
            self.abort()
            raise OutputError(f"{self.label}: cannot connect ({self._reason(e)})") from None
        self.sample_rate, self.frames, self.samples = sample_rate, 0, 0

    def _connect(self, timeout: float) -> None:
        """Open the connection and send the header. PyAV does both holding
        the interpreter's lock, with no timeout: a server that never answers
        would freeze the whole program. So an RTMP server is first asked for
        its handshake here, giving up after ``timeout``."""
        parts = urlsplit(self.url)
        if parts.scheme.lower() in ("rtmp", "rtmps"):
            _rtmp_answers(parts.hostname, parts.port, parts.scheme.lower() == "rtmps", timeout)
        self._container.start_encoding()

    def _reason(self, e: Exception) -> str:
        return scrub(getattr(e, "strerror", None) or str(e) or type(e).__name__, self.url)

    def _mux(self, packets) -> None:
        try:
            super()._mux(packets)
        except OutputError as e:
            raise OutputError(scrub(str(e), self.url)) from None

    def close(self) -> None:
        try:
            super().close()
        except OutputError as e:
            raise OutputError(scrub(str(e), self.url)) from None


def _rtmp_answers(host: str, port: int | None, tls: bool, timeout: float) -> None:
    """Connect to an RTMP server and read the first byte of its handshake
    (S0, the version), then hang up; OSError (TimeoutError) if it does
    not answer within ``timeout`` seconds."""
    port = port or (443 if tls else 1935)
    with socket.create_connection((host, port), timeout=timeout) as raw:
        conn = raw
        if tls:   # only whether it answers: FFmpeg's own TLS decides the rest
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            conn = context.wrap_socket(raw, server_hostname=host)
        conn.sendall(b"\x03" + bytes(1536))   # C0 (version 3) and a C1 of zeros
        if not conn.recv(1):
            raise ConnectionResetError(104, "the server hung up without a handshake")


class StreamSink(EncoderSink):
    """The program to ``url`` at ``fps``, with the input's sound.

    ``size`` is the stream's (rounded down to even); the program picture is
    scaled to it. Raises OutputError (one line) if the URL is wrong, or the
    connection is refused or not answered within ``timeout`` seconds. ``close`` never waits more than a few seconds,
    even for a server that stopped answering.
    """

    def __init__(self, url: str, size: tuple[int, int], *, fps: int = 30,
                 sample_rate: int = 48000, kbps: int | None = None, max_backlog: int = 4,
                 origin: float = 0.0, timeout: float = 5.0, preset: str = "veryfast"):
        w, h = int(size[0]) & ~1, int(size[1]) & ~1
        gop = 2.0 if check_url(url) == "flv" else 1.0   # services ask for 2 s; UDP joins sooner
        writer = StreamWriter(url, (w, h), fps, sample_rate=sample_rate,
                              kbps=kbps or default_kbps((w, h), fps), gop=gop, timeout=timeout,
                              preset=preset)
        super().__init__(writer, (w, h), fps=fps, sample_rate=sample_rate, label="stream",
                         name="stream", origin=origin, max_backlog=max_backlog)

    lets_go = True

    @property
    def problem(self) -> str:
        if self.error:
            return f"stream: {self.error}"
        return f"stream: {self.dropped} frames dropped" if self.dropped else ""

    def close(self) -> None:
        """Send what is queued and end the stream; errors are reported, not raised."""
        self.stop(wait=False)
        self._closer.join(timeout=6.0)
        print(f"visualizer: stream {self.writer.label}: {self.writer.frames} frames sent, "
              f"{self.dropped} dropped", file=sys.stderr)
