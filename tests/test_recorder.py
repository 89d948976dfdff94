"""Recording the live picture: frames at the right time, in order and right
side up, with the tone in sync; a stalled encoder drops, never blocks; the
file plays after stop, after Ctrl-C and after SIGKILL."""

import subprocess
import sys
import threading
import time

import av
import moderngl
import numpy as np
import pytest

from conftest import ROOT
from visualizer.errors import OutputError
from recorder_rig import Rig
from visualizer.output.recorder import LiveRecorder, next_path

SR, FPS = 48000, 30
W, H = 288, 96      # nine columns of 32 pixels
BITS = 8


@pytest.fixture(scope="module")
def ctx():
    ctx = moderngl.create_standalone_context(require=330, backend="egl")
    yield ctx
    ctx.release()


@pytest.fixture
def picture(ctx):
    """A texture and a function drawing picture i into it: in the top half
    only, column 0 always white and columns 1..8 the bits of i."""
    tex = ctx.texture((W, H), 4)
    fbo = ctx.framebuffer(color_attachments=[tex])

    def draw(i: int) -> moderngl.Texture:
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        col = W // (BITS + 1)
        for b in range(BITS + 1):
            if b == 0 or (i >> (b - 1)) & 1:
                # GL rows run bottom-up: y from H/2 is the top half.
                fbo.clear(1.0, 1.0, 1.0, 1.0, viewport=(b * col, H // 2, col, H // 2))
        return tex
    yield draw
    fbo.release()
    tex.release()


def decode_index(rgb: np.ndarray) -> int:
    """The picture index drawn by ``picture``; asserts it is right side up."""
    h, w, _ = rgb.shape
    luma = rgb.mean(axis=2)
    col = w // (BITS + 1)
    assert luma[h // 2 + 4:].max() < 60, "something landed in the bottom half"
    top = [luma[4:h // 2 - 4, b * col + 4:(b + 1) * col - 4].mean() for b in range(BITS + 1)]
    assert top[0] > 200, "the top half is missing its marker"
    assert all(v > 200 or v < 55 for v in top), top
    return sum(1 << (b - 1) for b in range(1, BITS + 1) if top[b] > 128)


def display_times(seconds: float, *, seed: int = 1, stall: tuple[float, float] | None = None):
    """A 60 Hz display's frame times with +-3 ms jitter (and optionally no
    frames in the interval ``stall``)."""
    rng = np.random.default_rng(seed)
    times = np.arange(int(seconds * 60)) / 60 + rng.uniform(-0.003, 0.003, int(seconds * 60))
    times[0] = 0.0
    if stall:
        times = times[(times < stall[0]) | (times >= stall[1])]
    return times


def tone_until(t: float, written: int, freq: float = 440.0) -> np.ndarray:
    """The tone's samples from ``written`` up to time ``t``."""
    n = np.arange(written, int(round(t * SR)))
    return (0.5 * np.sin(2 * np.pi * freq * n / SR)).astype(np.float32)


def settle(rec: LiveRecorder) -> None:
    """Wait until the encoder has taken every picture read back so far."""
    deadline = time.monotonic() + 10
    while rec.backlog and time.monotonic() < deadline:
        time.sleep(0.001)


def record(rec: LiveRecorder, draw, times, *, paced: bool = True) -> list[int]:
    """Draw picture i at times[i], with the tone; the picture expected in
    each output frame (the first drawn at or after the frame's time).

    ``paced``: like a display, give the encoder the time it would have had
    (this loop is far faster than 60 Hz)."""
    written = 0
    for i, t in enumerate(times):
        block = tone_until(t, written)
        written += block.shape[0]
        rec.write_audio(block)
        rec.submit(draw(i), float(t))
        if paced:
            settle(rec)
    expected = []
    for k in range(int(times[-1] * FPS) + 1):
        expected.append(int(np.argmax(np.floor(times * FPS) >= k)))
    return expected


def read_file(path):
    with av.open(str(path)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    return frames, audio


def test_frames_are_on_time_in_order_right_side_up_with_the_tone(ctx, picture, tmp_path):
    out = tmp_path / "show.mp4"
    rec = Rig(ctx, (W, H), out, fps=FPS, sample_rate=SR)
    times = display_times(3.0, stall=(1.0, 1.25))   # a hiccup: frames repeat over it
    expected = record(rec, picture, times)
    rec.stop()
    rec.stop()   # idempotent
    rec.release()
    frames, audio = read_file(out)
    duration = times[-1]
    assert abs(len(frames) - duration * FPS) <= 1
    assert abs(audio.shape[0] / SR - len(frames) / FPS) <= 1 / FPS
    got = [decode_index(f) for f in frames]
    assert got[:len(expected)] == expected        # each frame holds the picture of its time
    assert got == sorted(got)
    assert rec.frames == len(expected) and rec.dropped == 0 and rec.audio_dropped == 0
    spectrum = np.abs(np.fft.rfft(audio[SR // 2:SR // 2 + SR]))
    assert abs(np.argmax(spectrum) - 440) <= 1    # 1 Hz bins over one second


def test_a_60hz_display_reads_back_only_the_frames_it_needs(ctx, picture, tmp_path):
    rec = Rig(ctx, (W, H), tmp_path / "half.mp4", fps=FPS, sample_rate=SR)
    times = np.arange(120) / 60 + 0.001
    for i, t in enumerate(times):
        rec.submit(picture(i), float(t))
        settle(rec)
    rec.release()
    assert rec.reads == 60 and rec.frames == 60


def test_a_stalled_encoder_drops_frames_and_the_render_thread_never_waits(ctx, picture, tmp_path):
    out = tmp_path / "stalled.mp4"
    rec = Rig(ctx, (W, H), out, fps=FPS, sample_rate=SR)
    gate = threading.Event()
    write_video = rec.writer.write_video

    def stalled(rgb):
        gate.wait(timeout=30)   # a blocking submit would end this wait and fail below
        write_video(rgb)
    rec.writer.write_video = stalled
    times = display_times(2.0, seed=2)
    expected = record(rec, picture, times, paced=False)
    encoded_while_stalled = rec.encoded
    assert encoded_while_stalled == 0 and rec.dropped > 0
    assert rec.audio_dropped == 0                # seconds of audio wait in the ring
    gate.set()
    rec.release()
    frames, audio = read_file(out)
    assert len(frames) == len(expected) == rec.frames
    assert abs(audio.shape[0] / SR - len(frames) / FPS) <= 1 / FPS
    got = [decode_index(f) for f in frames]
    assert got == sorted(got) and len(set(got)) <= len(expected) - rec.dropped


def test_an_odd_or_resized_window_is_cropped_or_scaled_to_the_file(ctx, picture, tmp_path):
    big = ctx.texture((W * 2, H * 2), 4)
    rec = Rig(ctx, (W + 1, H + 1), tmp_path / "resized.mp4", fps=FPS, sample_rate=SR)
    assert rec.size == (W, H)
    for i in range(12):
        tex = picture(i)
        if i >= 6:   # the window doubled: the same picture, twice the size
            data = np.frombuffer(tex.read(), np.uint8).reshape(H, W, 4)
            big.write(data.repeat(2, 0).repeat(2, 1).tobytes())
            tex = big
        rec.submit(tex, i / FPS)
        rec.write_audio(tone_until((i + 1) / FPS, round(i / FPS * SR)))
        settle(rec)
    rec.release()
    big.release()
    frames, _ = read_file(tmp_path / "resized.mp4")
    assert [decode_index(f) for f in frames] == list(range(12))


def test_submit_leaves_the_window_drawing_where_it_was(ctx, picture, tmp_path):
    """The recorder's read-back and scaling restore the bound framebuffer and
    viewport: what the window draws next (the HUD) still lands on screen."""
    screen = ctx.texture((64, 32), 4)
    screen_fbo = ctx.framebuffer(color_attachments=[screen])
    prog = ctx.program(vertex_shader="""#version 330
        void main() { vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
                      gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0); }""",
                       fragment_shader="#version 330\nout vec4 c; void main() { c = vec4(1, 0, 0, 1); }")
    vao = ctx.vertex_array(prog, [])
    other = ctx.texture((W * 2, H * 2), 4)
    rec = Rig(ctx, (W, H), tmp_path / "bind.mp4", fps=FPS, sample_rate=SR)
    for i, tex in enumerate((picture(0), other)):
        screen_fbo.use()
        ctx.viewport = (0, 0, 64, 32)
        screen_fbo.clear(0, 0, 0, 1)
        rec.submit(tex, i / FPS)
        vao.render(moderngl.TRIANGLES, vertices=3)
        drawn = np.frombuffer(screen.read(), np.uint8).reshape(32, 64, 4)
        assert (drawn[..., 0] == 255).all() and (drawn[..., 1] == 0).all()
    rec.release()
    for obj in (vao, prog, other, screen_fbo, screen):
        obj.release()


def test_stop_in_finally_after_ctrl_c_leaves_a_playable_file(ctx, picture, tmp_path):
    out = tmp_path / "interrupted.mp4"
    rec = Rig(ctx, (W, H), out, fps=FPS, sample_rate=SR)
    with pytest.raises(KeyboardInterrupt):
        try:
            for i, t in enumerate(display_times(1.0)):
                rec.write_audio(tone_until(t, round(max(t - 1 / 60, 0) * SR)))
                rec.submit(picture(i), float(t))
                if i == 40:
                    raise KeyboardInterrupt
        finally:
            rec.stop()
    rec.release()
    frames, audio = read_file(out)
    assert 19 <= len(frames) <= 22 and audio.shape[0] > 0


def test_an_encoder_failure_stops_recording_and_is_raised_by_stop(ctx, picture, tmp_path):
    rec = Rig(ctx, (W, H), tmp_path / "full.mp4", fps=FPS, sample_rate=SR)

    def full(rgb):
        raise OutputError("full.mp4: writing failed (No space left on device)")
    rec.writer.write_video = full
    for i in range(30):
        rec.submit(picture(i), i / 60)   # never raises on the render thread
    rec._thread.join(timeout=10)
    assert rec.error == "full.mp4: writing failed (No space left on device)"
    with pytest.raises(OutputError, match="No space left"):
        rec.stop()
    rec.release()


def test_an_unwritable_path_is_one_line(ctx, tmp_path):
    with pytest.raises(OutputError) as e:
        Rig(ctx, (W, H), tmp_path / "missing" / "show.mp4")
    assert "show.mp4" in str(e.value) and "does not exist" in str(e.value) and "\n" not in str(e.value)


def test_next_path_never_overwrites(tmp_path):
    out = tmp_path / "show.mp4"
    assert next_path(out) == out
    out.write_bytes(b"x")
    assert next_path(out) == tmp_path / "show-2.mp4"
    (tmp_path / "show-2.mp4").write_bytes(b"x")
    assert next_path(out) == tmp_path / "show-3.mp4"
    (tmp_path / "seq_00001.png").write_bytes(b"x")
    assert next_path(tmp_path / "seq.png") == tmp_path / "seq-2.png"


_KILLED = """
import sys, time, moderngl, numpy as np
sys.path.insert(0, "tests")
from recorder_rig import Rig
ctx = moderngl.create_standalone_context(require=330, backend="egl")
tex = ctx.texture((96, 64), 4)
fbo = ctx.framebuffer(color_attachments=[tex])
rec = Rig(ctx, (96, 64), sys.argv[1])
i, told, start = 0, False, time.perf_counter()
while True:   # a 60 Hz display
    time.sleep(max(0.0, start + i / 60 - time.perf_counter()))
    fbo.clear(i / 1000 % 1.0, 0.5, 0.2, 1.0)
    rec.write_audio(np.full(800, 0.1, np.float32))
    rec.submit(tex, i / 60)
    i += 1
    if rec.encoded >= 75 and not told:
        print("encoded", flush=True)
        told = True
"""


def test_a_killed_recording_still_plays(tmp_path):
    """SIGKILL mid-show: the fragments written so far decode, picture and sound."""
    out = tmp_path / "killed.mp4"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "encoded", proc.stderr.read()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    video = audio = 0
    with av.open(str(out)) as c:
        for packet in c.demux():
            try:
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        video += 1
                    else:
                        audio += frame.samples
            except av.FFmpegError:
                break  # a fragment cut off mid-write ends what plays
    assert video >= 60                       # at least the first two one-second fragments
    assert abs(audio / SR - video / FPS) <= 1.0
