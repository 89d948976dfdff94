"""Live inputs: a microphone, or a file played to the speakers as it is seen.

Both feed a :class:`RingBuffer` from a PortAudio callback that only copies
samples and the capture time; the render loop drains it. Overflows (from
PortAudio's status flags and from a reader that fell behind) are counted.

A microphone survives being unplugged: a watchdog thread notices a stream
that stopped or stalled, closes it, and reopens the device by name once it
is back. Meanwhile its rings receive nothing and ``health`` says so.
"""

import queue
import sys
import threading
import time

import numpy as np

from visualizer.audio.delay import DelayLine
from visualizer.audio.file_source import CHANNELS, FileSource
from visualizer.audio.portaudio import Device, find_input, find_output, list_devices, portaudio
from visualizer.audio.ring import RingBuffer
from visualizer.errors import AudioFileError, DeviceError

_RING_SECONDS = 2.0
_PA_ABORT = 2  # paAbort: ends a stream from its own callback
# Held while a MicSource opens a stream or re-initialises PortAudio, so two
# sources never do it at once. Never taken by the render thread.
_PA_LOCK = threading.Lock()


class MicSource:
    """Capture channels of an input device through PyAudio, surviving unplugging.

    ``channels`` (0-based) picks several channels of the one stream, each
    into its own ring: ``rings[i]`` holds ``channels[i]``; ``ring`` is
    ``rings[0]``. Without it, ``channel`` picks one.

    After :meth:`start`, a watchdog thread checks the stream ten times a
    second. A stream that is no longer active, or that delivered nothing for
    ``stall_timeout`` seconds, is given up: ``lost`` turns true, ``health``
    says so, and every ``retry_interval`` seconds the device is looked up by
    name again and reopened. ``lost`` turns false with the first audio from
    the new stream. The render thread only reads these attributes.
    """

    def __init__(self, device: str | int | None = None, *, sample_rate: int = 48000,
                 buffer_size: int = 256, channel: int = 0, channels: list[int] | None = None,
                 ring_seconds: float = _RING_SECONDS, stall_timeout: float = 0.5,
                 retry_interval: float = 1.0):
        self.device: Device = find_input(device)
        self.channels = [channel] if channels is None else [int(c) for c in channels]
        if not self.channels:
            raise DeviceError(f"audio input device '{self.device.name}': no input channel chosen")
        for c in self.channels:
            if not 0 <= c < self.device.inputs:
                raise DeviceError(f"audio input device '{self.device.name}': has no input channel "
                                  f"{c + 1} (it has {self.device.inputs})")
        self.sample_rate = sample_rate
        self.buffer_size = buffer_size
        self.channel = self.channels[0]
        self._channels = max(self.channels) + 1
        self.rings = [RingBuffer(int(sample_rate * ring_seconds)) for _ in self.channels]
        self.ring = self.rings[0]
        self._taps = tuple(zip(self.rings, self.channels))
        self.stall_timeout = stall_timeout
        self.retry_interval = retry_interval
        self.close_timeout = 1.0
        self._spec = device
        self._wanted = self.device.name  # the name to find again after a replug
        self.input_overflows = 0
        # Health, written by the watchdog thread only.
        self.lost = False
        self.health = ""
        self.lost_count = 0       # times the input was lost
        self.recovered_count = 0  # times it came back
        self.close_failures = 0   # dead streams whose close raised or hung
        self.reinits = 0          # PortAudio re-initialisations to see a replugged device
        self.last_error = ""      # why the last reopen failed
        # Written by the audio callback only.
        self._callbacks = 0
        self._last_audio = float("nan")  # perf_counter() of the newest block
        self._generation = 0  # callbacks of older streams write nothing
        self._stream = None
        self._closing: threading.Thread | None = None  # a close that has not returned
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        # Render thread only.
        self._zeros = np.zeros(sample_rate // 2, np.float32)
        self._silence_mark: float | None = None

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def status_text(self) -> str:
        """One line for the HUD: '' when the input is fine."""
        return self.health

    @property
    def overflows(self) -> int:
        """Overflows reported by PortAudio plus blocks lost by a slow reader."""
        return self.input_overflows + sum(ring.overflows for ring in self.rings)

    def start(self) -> None:
        """Open and start the stream and its watchdog; DeviceError if the device refuses."""
        with _PA_LOCK:
            self._stream = self._open(self.device)
        self.lost, self.health = False, ""
        self._stopping.clear()
        self._watchdog = threading.Thread(target=self._watch, daemon=True,
                                          name=f"watchdog for input '{self.device.name}'")
        self._watchdog.start()

    def stop(self) -> None:
        """Stop the watchdog, stop and close the stream (idempotent, never hangs)."""
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=self.close_timeout + 2.0)
            self._watchdog = None
        stream, self._stream = self._stream, None
        self._generation += 1
        if stream is not None:
            self._close(stream, stop=True)

    def silence_due(self) -> np.ndarray:
        """Zeros standing in for audio a lost input did not deliver (render thread).

        Empty while the input is fine. While it is lost: as many samples as
        real time says arrived since the last audio or the last call, at most
        half a second; a view of kept zeros. Feed them to the analysis so it
        decays on silence instead of freezing on the last sound.
        """
        if not self.lost:
            self._silence_mark = None
            return self._zeros[:0]
        now = time.perf_counter()
        if self._silence_mark is None:
            last = self._last_audio
            self._silence_mark = last if last == last else now  # nan: nothing ever came
        n = min(int((now - self._silence_mark) * self.sample_rate), self._zeros.shape[0])
        # Never owe more than half a second: a stalled render loop is not made up for.
        self._silence_mark = max(self._silence_mark + n / self.sample_rate, now - 0.5)
        return self._zeros[:n]

    def _open(self, device: Device):
        """A started stream on ``device`` whose callback feeds the rings."""
        import pyaudio
        self._generation += 1
        callback = self._make_callback(self._generation)
        try:
            return portaudio().open(
                format=pyaudio.paFloat32, channels=self._channels, rate=self.sample_rate,
                input=True, input_device_index=device.index,
                frames_per_buffer=self.buffer_size, stream_callback=callback)
        except (OSError, ValueError) as e:
            raise DeviceError(f"audio input device '{device.name}': cannot open {self._channels} "
                              f"channel(s) at {self.sample_rate} Hz ({e})") from None

    def _make_callback(self, generation: int):
        taps, stride = self._taps, self._channels

        def callback(in_data, frame_count, time_info, status):
            # Only copy: no analysis, logging, locks or allocation beyond views.
            if generation != self._generation:
                return (None, _PA_ABORT)  # a stream given up on that came back to life
            if status & 0x2:  # paInputOverflow
                self.input_overflows += 1
            now = time.perf_counter()
            samples = np.frombuffer(in_data, np.float32)
            for ring, channel in taps:
                ring.write(samples[channel::stride], now)
            self._last_audio = now
            self._callbacks += 1
            return (None, 0)  # paContinue
        return callback

    # The watchdog thread.

    def _watch(self) -> None:
        period = 0.1
        seen, quiet, fresh = self._callbacks, 0.0, True
        last_tick = next_retry = time.monotonic()
        while not self._stopping.wait(period):
            now = time.monotonic()
            late = now - last_tick > 3 * period
            last_tick = now
            if self._closing is not None and not self._closing.is_alive():
                self._closing = None
            if self._stream is None:
                # Nothing is opened while a dead stream's close has not returned.
                if now >= next_retry and self._closing is None:
                    next_retry = now + self.retry_interval
                    self._reopen()
                    seen, quiet, fresh = self._callbacks, 0.0, True
                continue
            count = self._callbacks
            if count != seen:
                seen, quiet, fresh = count, 0.0, False
                if self.lost:
                    self.lost, self.health = False, ""
                    self.recovered_count += 1
                continue
            if not late:  # a tick delayed by a busy interpreter proves no stall
                quiet += period
            # A fresh stream may take a moment to deliver its first block.
            limit = self.stall_timeout * (4 if fresh else 1)
            if not self._active() or quiet > limit:
                self._lose()
                next_retry = now + self.retry_interval

    def _active(self) -> bool:
        try:
            return bool(self._stream.is_active())
        except (OSError, ValueError):  # PortAudio reports an error on the stream
            return False

    def _lose(self) -> None:
        if not self.lost:
            self.lost_count += 1
        self.lost = True
        self.health = f"input '{self._wanted}' lost — retrying"
        stream, self._stream = self._stream, None
        self._generation += 1
        self._close(stream)

    def _close(self, stream, *, stop: bool = False) -> None:
        """Close ``stream`` on a helper thread; give up waiting after ``close_timeout``.

        PortAudio's close joins the stream's thread, which a dead device can
        leave blocked; the helper then lingers (a daemon) and no new stream
        is opened until it returns.
        """
        def close():
            try:
                if stop:
                    stream.stop_stream()
                stream.close()
            except (OSError, ValueError):
                self.close_failures += 1

        thread = threading.Thread(target=close, daemon=True, name="close dead input")
        thread.start()
        thread.join(self.close_timeout)
        if thread.is_alive():
            self.close_failures += 1
            self.last_error = "closing the dead stream did not finish"
            self._closing = thread

    def _reopen(self) -> None:
        """Find the device again (re-listing devices if that is safe) and open it."""
        with _PA_LOCK:
            try:
                self._stream = self._open(self._find())
                self.last_error = ""
                return
            except DeviceError as e:
                self.last_error = str(e)
            # PortAudio lists devices only when it initialises: a device
            # plugged in again may need a fresh list. Re-initialising closes
            # every open stream, so only when no stream is open.
            streams = getattr(portaudio(), "_streams", None)
            if streams is None or streams:
                return
            try:
                pa = portaudio()
                pa.terminate()
                pa.__init__()  # the same object, so every holder stays valid
                self.reinits += 1
                self._stream = self._open(self._find())
                self.last_error = ""
            except (OSError, DeviceError) as e:
                self.last_error = str(e)

    def _find(self) -> Device:
        """The device by the name it had, else by what the user asked for."""
        try:
            for d in list_devices():
                if d.name == self._wanted and d.inputs >= self._channels:
                    self.device = d
                    return d
        except OSError as e:
            raise DeviceError(f"audio input device '{self._wanted}': "
                              f"cannot list devices ({e})") from None
        spec = self._spec
        if not isinstance(spec, str) or spec.strip().isdigit():
            # An index may now be another device, and "the default" may now be
            # the laptop's microphone: only the same device will do.
            raise DeviceError(f"audio input device '{self._wanted}': not found")
        d = find_input(spec)  # the user's name fragment: the card may be renumbered
        if d.inputs < self._channels:
            raise DeviceError(f"audio input device '{d.name}': has {d.inputs} input channel(s), "
                              f"needs {self._channels}")
        self.device = d
        return d


class FilePlayer:
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
        self.ring = RingBuffer(int(sample_rate * _RING_SECONDS))
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
