"""Chaos: the live show under everything a stage can throw at it at once.

    .venv/bin/python benchmarks/chaos.py [--minutes 10] [--size 640x360] [--json]

A real ``visualizer live`` process, in a real window (Xvfb), listening to a
real PortAudio stream (an ALSA ``file`` PCM whose input is a FIFO fed with
the demo track in real time, so it is paced like a sound card), recording
itself (``--record``), with the HUD on, while:

- one thread sends OSC to it at about 1 kHz: garbage (random bytes, hostile
  bundles that once hung python-osc's parser, truncated and oversized
  elements) mixed with valid commands (one in ten), each counted;
- the input device is unplugged (the FIFO stops and disappears) and plugged
  back every 40 s;
- the scene on screen has its shader broken and mended (hot reload) every
  30 s, on a copy of the scene library (``VISUALIZER_SCENES`` and
  ``VISUALIZER_SHADERS`` point the show at it).

At the end it presses Esc and prints: frames shown, frames late because of
our own work (the show's own count: over 1.5 display periods), resident
memory at the start and the end, valid OSC commands sent and applied (lost
must be 0), garbage datagrams ignored, input losses and recoveries, reload
errors seen and mended, and whether the recording decodes with picture and
sound (its frame count and the length of each stream).

Traffic goes only to 127.0.0.1.
"""

import argparse
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SR = 48000
BLOCK = 256


def _osc_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def osc_message(address: str, *args) -> bytes:
    """A plain OSC message of int, float and string arguments."""
    tags, body = ",", b""
    for a in args:
        if isinstance(a, float):
            tags, body = tags + "f", body + struct.pack(">f", a)
        elif isinstance(a, int):
            tags, body = tags + "i", body + struct.pack(">i", a)
        else:
            tags, body = tags + "s", body + _osc_string(a)
    return _osc_string(address) + _osc_string(tags) + body


def garbage(rng: random.Random) -> bytes:
    """One hostile datagram, of a kind chosen at random."""
    kind = rng.randrange(6)
    if kind == 0:   # the bundle whose negative size once looped python-osc forever
        return b"#bundle\0" + bytes(8) + struct.pack(">i", -4)
    if kind == 1:   # a bundle that claims more than it holds
        return b"#bundle\0" + bytes(8) + struct.pack(">i", 1 << 20) + b"/x\0\0"
    if kind == 2:   # random bytes
        return rng.randbytes(rng.randrange(1, 200))
    if kind == 3:   # a valid message cut short
        m = osc_message("/param01/vortex/spin", 0.5)
        return m[:rng.randrange(1, len(m))]
    if kind == 4:   # nested bundles, deeper than anyone sends (the server takes 8)
        inner = osc_message("/hud", 1)
        for _ in range(rng.randrange(9, 64)):
            inner = b"#bundle\0" + bytes(8) + struct.pack(">i", len(inner)) + inner
        return inner
    return osc_message("/param/spin", float("nan"))   # a number that is not one


VALID = (lambda r: osc_message("/param01/vortex/spin", r.random()),
         lambda r: osc_message("/intensity", r.random()),
         lambda r: osc_message("/visualizer/param/flare", 0.5 + r.random()),
         lambda r: osc_message("/hud", 1))


class OscChaos(threading.Thread):
    """Sends a datagram every millisecond; every tenth one is valid."""

    def __init__(self, port: int, seed: int = 7):
        super().__init__(daemon=True)
        self.port = port
        self.rng = random.Random(seed)
        self.valid = self.garbage = 0
        self.running = threading.Event()
        self.running.set()

    def run(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        due = time.perf_counter()
        n = 0
        while self.running.is_set():
            if n % 10 == 9:
                data = self.rng.choice(VALID)(self.rng)
                self.valid += 1
            else:
                data = garbage(self.rng)
                self.garbage += 1
            sock.sendto(data, ("127.0.0.1", self.port))
            n += 1
            due += 0.001
            time.sleep(max(0.0, due - time.perf_counter()))
        sock.close()


class FifoMic:
    """The demo track, looped into a FIFO in real time; unplug() and plug()."""

    def __init__(self, path: Path, music: np.ndarray):
        self.path, self.music = path, music.astype("<f4")
        self.plugged = threading.Event()
        self._lock = threading.Lock()
        self._fd = None
        self.plug()
        threading.Thread(target=self._run, daemon=True).start()

    def plug(self) -> None:
        tmp = self.path.with_name(self.path.name + ".new")
        os.mkfifo(tmp)
        fd = os.open(tmp, os.O_RDWR)   # held open both ways: never reads as ended
        os.set_blocking(fd, False)     # a show not reading drops samples, never blocks us
        os.rename(tmp, self.path)
        with self._lock:
            self._fd = fd
        self.plugged.set()

    def unplug(self) -> None:
        """As a USB interface pulled out: the stream stalls (the driver stops
        delivering), then the device is gone. A FIFO closed at once would
        read as ended instead, which no sound card does."""
        self.plugged.clear()
        time.sleep(1.5)   # longer than the show's stall detection (0.5 s)
        os.unlink(self.path)
        with self._lock:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        pos, due = 0, time.perf_counter()
        while True:
            if not self.plugged.is_set():
                time.sleep(0.005)
                due = time.perf_counter()
                continue
            block = self.music[pos:pos + BLOCK]
            pos = (pos + BLOCK) % (self.music.size - BLOCK)
            with self._lock:
                if self._fd is not None:
                    try:
                        os.write(self._fd, block.tobytes())
                    except BlockingIOError:
                        pass   # nobody reading (the show is between streams): drop it
            due += BLOCK / SR
            time.sleep(max(0.0, due - time.perf_counter()))


def _rss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _xvfb() -> tuple[subprocess.Popen, str]:
    for n in range(120, 160):
        if not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x720x24", "+extension", "GLX",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            break
        time.sleep(0.05)
    return proc, f":{n}"


def _decode(path: Path) -> dict:
    import av
    out = {"frames": 0, "video_s": 0.0, "audio_s": 0.0, "error": ""}
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                out["frames"] += 1
                out["video_s"] = float(frame.pts * frame.time_base)
        with av.open(str(path)) as c:
            samples = sum(f.samples for f in c.decode(audio=0))
            out["audio_s"] = samples / c.streams.audio[0].rate
    except Exception as e:  # noqa: BLE001 -- a report of what failed is the point
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def _number(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else -1


def run(minutes: float, size: str) -> dict:
    from visualizer.audio.demo import demo_track
    folder = Path(tempfile.mkdtemp(prefix="visualizer-chaos-"))
    scenes, shaders = folder / "scenes", folder / "shaders"
    shutil.copytree(ROOT / "scenes", scenes)
    shutil.copytree(ROOT / "shaders", shaders)
    music = demo_track()
    music = music.mean(axis=1) if music.ndim == 2 else music
    mic = FifoMic(folder / "mic.fifo", music)
    asound = folder / "asound.conf"
    asound.write_text(f"""</usr/share/alsa/alsa.conf>
pcm.chaosmic {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{folder / 'mic.fifo'}"
  format "raw"
}}
""")
    xvfb, display = _xvfb()
    port = _free_port()
    record = folder / "show.mp4"
    env = dict(os.environ, DISPLAY=display, ALSA_CONFIG_PATH=str(asound),
               VISUALIZER_SCENES=str(scenes), VISUALIZER_SHADERS=str(shaders))
    proc = subprocess.Popen([sys.executable, "-m", "visualizer", "live", "--device", "chaosmic",
                             "--scene", "vortex", "--size", size, "--hud", "--osc-port", str(port),
                             "--record", str(record)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    report = {"minutes": minutes, "size": size}
    osc = OscChaos(port)
    shader = shaders / "vortex.glsl"
    good = shader.read_text()
    broken = mended = unplugs = 0
    try:
        time.sleep(8.0)   # start-up: the window, the scenes compiled, the stream open
        report["rss_start_mb"] = _rss_mb(proc.pid)
        osc.start()
        t0 = time.monotonic()
        end = t0 + minutes * 60
        next_break, next_unplug = t0 + 30, t0 + 40
        report["rss_mb_by_minute"] = rss = []
        next_sample = t0 + 60
        while time.monotonic() < end and proc.poll() is None:
            now = time.monotonic()
            if now >= next_sample:
                rss.append(round(_rss_mb(proc.pid), 1))
                next_sample += 60
            if now >= next_break:
                shader.write_text(good.replace("void mainImage", "void mainImage_broken", 1)
                                  + "\nthis is not GLSL;\n")
                broken += 1
                time.sleep(3.0)
                shader.write_text(good)
                mended += 1
                next_break = now + 30
            if now >= next_unplug:
                mic.unplug()
                unplugs += 1
                time.sleep(3.0)
                mic.plug()
                next_unplug = now + 40
            time.sleep(0.2)
        report["rss_end_mb"] = _rss_mb(proc.pid)
        osc.running.clear()
        osc.join()
        time.sleep(1.0)   # the last datagrams are handled before the show ends
        quit_at = time.monotonic()
        subprocess.run(["xdotool", "search", "--name", "^visualizer$", "key", "Escape"],
                       env=env, capture_output=True)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(2)
            out, err = proc.communicate(timeout=30)
        report["quit_s"] = round(time.monotonic() - quit_at, 2)
    finally:
        osc.running.clear()
        if proc.poll() is None:
            proc.kill()
        xvfb.terminate()
    report.update(exit=proc.returncode, shader_broken=broken, shader_mended=mended,
                  unplugs=unplugs, valid_sent=osc.valid, garbage_sent=osc.garbage,
                  stderr_bytes=len(err), stderr_tail=err[-600:])
    report["frames"] = _number(r"(\d+) frames shown", out)
    report["late"] = _number(r"(\d+) late frames", out)
    report["dropped"] = _number(r"(\d+) recorded frames dropped", out)
    report["osc_applied"] = _number(r"(\d+) from osc", out)
    report["ignored"] = _number(r"(\d+) control messages ignored", out)
    report["lost"] = _number(r"input lost (\d+) times", out)
    report["recovered"] = _number(r"recovered (\d+) times", out)
    report["stdout"] = out
    report["recording"] = _decode(record) if record.exists() else {"error": "no file"}
    shutil.rmtree(folder, ignore_errors=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    r = run(args.minutes, args.size)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    rec = r["recording"]
    lost = r["valid_sent"] - r["osc_applied"] if r["osc_applied"] >= 0 else "unknown"
    print(f"chaos run: {r['minutes']:g} min at {r['size']}, exit {r['exit']} "
          f"({r['quit_s']} s from Esc to exit)")
    print(f"  frames shown {r['frames']}, late (own work) {r['late']}, "
          f"recorded frames dropped {r['dropped']}")
    print(f"  resident memory {r['rss_start_mb']:.1f} MB at the start, {r['rss_end_mb']:.1f} MB at the end "
          f"(each minute: {', '.join(map(str, r['rss_mb_by_minute']))})")
    print(f"  OSC: {r['valid_sent']} valid sent, {r['osc_applied']} applied, lost {lost}; "
          f"{r['garbage_sent']} garbage sent, {r['ignored']} messages ignored")
    print(f"  input unplugged {r['unplugs']} times: lost {r['lost']}, recovered {r['recovered']}")
    print(f"  shader broken {r['shader_broken']} times, mended {r['shader_mended']} times")
    print(f"  recording: {rec.get('frames', 0)} frames, video {rec.get('video_s', 0):.1f} s, "
          f"audio {rec.get('audio_s', 0):.1f} s {rec.get('error', '')}")
    print(f"  stderr: {r['stderr_bytes']} bytes")


if __name__ == "__main__":
    main()
