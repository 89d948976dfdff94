"""A test microphone paced like a sound card, for live runs that depend on time.

conftest's `testmic` reads a regular file through ALSA's `file` plugin, which
hands data over as fast as it is asked: a 20 s file is captured in a fraction
of a second, then silence, at whatever speed the machine allows. A live run
against it hears the file only if its first frames come soon enough, which a
busy machine decides.

Here the plugin's input is a FIFO that a thread fills in real time with the
given samples, looped, 256 frames at a time; the plugin then reads as fast as
data comes, which is real time. Each read must take whole blocks: the stream
must read 256 frames per callback (MicSource's and the CLI's default buffer).
As a sound card does, the device keeps time whether or not anyone reads: a
block the reader had no room for is dropped (an overrun), never queued up and
delivered late. (tests/test_device_loss.py builds its unpluggable devices the
same way.)

Use it as a context manager; pass ``env`` to the process that opens
``pacedmic`` (PortAudio reads the ALSA configuration when it initialises).
"""

import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BLOCK = 256  # frames per write; the stream reads as many per callback


class PacedMic:
    """ALSA capture device ``pacedmic`` delivering ``samples`` (mono float), looped, in real time."""

    name = "pacedmic"

    def __init__(self, samples: np.ndarray, *, sample_rate: int = 48000):
        looped = np.tile(np.asarray(samples, "<f4"), -(-BLOCK // len(samples)))
        self._length = looped.shape[0]
        self._data = np.concatenate([looped, looped[:BLOCK]])  # a block may cross the loop point
        self.sample_rate = sample_rate
        self.folder = Path(tempfile.mkdtemp(prefix="visualizer-pacedmic-"))
        fifo = self.folder / "mic.fifo"
        os.mkfifo(fifo)
        # Held open read-write: the plugin's open never blocks, its reads never see an end.
        self._fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        conf = self.folder / "asound.conf"
        conf.write_text(f"""</usr/share/alsa/alsa.conf>
pcm.{self.name} {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{fifo}"
  format "raw"
}}
""")
        self.env = {"ALSA_CONFIG_PATH": str(conf)}
        self.written = self.dropped = 0  # blocks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="paced mic")

    def __enter__(self) -> "PacedMic":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self._fd)
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()

    def _run(self) -> None:
        period = BLOCK / self.sample_rate
        pos, due = 0, time.perf_counter()
        while not self._stop.is_set():
            block = self._data[pos:pos + BLOCK].tobytes()   # 1 KiB: written whole or not at all
            try:
                os.write(self._fd, block)
                self.written += 1
            except BlockingIOError:
                self.dropped += 1   # nobody read in time: an overrun
            pos = (pos + BLOCK) % self._length
            due += period
            delay = due - time.perf_counter()
            if delay > 0:
                self._stop.wait(delay)
