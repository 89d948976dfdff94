"""The live stream, received over loopback: a PyAV reader decodes the UDP
MPEG-TS stream and finds the program picture and the sound; an RTMP server
(FFmpeg's own) gets the show too; a stalled writer drops and counts frames
and never holds up the render thread; a stream key never shows; and
``visualizer live --headless --stream`` works end to end.

Everything is sent to 127.0.0.1 only.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

import moderngl
import numpy as np
import pytest
from conftest import ROOT
from stream_rig import RtmpServer, UdpReceiver, draw_index, free_port, read_index

from visualizer import cli
from visualizer.errors import OutputError
from visualizer.output.sink import ProgramOut, Sink
from visualizer.output.stream import StreamSink, redact

SR, FPS = 48000, 30
W, H = 288, 160
KEY = "live_8841_SeCrEtKeY"


@pytest.fixture(scope="module")
def ctx():
    ctx = moderngl.create_standalone_context(require=330, backend="egl")
    yield ctx
    ctx.release()


@pytest.fixture
def picture(ctx):
    """A texture and a function drawing picture i into it (see draw_index)."""
    tex = ctx.texture((W, H), 4)
    fbo = ctx.framebuffer(color_attachments=[tex])

    def draw(i: int) -> moderngl.Texture:
        draw_index(fbo, (W, H), i)
        return tex
    yield draw
    fbo.release()
    tex.release()


class Collect(Sink):
    """Every program picture the read-back made, by index (what was sent)."""

    size = (W, H)

    def __init__(self):
        self.pictures: dict[int, np.ndarray] = {}

    def picture(self, picture):
        self.pictures[picture.index] = picture.pixels.copy()
        picture.release()


def show(ctx, sink, draw, seconds: float, *, paced: bool = True, during=None) :
    """A 60 Hz show feeding ``sink`` (and a Collect) through one ProgramOut,
    with a 440 Hz tone: (the seconds each frame's calls took on the render
    thread, the program pictures by index)."""
    out = ProgramOut(ctx, in_flight=2, pool=8, wait=False)
    collect = Collect()
    out.add(sink)
    out.add(collect)
    calls, start, n = [], time.perf_counter(), int(seconds * 60)
    for i in range(n):
        t = i / 60
        tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(i * 800, (i + 1) * 800) / SR))
        began = time.perf_counter()
        out.sound(tone.astype(np.float32), t)
        out.frame(draw(i), i, t)
        calls.append(time.perf_counter() - began)
        if during is not None:
            during(i)
        if paced:
            time.sleep(max(0.0, start + (i + 1) / 60 - time.perf_counter()))
    out.flush()
    sink.close()
    out.release()
    return calls, collect.pictures


def test_a_udp_stream_carries_the_program_picture_and_the_sound(ctx, picture):
    port = free_port()
    with UdpReceiver(port) as rx:
        sink = StreamSink(f"udp://127.0.0.1:{port}", (W, H), fps=FPS, sample_rate=SR)
        _, sent = show(ctx, sink, picture, 3.0)
    assert rx.error is None
    got = [read_index(rgb) for _, rgb in rx.frames]
    assert len(got) >= sink.writer.frames - 2 and sink.writer.frames >= 85
    assert got == sorted(got) and got[0] >= 0 and sink.dropped == 0
    assert len(set(got)) >= 85                  # every other picture of a 60 Hz show
    for (_, rgb), i in zip(rx.frames, got):     # each is the program picture it claims
        diff = np.abs(rgb.astype(int) - sent[i].astype(int))
        assert diff.mean() < 4 and np.percentile(diff, 99) < 60, (i, diff.mean())
    audio = rx.audio
    assert abs(audio.shape[0] / SR - 3.0) < 0.2
    spectrum = np.abs(np.fft.rfft(audio[SR // 2:SR // 2 + SR]))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 Hz bins over one second


def test_a_stalled_writer_drops_and_counts_and_the_render_thread_never_waits(ctx, picture):
    port = free_port()
    gate = threading.Event()
    with UdpReceiver(port) as rx:
        sink = StreamSink(f"udp://127.0.0.1:{port}", (W, H), fps=FPS, sample_rate=SR,
                          max_backlog=3)
        write_video = sink.writer.write_video

        def stalled(rgb):   # the network or the encoder stops for a second
            if sink.writer.frames == 15:
                gate.wait(timeout=30)
            write_video(rgb)
        sink.writer.write_video = stalled
        backlog = []

        def watch(i):
            backlog.append(sink.backlog)
            if i == 90:
                gate.set()
        calls, _ = show(ctx, sink, picture, 3.0, during=watch)
    assert max(calls) < 0.5, max(calls)        # a wait would be the stall: over a second
    assert max(backlog) <= 3 and sink.dropped >= 20
    got = [read_index(rgb) for _, rgb in rx.frames]
    assert got == sorted(got) and got[-1] >= 150
    # Time holds: every frame due was sent, the dropped ones as repeats.
    assert abs(sink.writer.frames - 3.0 * FPS) <= 2 and len(rx.frames) >= sink.writer.frames - 2


def test_an_rtmp_server_receives_the_show(ctx, picture):
    server = RtmpServer(f"live/{KEY}")
    try:
        sink = StreamSink(server.url, (W, H), fps=FPS, sample_rate=SR)
        show(ctx, sink, picture, 2.0)
        video, audio, w, h = server.result()
    finally:
        server.stop()
    assert (w, h) == (W, H) and video >= 55 and abs(audio / SR - 2.0) < 0.2


def test_a_dropped_connection_is_reported_without_the_key(ctx, picture, capfd):
    server = RtmpServer(f"live/{KEY}")
    try:
        sink = StreamSink(server.url, (W, H), fps=FPS, sample_rate=SR)
        show(ctx, sink, picture, 2.0, during=lambda i: i == 30 and server.stop())
    finally:
        server.stop()
    err = capfd.readouterr().err
    assert sink.error and "writing failed" in sink.error and sink.problem.startswith("stream: ")
    for text in (sink.error, sink.problem, err):
        assert KEY not in text and "/live/***" in text, text


@pytest.mark.parametrize("url, secrets", [
    (f"rtmp://127.0.0.1:{{closed}}/live/{KEY}", [KEY]),
    (f"rtmps://127.0.0.1:{{closed}}/app/{KEY}", [KEY]),
    ("rtmp://dj:hunter2pass@127.0.0.1:{closed}/live/stream?token=tok3n99", ["hunter2pass",
                                                                            "tok3n99", "dj:"]),
])
def test_a_refused_stream_is_one_line_without_its_secrets(url, secrets):
    url = url.format(closed=free_port(socket.SOCK_STREAM))
    with pytest.raises(OutputError) as e:
        StreamSink(url, (W, H))
    text = str(e.value)
    assert "cannot connect (Connection refused)" in text and "\n" not in text
    assert not any(s in text for s in secrets), text


def test_a_server_that_never_answers_is_given_up_on():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    started = time.perf_counter()
    with server, pytest.raises(OutputError, match="no answer within 1 s"):
        StreamSink(f"rtmp://127.0.0.1:{server.getsockname()[1]}/live/{KEY}", (W, H), timeout=1.0)
    assert time.perf_counter() - started < 3.0


def test_redact_hides_keys_passwords_and_queries():
    assert redact(f"rtmp://a.rtmp.youtube.com/live2/{KEY}") == "rtmp://a.rtmp.youtube.com/live2/***"
    assert redact("rtmps://u:p4ss@host:443/app/k?x=1#f") == "rtmps://***@host:443/app/***?***#***"
    assert redact("udp://192.168.1.20:5000?pkt_size=1316") == "udp://192.168.1.20:5000?***"
    assert redact("udp://[::1]:5000") == "udp://[::1]:5000"
    assert redact(KEY) == "(not a URL, not shown)"
    assert redact("rtmp:/host/app/" + KEY) == "(not a URL, not shown)"


@pytest.mark.parametrize("value, words", [
    ("srt://127.0.0.1:9000", "PyAV's FFmpeg has no SRT"),
    ("udp://127.0.0.1", "needs a port"),
    (f"rtmp://127.0.0.1:99999/live/{KEY}", "not a stream URL"),
    ("rtmp://127.0.0.1/live", "needs the application and the key"),
    (f"http://host/{KEY}", "not a stream URL"),
    (KEY, "not a stream URL"),
])
def test_a_wrong_stream_url_is_one_line_from_the_parser(value, words, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["live", "--stream", value])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and words in err, err
    assert "argument --stream:" in err and KEY not in err


def _live(*args, timeout=180):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "visualizer", "live", "--headless", "--demo",
                           "--play", "none", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_live_headless_streams_end_to_end():
    port = free_port()
    with UdpReceiver(port) as rx:
        r = _live("--size", "160x90", "--frames", "150", "--stream", f"udp://127.0.0.1:{port}")
    assert r.returncode == 0, r.stderr
    assert "150 frames shown" in r.stdout
    sent = re.search(rf"stream udp://127.0.0.1:{port}: (\d+) frames sent, (\d+) dropped", r.stderr)
    assert sent and 74 <= int(sent[1]) <= 77 and int(sent[2]) <= 5, r.stderr   # 2.5 s at 30 fps
    assert len(rx.frames) >= 70 and rx.frames[0][1].shape == (90, 160, 3)
    assert max(rgb.mean() for _, rgb in rx.frames) > 5      # a picture, not black
    assert abs(rx.audio.shape[0] / SR - 2.5) < 0.2          # the demo track's sound


def test_live_with_a_refused_stream_is_one_line_and_exit_2():
    r = _live("--frames", "5", "--stream",
              f"rtmp://127.0.0.1:{free_port(socket.SOCK_STREAM)}/live/{KEY}", timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and KEY not in r.stderr + r.stdout
    assert "/live/***: cannot connect (Connection refused)" in r.stderr
