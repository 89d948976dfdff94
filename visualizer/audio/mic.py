"""A microphone (any input device) as a live source, surviving unplugging.

The PortAudio callback only copies samples and the capture time into the
rings; the render loop drains them. Overflows (from PortAudio's status flags
and from a reader that fell behind) are counted. A watchdog thread notices a
stream that stopped or stalled, closes it, and reopens the device by name
once it is back; meanwhile the rings receive nothing and ``status_text``
says so.
"""

import threading
import time

import numpy as np

from visualizer.audio.portaudio import Device, find_input, list_devices, portaudio
from visualizer.audio.ring import RingBuffer
from visualizer.audio.source import RING_SECONDS, LiveSource
from visualizer.errors import DeviceError

_PA_ABORT = 2  # paAbort: ends a stream from its own callback
# Held while a MicSource opens a stream or re-initialises PortAudio, so two
# sources never do it at once. Never taken by the render thread.
_PA_LOCK = threading.Lock()


class MicSource(LiveSource):
    """Capture channels of an input device through PyAudio, surviving unplugging.

    ``channels`` (0-based) picks several channels of the one stream, each
    into its own ring: ``rings[i]`` holds ``channels[i]``; ``ring`` is
    ``rings[0]``; ``MicChannel(mic, i)`` makes ``rings[i]`` a source of its
    own. Without it, ``channel`` picks one.

    After :meth:`start`, a watchdog thread checks the stream ten times a
    second. A stream that is no longer active, or that delivered nothing for
    ``stall_timeout`` seconds, is given up: ``lost`` turns true, ``health``
    (the ``status_text``) says so, and every ``retry_interval`` seconds the device is looked up by
    name again and reopened. ``lost`` turns false with the first audio from
    the new stream. The render thread only reads these attributes.
    """

    def __init__(self, device: str | int | None = None, *, sample_rate: int = 48000,
                 buffer_size: int = 256, channel: int = 0, channels: list[int] | None = None,
                 ring_seconds: float = RING_SECONDS, stall_timeout: float = 0.5,
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


class MicChannel(LiveSource):
    """Another channel of a :class:`MicSource`'s one stream, as a source of
    its own: the backing track on input 2 of the horn's interface.

    The microphone's stream fills its ring, so :meth:`start` and
    :meth:`stop` do nothing, and the microphone alone reports the stream's
    health (``status_text`` stays ''; one line in the HUD, not two).
    """

    def __init__(self, mic: MicSource, index: int):
        """``index``: which of ``mic.channels`` (0 is the microphone's own)."""
        self.ring, self.sample_rate = mic.rings[index], mic.sample_rate

    def start(self) -> None:
        pass   # the microphone's stream fills the ring

    def stop(self) -> None:
        pass
