"""The live-source contract: what the live loop asks of every input.

Spelled out once, as python-sounddevice's ``_StreamBase`` is the one base of
every stream and vispy's ``app/backends/_template.py`` lists what a backend
implements: the loop reads these members and nothing else, so it never
probes a source for what it has, and a new input (a network stream, a
synthetic test signal) is one subclass in one module.
"""

import numpy as np

from visualizer.audio.ring import RingBuffer

RING_SECONDS = 2.0
"""What a source's ring holds by default: the loop may stall this long
without losing sound."""

_NO_SAMPLES = np.zeros(0, np.float32)


class LiveSource:
    """A live input: mono samples in a ring buffer that the live loop drains.

    The source's own thread (an audio callback, a decoder, a network
    receiver) writes float32 mono samples and their capture time
    (``time.perf_counter()``) into :attr:`ring`, and only copies there; the
    loop drains the ring once a frame on the render thread and reads the
    other members, so every one of them is always there and cheap to read.
    The defaults here are those of an input that cannot be lost. A subclass
    sets :attr:`sample_rate` and :attr:`ring` in its constructor and
    implements :meth:`start` and :meth:`stop`. A device with several
    channels gives each its own ring and source (:class:`~visualizer.audio.mic.MicChannel`).

    Members the loop and the command line read:

    - ``sample_rate`` (int): Hz of the samples in ``ring``.
    - ``ring`` (:class:`~visualizer.audio.ring.RingBuffer`): the samples
      with the capture time of the newest block; the loop is the only reader.
    - ``overflows`` (int): blocks lost, by the device or by a reader that
      fell behind (by default the ring's count).
    - ``status_text`` (str): ``""`` while all is well, else one short line
      for the HUD, such as ``input 'Scarlett' lost — retrying``. While it is
      not empty and the ring gave nothing, the loop feeds
      :meth:`silence_due` to the analysis instead.
    - ``silent`` (bool): an input meant to be heard that is not (a file with
      no output device to play it on); the command line says so at the end.
    - ``lost_count``, ``recovered_count`` (int): how often the input was
      lost and came back, for the run's summary.
    """

    sample_rate: int
    ring: RingBuffer
    status_text: str = ""
    silent: bool = False
    lost_count: int = 0
    recovered_count: int = 0

    @property
    def overflows(self) -> int:
        """Blocks lost before the loop read them."""
        return self.ring.overflows

    def start(self) -> None:
        """Begin delivering into :attr:`ring`; called once, before the first
        frame. :class:`~visualizer.errors.DeviceError` (one line) if the
        device refuses, with nothing left open."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop delivering and release the device; idempotent, never hangs,
        and safe after a :meth:`start` that failed."""
        raise NotImplementedError

    def silence_due(self) -> np.ndarray:
        """Zeros standing in for the audio a lost input did not deliver,
        (n,) float32 at :attr:`sample_rate` (render thread only).

        Empty while the input is fine, and always for an input that cannot
        be lost (the default). Fed to the analysis so that it decays on
        silence instead of freezing on the last sound.
        """
        return _NO_SAMPLES
