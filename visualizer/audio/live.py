"""Live inputs: a microphone, or a file played to the speakers as it is seen.

Both feed a :class:`RingBuffer` from a PortAudio callback that only copies
samples and the capture time; the render loop drains it. Overflows (from
PortAudio's status flags and from a reader that fell behind) are counted.
"""

import queue
import threading
import time

import numpy as np

from visualizer.audio.file_source import CHANNELS, FileSource
from visualizer.audio.portaudio import Device, find_input, find_output, portaudio
from visualizer.audio.ring import RingBuffer
from visualizer.errors import DeviceError

_RING_SECONDS = 2.0


class MicSource:
    """Capture one channel of an input device through PyAudio."""

    def __init__(self, device: str | int | None = None, *, sample_rate: int = 48000,
                 buffer_size: int = 256, channel: int = 0,
                 ring_seconds: float = _RING_SECONDS):
        self.device: Device = find_input(device)
        if not 0 <= channel < self.device.inputs:
            raise DeviceError(f"audio input device '{self.device.name}': has no input channel "
                              f"{channel + 1} (it has {self.device.inputs})")
        self.sample_rate = sample_rate
        self.buffer_size = buffer_size
        self.channel = channel
        self._channels = channel + 1
        self.ring = RingBuffer(int(sample_rate * ring_seconds))
        self.input_overflows = 0
        self._stream = None

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def overflows(self) -> int:
        """Overflows reported by PortAudio plus blocks lost by a slow reader."""
        return self.input_overflows + self.ring.overflows

    def start(self) -> None:
        """Open and start the stream; DeviceError if the device refuses."""
        import pyaudio
        try:
            self._stream = portaudio().open(
                format=pyaudio.paFloat32, channels=self._channels, rate=self.sample_rate,
                input=True, input_device_index=self.device.index,
                frames_per_buffer=self.buffer_size, stream_callback=self._callback)
        except (OSError, ValueError) as e:
            raise DeviceError(f"audio input device '{self.device.name}': cannot open "
                              f"{self._channels} channel(s) at {self.sample_rate} Hz ({e})") from None

    def _callback(self, in_data, frame_count, time_info, status):
        # Only copy: no analysis, logging, locks or allocation beyond the view.
        if status & 0x2:  # paInputOverflow
            self.input_overflows += 1
        samples = np.frombuffer(in_data, np.float32)
        self.ring.write(samples[self.channel::self._channels], time.perf_counter())
        return (None, 0)  # paContinue

    def stop(self) -> None:
        """Stop and close the stream (idempotent)."""
        if self._stream is not None:
            self._stream.stop_stream()
            self._stream.close()
            self._stream = None


class FilePlayer:
    """Plays a file to the default output and feeds what is played to a ring.

    A decoder thread reads ahead into a bounded queue; the output callback
    takes blocks from it without waiting. With ``output="none"``, or on a
    machine with no output device, a thread paced by the wall clock does the
    callback's work instead, so the picture still follows the file
    (silently; ``silent`` says so).
    """

    def __init__(self, path, *, sample_rate: int = 48000, buffer_size: int = 512,
                 loop: bool = False, output: str | None = None):
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
        self.ring = RingBuffer(int(sample_rate * _RING_SECONDS))
        self.silent = self.output is None
        self.finished = False
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._current = np.zeros((0, CHANNELS), np.float32)
        self._offset = 0
        self._out = np.zeros((buffer_size, CHANNELS), np.float32)
        self._mono = np.zeros(buffer_size, np.float32)
        self._running = False
        self._threads: list[threading.Thread] = []
        self._stream = None

    @property
    def overflows(self) -> int:
        return self.ring.overflows

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
        while self._running:
            data = self.source.read(block)
            if data.shape[0] == 0:
                if not self.loop:
                    self._queue.put(None)
                    return
                self.source.close()
                self.source = FileSource(self.name, sample_rate=self.sample_rate)
                continue
            while self._running:
                try:
                    self._queue.put(data, timeout=0.1)
                    break
                except queue.Full:
                    continue

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

    def _callback(self, in_data, frame_count, time_info, status):
        frame_count = min(frame_count, self.buffer_size)
        self._fill(frame_count)
        # PyAudio accepts only bytes here (no buffer with a release hook such
        # as a memoryview), so this one copy per callback cannot be kept.
        return (self._out[:frame_count].tobytes(), 0)

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
