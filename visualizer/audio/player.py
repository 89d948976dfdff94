"""A file played to the speakers as it is seen: a live source whose ring
receives what is played, as it is played (``visualizer live --input``,
``--demo``)."""

import queue
import sys
import threading
import time

import numpy as np

from visualizer.audio.delay import DelayLine
from visualizer.audio.file_source import CHANNELS, FileSource
from visualizer.audio.portaudio import find_output, portaudio
from visualizer.audio.ring import RingBuffer
from visualizer.audio.source import RING_SECONDS, LiveSource
from visualizer.errors import AudioFileError, DeviceError


class FilePlayer(LiveSource):
    """Plays a file to the default output and feeds what is played to a ring.

    A decoder thread reads ahead into a bounded queue; the output callback
    takes blocks from it without waiting. With ``output="none"``, or on a
    machine with no output device, a thread paced by the wall clock does the
    callback's work instead, so the picture still follows the file
    (silently; ``silent`` says so). With ``lead`` (seconds), what is heard
    is delayed by that much behind what is analysed: the picture runs ahead
    of the sound, to make up for a projector's lag.
    """

    def __init__(self, path, *, sample_rate: int = 48000, buffer_size: int = 512,
                 loop: bool = False, output: str | None = None, lead: float = 0.0):
        self.source = FileSource(path, sample_rate=sample_rate)  # fails early on bad files
        self.output = None
        if output != "none":
            try:
                self.output = find_output(output)
            except DeviceError:
                if output is not None:
                    raise  # a device the user named must exist
                # no default output (no sound card): play silently
        self.name = str(path)
        self.sample_rate = sample_rate
        self.buffer_size = buffer_size
        self.loop = loop
        self.ring = RingBuffer(int(sample_rate * RING_SECONDS))
        self.silent = self.output is None
        self.finished = False
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._current = np.zeros((0, CHANNELS), np.float32)
        self._offset = 0
        self._out = np.zeros((buffer_size, CHANNELS), np.float32)
        self._mono = np.zeros(buffer_size, np.float32)
        self._lead = DelayLine(round(lead * sample_rate), channels=CHANNELS, block=buffer_size)
        self._heard = self._out
        self._running = False
        self._threads: list[threading.Thread] = []
        self._stream = None

    def start(self) -> None:
        """Start decoding and playback."""
        import pyaudio
        self._running = True
        self._spawn(self._decode_loop)
        # Start playing once the first block is decoded, not on silence.
        deadline = time.monotonic() + 1.0
        while self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.001)
        if self.output is not None:
            try:
                self._stream = portaudio().open(
                    format=pyaudio.paFloat32, channels=CHANNELS, rate=self.sample_rate,
                    output=True, output_device_index=self.output.index,
                    frames_per_buffer=self.buffer_size, stream_callback=self._callback)
            except (OSError, ValueError) as e:
                self.stop()
                raise DeviceError(f"audio output device '{self.output.name}': cannot play "
                                  f"stereo at {self.sample_rate} Hz ({e})") from None
        else:
            self._spawn(self._paced_loop)

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True, name=target.__name__)
        self._threads.append(thread)
        thread.start()

    def _decode_loop(self) -> None:
        block = self.sample_rate // 10
        first_pass = True
        while self._running:
            try:
                data = self.source.read(block)
                if data.shape[0] == 0 and first_pass:
                    first_pass = False
                    self._say_if_cut_short()
                # A file with no samples at all is not looped: that would spin.
                if data.shape[0] == 0 and self.loop and self.source.samples_read:
                    self.source.close()
                    # Repairs (NaN, overs) were reported on the first pass.
                    self.source = FileSource(self.name, sample_rate=self.sample_rate, report=False)
                    continue
            except AudioFileError as e:
                # The show goes on: what decoded has played; say why the rest is silence.
                print(f"visualizer: {e}; the rest is silence", file=sys.stderr)
                data = np.zeros((0, CHANNELS), np.float32)
            if data.shape[0] == 0:
                self._queue.put(None)
                return
            while self._running:
                try:
                    self._queue.put(data, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def _say_if_cut_short(self) -> None:
        """Render and analyze refuse a file cut short; live plays what there is,
        and says so in one line."""
        try:
            self.source.check_complete()
        except AudioFileError as e:
            print(f"visualizer: {e}; playing what there is", file=sys.stderr)

    def _fill(self, frames: int) -> None:
        """Copy the next ``frames`` frames into the output buffer (silence if late)."""
        out = self._out[:frames]
        filled = 0
        while filled < frames:
            if self._offset >= self._current.shape[0]:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.finished = True
                    break
                self._current, self._offset = nxt, 0
            k = min(frames - filled, self._current.shape[0] - self._offset)
            out[filled:filled + k] = self._current[self._offset:self._offset + k]
            self._offset += k
            filled += k
        out[filled:] = 0.0
        mono = self._mono[:frames]
        np.add(out[:, 0], out[:, 1], out=mono)
        mono *= 0.5
        self.ring.write(mono, time.perf_counter())
        self._heard = self._lead.process(out)

    def _callback(self, in_data, frame_count, time_info, status):
        frame_count = min(frame_count, self.buffer_size)
        self._fill(frame_count)
        # PyAudio accepts only bytes here (no buffer with a release hook such
        # as a memoryview), so this one copy per callback cannot be kept.
        return (self._heard[:frame_count].tobytes(), 0)

    def _paced_loop(self) -> None:
        period = self.buffer_size / self.sample_rate
        due = time.perf_counter()
        while self._running:
            self._fill(self.buffer_size)
            due += period
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)

    def stop(self) -> None:
        """Stop playback and decoding (idempotent)."""
        self._running = False
        if self._stream is not None:
            self._stream.stop_stream()
            self._stream.close()
            self._stream = None
        for thread in self._threads:
            thread.join(timeout=1.0)
        self._threads.clear()
        self.source.close()
