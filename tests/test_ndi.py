"""NDI out, received for real: our sender and a cyndilib receiver that finds
it by mDNS, both inside a private network namespace with an avahi daemon of
its own (an NDI sender advertises itself on every interface, so it never
runs in the machine's own network namespace). The pictures arrive numbered
in order, as the program drew them, with the sound; and ``visualizer live
--headless --ndi NAME`` is found and received end to end."""

import json
import sys

import pytest
from conftest import ROOT
from netns import run_private, unavailable

WHY = unavailable()
pytestmark = pytest.mark.skipif(bool(WHY), reason=f"NDI tests need a private namespace: {WHY}")

RECEIVED = 0.2
"""The least share of what was sent that the receiver must hand over. NDI's
own receiver statistics count every frame arriving and none dropped, yet
cyndilib's capture loop here returns about one frame in two (and fewer on
a loaded 2-core machine: 35 to 66 of 120 measured); an open question, not
a loss on the sending side, whose own count of dropped frames is zero."""
SOUND = 0.25
"""Seconds of sound the receiver must hand over in its 4 s (0.45 to 1.3 s
measured, for the same reason)."""

_SENDER = """
import sys, time
import moderngl, numpy as np
sys.path.insert(0, "tests")
from stream_rig import draw_index
from visualizer.output.ndi import NdiSink
from visualizer.output.sink import ProgramOut
W, H, SR = 288, 160, 48000
ctx = moderngl.create_standalone_context(require=330, backend="egl")
tex = ctx.texture((W, H), 4)
fbo = ctx.framebuffer(color_attachments=[tex])
sink = NdiSink(sys.argv[1], (W, H), fps=30, sample_rate=SR)
out = ProgramOut(ctx, in_flight=2, pool=8, wait=False)
out.add(sink)
start = time.perf_counter()
for i in range(int(float(sys.argv[2]) * 60)):
    out.sound(np.full(800, 0.25, np.float32), i / 60)
    draw_index(fbo, (W, H), i % 256)
    out.frame(tex, i, i / 60)
    time.sleep(max(0.0, start + (i + 1) / 60 - time.perf_counter()))
out.flush()
sink.close()
out.release()
print("sent", sink.writer.frames, "dropped", sink.dropped, "unseen", sink.unseen, flush=True)
"""


def _session(tmp_path, sender: list[str], name: str, seconds: float):
    """Sender and receiver together in a private namespace: (receiver's report, output)."""
    py = sys.executable
    script = (f'"{py}" tests/ndi_receiver.py "{name}" {seconds} > "{tmp_path}/got.json" & '
              f'{" ".join(sender)}; wait')
    r = run_private(["sh", "-c", script], tmp_path, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads((tmp_path / "got.json").read_text()), r.stdout + r.stderr


def test_an_ndi_receiver_gets_the_program_pictures_in_order_with_the_sound(tmp_path):
    report, out = _session(tmp_path, [f'"{sys.executable}"', "-c", f"'{_SENDER}'",
                                      "vis-test", "8"], "vis-test", 4.0)
    assert report["source"] and report["source"].endswith("(vis-test)"), out
    pictures = report["pictures"]
    numbers = [n for n, _, _, _ in pictures]
    # 4 s at 30 fps is 120; the receiving end here hands over fewer (see RECEIVED).
    assert len(pictures) >= RECEIVED * 120, out
    assert all((w, h) == (288, 160) for _, _, w, h in pictures)
    assert min(numbers) >= 0                          # every one a real program picture
    steps = [(b - a) % 256 for a, b in zip(numbers, numbers[1:])]   # numbers wrap at 256
    # In order (a step of 0: a picture repeated for a dropped one).
    assert all(step < 128 for step in steps), numbers
    assert report["samples"] >= SOUND * 48000         # the sound came along
    assert "NDI source 'vis-test': " in out and "unseen False" in out


def test_live_headless_ndi_is_found_and_received(tmp_path):
    live = [f'"{sys.executable}"', "-m", "visualizer", "live", "--headless", "--demo", "--play",
            "none", "--size", "320x180", "--frames", "480", "--ndi", "vis-live"]
    report, out = _session(tmp_path, live, "vis-live", 4.0)
    assert report["source"] and report["source"].endswith("(vis-live)"), out
    pictures = report["pictures"]
    assert len(pictures) >= RECEIVED * 120, out
    assert all((w, h) == (320, 180) for _, _, w, h in pictures)
    assert max(mean for _, mean, _, _ in pictures) > 5   # a picture, not black
    assert report["samples"] >= SOUND * 48000
    assert "480 frames shown" in out and "NDI source 'vis-live': " in out
