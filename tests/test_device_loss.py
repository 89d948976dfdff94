"""An input unplugged mid-show: the show goes on and capture comes back by itself.

The stream is a real PortAudio stream on an ALSA `file` PCM whose input is a
FIFO, fed in real time with a tone by a thread (the plugin reads as fast as
data comes, so the FIFO paces it like a sound card). What is emulated:

- unplugging: the writer stops, so the stream stalls as a device whose
  driver stops delivering does; then the FIFO is removed, so the device can
  neither be opened nor listed once PortAudio is re-initialised;
- replugging: a FIFO is made again at the same path and the writer resumes
  (at another pitch, to tell new audio from old);
- the host API stopping a stream: the PortAudio stream is stopped under
  MicSource's feet.

A stream that dies with a driver error cannot be produced here (the file
plugin ignores read errors); MicSource treats it like the stopped stream.
Also here: two channels of one stream captured into two rings, through
conftest's `testmic` reading an interleaved file.

Each scenario runs in a child Python (this file run as a script) with its own
ALSA configuration: PortAudio reads it when it initialises, and this process
already uses conftest's. The scenarios run side by side; the tests read
their reports.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SR = 48000
BLOCK = 256  # frames per write and per callback: whole reads keep the samples exact
SCENARIOS = ("stall", "unplug", "two", "stopped")


# The child side.

class FifoMic:
    """A FIFO that a thread fills with a sine in real time while ``writing``."""

    def __init__(self, path: Path, freq: float = 440.0):
        self.path = path
        self.freq = freq
        self.writing = threading.Event()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.plug()
        self.writing.set()
        threading.Thread(target=self._run, daemon=True).start()

    def plug(self) -> None:
        # Held open read-write, the FIFO never reads as ended and opening it
        # never blocks; made under another name, it appears ready.
        tmp = self.path.with_name(self.path.name + ".new")
        os.mkfifo(tmp)
        fd = os.open(tmp, os.O_RDWR)
        os.rename(tmp, self.path)
        with self._lock:
            self._fd = fd

    def unplug(self) -> None:
        self.writing.clear()
        os.unlink(self.path)
        with self._lock:
            os.close(self._fd)  # a reader still blocked on it sees the end
            self._fd = None

    def _run(self) -> None:
        frame, due = 0, time.perf_counter()
        while True:
            if not self.writing.is_set():
                time.sleep(0.005)
                due = time.perf_counter()
                continue
            t = (frame + np.arange(BLOCK)) / SR
            data = (0.5 * np.sin(2 * np.pi * self.freq * t)).astype("<f4").tobytes()
            frame += BLOCK
            with self._lock:
                if self._fd is not None:
                    os.write(self._fd, data)
            due += BLOCK / SR
            time.sleep(max(0.0, due - time.perf_counter()))


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def peak_hz(mic, seconds: float = 0.5) -> float:
    """The strongest frequency in the next ``seconds`` of new audio (0 if none came)."""
    mic.ring.drain()
    if not wait_for(lambda: mic.ring.available >= seconds * SR):
        return 0.0
    return _peak(mic.ring.drain()[:int(seconds * SR)])


def _peak(x: np.ndarray) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x * np.hanning(x.size)))) * SR / x.size)


def counts(mic) -> dict:
    return {k: getattr(mic, k) for k in ("lost", "health", "lost_count", "recovered_count",
                                         "close_failures", "reinits", "last_error")}


def scenario_stall(folder: Path) -> dict:
    from visualizer.audio.mic import MicSource
    fifo = FifoMic(folder / "a.fifo")
    mic = MicSource("fifomic", buffer_size=BLOCK, ring_seconds=10)
    mic.start()
    r = {"before": peak_hz(mic), "ok_before": counts(mic)}
    fifo.writing.clear()
    t = time.monotonic()
    r["detected"] = wait_for(lambda: mic.lost)
    r["detect_s"] = time.monotonic() - t
    time.sleep(1.5)  # longer than the close timeout: the dead stream's close is left behind
    r["while_lost"] = counts(mic)
    r["silence_due"] = int(mic.silence_due().size)
    fifo.freq = 660.0
    fifo.writing.set()
    t = time.monotonic()
    r["recovered"] = wait_for(lambda: not mic.lost)
    r["recover_s"] = time.monotonic() - t
    r["after"] = peak_hz(mic)
    r["silence_after"] = int(mic.silence_due().size)
    r["end"] = counts(mic)
    mic.stop()
    return r


def scenario_unplug(folder: Path) -> dict:
    from visualizer.audio import mic as mic_source
    from visualizer.audio.portaudio import list_devices
    fifo = FifoMic(folder / "a.fifo")
    mic = mic_source.MicSource("fifomic", buffer_size=BLOCK, ring_seconds=10)
    mic.start()
    r = {"before": peak_hz(mic)}
    fifo.writing.clear()
    r["detected"] = wait_for(lambda: mic.lost)
    mic.ring.drain()
    fifo.unplug()
    # Retried (once a second) until PortAudio has listed the devices again without it.
    wait_for(lambda: mic.reinits >= 1 and "not found" in mic.last_error, timeout=30)
    r["unplugged"] = counts(mic)
    r["ring_while_unplugged"] = mic.ring.available
    with mic_source._PA_LOCK:  # the watchdog may be re-initialising PortAudio
        r["listed_while_unplugged"] = "fifomic" in [d.name for d in list_devices() if d.inputs]
    fifo.freq = 660.0
    fifo.plug()
    fifo.writing.set()
    t = time.monotonic()
    r["recovered"] = wait_for(lambda: not mic.lost)
    r["recover_s"] = time.monotonic() - t
    r["after"] = peak_hz(mic)
    r["end"] = counts(mic)
    mic.stop()
    return r


def scenario_two(folder: Path) -> dict:
    """Two inputs; the one unplugged must not disturb the other."""
    from visualizer.audio.mic import MicSource
    fifo_a, fifo_b = FifoMic(folder / "a.fifo"), FifoMic(folder / "b.fifo", 330.0)
    a = MicSource("fifomic", buffer_size=BLOCK, ring_seconds=10)
    b = MicSource("fifomic2", buffer_size=BLOCK, ring_seconds=10)
    a.start()
    b.start()
    r = {"a_before": peak_hz(a), "b_before": peak_hz(b)}
    fifo_a.writing.clear()
    r["detected"] = wait_for(lambda: a.lost)
    fifo_a.unplug()
    b.ring.drain()
    t = time.monotonic()
    time.sleep(2.0)
    fifo_a.freq = 660.0
    fifo_a.plug()
    fifo_a.writing.set()
    r["recovered"] = wait_for(lambda: not a.lost)
    r["b_samples_per_s_during_outage"] = b.ring.available / (time.monotonic() - t)
    r["a_after"], r["b_after"] = peak_hz(a), peak_hz(b)
    r["a"], r["b"] = counts(a), counts(b)
    a.stop()
    b.stop()
    return r


def scenario_stopped(folder: Path) -> dict:
    from visualizer.audio.mic import MicSource
    FifoMic(folder / "a.fifo")
    mic = MicSource("fifomic", buffer_size=BLOCK, ring_seconds=10)
    mic.start()
    r = {"before": peak_hz(mic)}
    mic._stream.stop_stream()  # as a host API would: the stream is no longer active
    r["detected"] = wait_for(lambda: mic.lost)
    r["recovered"] = wait_for(lambda: not mic.lost)
    r["after"] = peak_hz(mic)
    r["end"] = counts(mic)
    mic.stop()
    return r


def child(name: str, folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    result = globals()[f"scenario_{name}"](folder)
    print(json.dumps(result), flush=True)
    os._exit(0)  # a stream thread blocked in the ALSA plugin must not hold up the exit


# The test side.

def _capture_two(channels: list[int]):
    from conftest import MIC_RAW, tone
    from visualizer.audio.mic import MicSource
    # The file holds interleaved frames: 440 Hz on channel 1, 660 Hz on channel 2.
    np.stack([tone(440.0, 1.0), tone(660.0, 1.0)], axis=1).astype("<f4").tofile(MIC_RAW)
    mic = MicSource("testmic", channels=channels, buffer_size=BLOCK, ring_seconds=30)
    mic.start()
    wait_for(lambda: min(ring.available for ring in mic.rings) >= SR)
    mic.stop()
    return mic, [ring.drain()[:SR].copy() for ring in mic.rings]


def test_two_channels_of_one_stream_land_in_their_own_rings():
    mic, (first, second) = _capture_two([0, 1])
    assert mic.ring is mic.rings[0] and len(mic.rings) == 2
    assert first.shape == second.shape == (SR,)
    assert abs(_peak(first) - 440) <= 1 and abs(_peak(second) - 660) <= 1
    # The samples are the tone's, not a mix: channel 2 is exactly the 660 Hz sine.
    from conftest import tone
    np.testing.assert_array_equal(second, tone(660.0, 1.0))


def test_channels_are_taken_in_the_order_asked():
    mic, (first, second) = _capture_two([1, 0])
    assert abs(_peak(first) - 660) <= 1 and abs(_peak(second) - 440) <= 1
    mic, (only,) = _capture_two([1])
    assert abs(_peak(only) - 660) <= 1 and mic.ring is mic.rings[0]


def test_a_missing_channel_is_a_clear_error():
    from visualizer.audio.mic import MicSource
    from visualizer.errors import DeviceError
    with pytest.raises(DeviceError, match="'testmic': has no input channel 201"):
        MicSource("testmic", channels=[0, 200])
    with pytest.raises(DeviceError, match="no input channel chosen"):
        MicSource("testmic", channels=[])


def _asound(folder: Path) -> Path:
    pcms = "".join(f"""
pcm.{name} {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{folder / fifo}"
  format "raw"
}}
""" for name, fifo in (("fifomic", "a.fifo"), ("fifomic2", "b.fifo")))
    path = folder / "asound.conf"
    path.write_text("</usr/share/alsa/alsa.conf>\n" + pcms)
    return path


@pytest.fixture(scope="module")
def reports():
    """Run every scenario in its own child, all at once; their JSON reports by name."""
    folders, procs = {}, {}
    for name in SCENARIOS:
        folders[name] = Path(tempfile.mkdtemp(prefix=f"visualizer-loss-{name}-"))
        env = dict(os.environ, ALSA_CONFIG_PATH=str(_asound(folders[name])))
        procs[name] = subprocess.Popen([sys.executable, __file__, name, str(folders[name])],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, env=env, cwd=ROOT)
    out = {}
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        shutil.rmtree(folders[name], ignore_errors=True)
        lines = stdout.strip().splitlines()
        out[name] = json.loads(lines[-1]) if proc.returncode == 0 and lines else \
            {"error": f"exit {proc.returncode}: {stderr[-2000:]}"}
    return out


def _report(reports, name):
    r = reports[name]
    assert "error" not in r, r.get("error")
    return r


def test_a_stalled_input_is_reported_lost_and_comes_back_by_itself(reports):
    r = _report(reports, "stall")
    assert abs(r["before"] - 440) <= 4
    assert r["ok_before"]["health"] == "" and not r["ok_before"]["lost"]
    assert r["detected"]
    lost = r["while_lost"]
    assert lost["health"] == "input 'fifomic' lost — retrying"
    assert lost["lost_count"] == 1 and lost["recovered_count"] == 0
    assert r["silence_due"] > 0  # the render loop is handed silence meanwhile
    assert r["recovered"]
    assert abs(r["after"] - 660) <= 4  # new audio, from a new stream
    assert r["silence_after"] == 0
    end = r["end"]
    assert end["health"] == "" and end["lost_count"] == 1 and end["recovered_count"] == 1


def test_an_unplugged_device_is_retried_and_found_again_when_replugged(reports):
    r = _report(reports, "unplug")
    assert abs(r["before"] - 440) <= 4
    assert r["detected"]
    gone = r["unplugged"]
    assert gone["lost"] and gone["health"] == "input 'fifomic' lost — retrying"
    assert "not found" in gone["last_error"]
    assert gone["reinits"] >= 1  # PortAudio listed the devices again...
    assert not r["listed_while_unplugged"]  # ...and the device was not among them
    assert r["ring_while_unplugged"] == 0  # the dead stream wrote nothing
    assert r["recovered"]
    assert abs(r["after"] - 660) <= 4
    assert r["end"]["lost_count"] == 1 and r["end"]["recovered_count"] == 1


def test_losing_one_input_does_not_disturb_another(reports):
    r = _report(reports, "two")
    assert abs(r["a_before"] - 440) <= 4 and abs(r["b_before"] - 330) <= 4
    assert r["detected"] and r["recovered"]
    assert abs(r["a_after"] - 660) <= 4 and abs(r["b_after"] - 330) <= 4
    # Re-initialising PortAudio would have closed the other stream: not done.
    assert r["a"]["reinits"] == 0
    assert r["b"]["lost_count"] == 0 and r["b"]["health"] == ""
    assert r["b_samples_per_s_during_outage"] > SR / 2  # it kept capturing


def test_a_stream_stopped_by_the_host_is_reopened(reports):
    r = _report(reports, "stopped")
    assert abs(r["before"] - 440) <= 4
    assert r["detected"] and r["recovered"]
    assert abs(r["after"] - 440) <= 4
    assert r["end"]["lost_count"] == 1 and r["end"]["recovered_count"] == 1


if __name__ == "__main__":
    child(sys.argv[1], Path(sys.argv[2]))
