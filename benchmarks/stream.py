"""The live stream's added delay and dropped frames at 1280x720, on loopback.

    .venv/bin/python benchmarks/stream.py [--seconds 20] [--size 1280x720] [--fps 30]

A 60 Hz show draws numbered pictures (the number in bars, as the stream's
tests draw it) on a headless GL context and feeds them, as the live loop
does, through the one read-back (ProgramOut) to a StreamSink sending
udp://127.0.0.1:PORT (H.264 + AAC in MPEG-TS, x264 veryfast zerolatency at
the default bit rate). A receiver in a process of its own (as OBS would
be) decodes the stream with PyAV as packets arrive (no player buffer, no
frame threads) and notes when each numbered picture came out of the
decoder. The added delay of a picture is that moment minus the moment the
show finished drawing it (both CLOCK_MONOTONIC): read-back, the queue to
the encoder, x264, MPEG-TS, UDP on loopback, demux and decode. A player
adds its own network buffer on top; a network adds its transit.

Prints the delay (median, p90, p99, max), the frames the sink dropped
(the encoder behind) and the frames sent but never decoded (lost on the
way), and the peers' figures as they document them (not measured here).
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from stream_rig import draw_index, free_port, wait_bound

from visualizer.output.sink import ProgramOut
from visualizer.output.stream import StreamSink, default_kbps

BITS = 12      # numbers up to 4095: 68 s at 60 Hz
SR = 48000

_RECEIVER = """
import sys, time
import av, numpy as np
sys.path.insert(0, sys.argv[2])
from stream_rig import read_index
c = av.open(f"udp://127.0.0.1:{sys.argv[1]}?overrun_nonfatal=1&fifo_size=1000000",
            format="mpegts", timeout=(60, 3),
            options={"probesize": "32768", "analyzeduration": "0", "fflags": "nobuffer"})
video = c.streams.video[0]
video.thread_count = 1          # frame threads would hold frames back
video.codec_context.flags |= 1 << 19   # AV_CODEC_FLAG_LOW_DELAY
print("ready", flush=True)
try:
    for packet in c.demux(video):
        got = time.perf_counter()
        for frame in packet.decode():
            now = time.perf_counter()
            y = np.frombuffer(frame.planes[0], np.uint8).reshape(frame.height, -1)[:, :frame.width]
            print(read_index(y, int(sys.argv[3])), now, got, flush=True)
except av.FFmpegError:
    pass
"""

PEERS = """peers, as documented (not measured here):
  vMix, Transport Stream over UDP input: network buffer 0-500 ms advised on a
    local network; its Low Latency Mode, buffer 0, under 5 frames (167 ms at
    30 fps) from devices such as the Teradek Cube (vmix.com/help21/Stream.html)
  RTMP to a streaming service, camera to viewer: seconds, not milliseconds
    (around 5 s is commonly quoted; the service's own player buffer dominates)
  a GStreamer RTP/H.264 pipeline into OBS is published as 'under 100 ms' on a
    LAN (a user's gist, with a hardware decoder)"""


def run(seconds: float, size: tuple[int, int], fps: int, preset: str) -> dict:
    import moderngl
    ctx = moderngl.create_standalone_context(require=330, backend="egl")
    tex = ctx.texture(size, 4)
    fbo = ctx.framebuffer(color_attachments=[tex])
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", _RECEIVER, str(port),
                                 str(ROOT / "tests"), str(BITS)],
                                stdout=subprocess.PIPE, text=True)
    wait_bound(port)   # the receiver listens before anything is sent
    sink = StreamSink(f"udp://127.0.0.1:{port}", size, fps=fps, sample_rate=SR, preset=preset)
    out = ProgramOut(ctx, in_flight=2, pool=8, wait=False)
    out.add(sink)
    made: dict[int, float] = {}
    handed, encoded = _stages(sink)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(800) / SR)).astype(np.float32)
    start = time.perf_counter()
    for i in range(int(seconds * 60)):
        out.sound(tone, i / 60)
        draw_index(fbo, size, i, BITS)
        ctx.finish()
        made[i] = time.perf_counter()
        out.frame(tex, i, i / 60)
        time.sleep(max(0.0, start + (i + 1) / 60 - time.perf_counter()))
    out.flush()
    sink.close()
    out.release()
    lines, _ = receiver.communicate(timeout=60)
    decoded = {}
    demuxed = {}
    for line in lines.splitlines()[1:]:
        number, at, came = line.split()
        if int(number) >= 0:
            decoded.setdefault(int(number), float(at))
            demuxed.setdefault(int(number), float(came))
    # The first 2 s are the receiver's start (probing, waiting for a keyframe); the
    # last picture's packet ends only when the stream does (MPEG-TS video packets
    # carry no length: one is whole when the next begins).
    steady = [n for n in decoded if n in made and 120 <= n < len(made) - 30]
    delays = sorted((decoded[n] - made[n]) * 1000 for n in steady)
    both = [n for n in steady if n in encoded]
    stages = [statistics.median((handed[n] - made[n]) * 1000 for n in both),
              statistics.median((encoded[n] - handed[n]) * 1000 for n in both),
              statistics.median((demuxed[n] - encoded[n]) * 1000 for n in both),
              statistics.median((decoded[n] - demuxed[n]) * 1000 for n in both)]
    first = min(decoded) if decoded else -1
    return {"first": (first, (decoded[first] - made[first]) * 1000 if decoded else 0.0),
            "sent": sink.writer.frames, "pictures": sink.writer.frames - sink.dropped,
            "dropped": sink.dropped, "decoded": len(decoded), "delays": delays,
            "kbps": default_kbps(size, fps), "stages": stages}


def _stages(sink) -> tuple[dict, dict]:
    """When each picture reached the sink (read back) and when the encoder
    had written it (encoded and sent): two dicts by picture number."""
    handed, encoded, current = {}, {}, {}
    picture, write_video = sink.picture, sink.writer.write_video

    def on_picture(p):
        handed[p.index] = time.perf_counter()
        current[id(p.pixels)] = p.index   # pool arrays are reused: the latest holder
        picture(p)

    def on_write(rgb):
        write_video(rgb)
        encoded.setdefault(current.get(id(rgb), -1), time.perf_counter())
    sink.picture, sink.writer.write_video = on_picture, on_write
    return handed, encoded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--preset", default="veryfast", help="x264 preset (the stream's: veryfast)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    r = run(args.seconds, size, args.fps, args.preset)
    d = r["delays"]
    pct = lambda q: d[min(len(d) - 1, int(q * len(d)))]
    print(f"stream udp://127.0.0.1 at {size[0]}x{size[1]} {args.fps} fps, "
          f"{r['kbps']} kb/s, x264 {args.preset}, {args.seconds:g} s of a 60 Hz show")
    print(f"added delay, picture drawn -> decoded by a receiver: median "
          f"{statistics.median(d):.1f} ms, p90 {pct(0.9):.1f}, p99 {pct(0.99):.1f}, "
          f"max {d[-1]:.1f} ({len(d)} pictures, the first 2 s and the last 0.5 s left out)")
    a, b, c, e = r["stages"]
    print(f"  of which (medians): read-back and hand-over {a:.1f} ms, queue + x264 + send "
          f"{b:.1f} ms, loopback + demux {c:.1f} ms, decode {e:.1f} ms")
    print(f"receiver's start: the first picture it decoded was number {r['first'][0]}, "
          f"{r['first'][1]:.0f} ms after it was drawn (it joins at a keyframe, one a second)")
    print(f"frames: {r['sent']} sent, {r['dropped']} dropped by the sink (encoder behind), "
          f"{r['pictures'] - r['decoded']} of {r['pictures']} distinct pictures never decoded")
    print(PEERS)


if __name__ == "__main__":
    main()
