"""What the show measures about itself: audio-to-picture latency and frame times.

Both keep fixed numpy rings filled by the render loop: ``add`` writes one
float and moves an index, nothing else. Statistics are computed when asked
(a few times a second for the HUD, once for the end-of-show summary), and the
latency percentiles are cached until the next ``add``.
"""

import math
from dataclasses import dataclass, field

import numpy as np


class LatencyMeter:
    """The last ``capacity`` audio-to-picture latencies, in seconds.

    One latency is ``perf_counter()`` when a frame is shown minus the capture
    time of the newest audio sample that frame used. One thread adds; read
    from that thread (the render loop) or after it has stopped.
    """

    def __init__(self, capacity: int = 1200):
        self.capacity = int(capacity)
        self._data = np.zeros(self.capacity, np.float64)
        self.total = 0      # every finite latency ever added
        self.rejected = 0   # non-finite values (no audio captured yet)
        self._cached_at = -1
        self._median = self._p99 = math.nan

    def add(self, seconds: float) -> None:
        """Store one latency; NaN or inf (no capture time yet) is only counted."""
        if not math.isfinite(seconds):
            self.rejected += 1
            return
        self._data[self.total % self.capacity] = seconds
        self.total += 1

    @property
    def count(self) -> int:
        """How many latencies the statistics are over (at most ``capacity``)."""
        return min(self.total, self.capacity)

    @property
    def values(self) -> np.ndarray:
        """The stored latencies in seconds, shape (count,), in ring order (a view)."""
        return self._data[:self.count]

    def _update(self) -> None:
        if self._cached_at == self.total:
            return
        self._cached_at = self.total
        if self.total == 0:
            self._median = self._p99 = math.nan
        else:
            self._median, self._p99 = (float(v) for v in np.percentile(self.values, (50, 99)))

    def median(self) -> float:
        """Median latency in seconds (NaN before the first)."""
        self._update()
        return self._median

    def p99(self) -> float:
        """99th percentile latency in seconds (NaN before the first)."""
        self._update()
        return self._p99

    def summary(self) -> str:
        """One line for the end of a show, e.g. 'latency median 23.4 ms, p99 31.0 ms (1200 frames)'."""
        if self.total == 0:
            return "latency not measured (no audio reached the picture)"
        return (f"latency median {self.median() * 1000:.1f} ms, p99 {self.p99() * 1000:.1f} ms "
                f"({self.count} frames)")


class FrameStats:
    """Recent frame times, the frame rate, and how many frames came late.

    A frame is late when it took longer than 1.5 target periods: at least
    one refresh was missed. ``times`` is the ring itself; ``ordered`` copies
    it oldest first for a graph.
    """

    LATE_FACTOR = 1.5

    def __init__(self, capacity: int = 240, *, target_fps: float = 60.0):
        self.capacity = int(capacity)
        self.target_fps = float(target_fps)
        self.target_period = 1.0 / self.target_fps
        self.times = np.zeros(self.capacity, np.float64)
        self.head = 0     # where the next frame time goes
        self.total = 0    # frames ever added
        self.late = 0     # frames longer than LATE_FACTOR target periods, ever
        self._sum = 0.0   # sum of the filled part, kept as frames come and go

    def add(self, frame_seconds: float) -> None:
        """Record how long one frame took (the time since the previous one)."""
        i = self.head
        self._sum += frame_seconds - self.times[i]
        self.times[i] = frame_seconds
        self.head = i + 1 if i + 1 < self.capacity else 0
        self.total += 1
        if frame_seconds > self.LATE_FACTOR * self.target_period:
            self.late += 1
        if self.head == 0:
            # Once per lap: forget the rounding the running sum has gathered.
            self._sum = float(self.times.sum())

    @property
    def filled(self) -> int:
        """How many entries of the ring hold frame times."""
        return min(self.total, self.capacity)

    @property
    def fps(self) -> float:
        """Frames per second over the ring (0 before the first frame)."""
        return self.filled / self._sum if self._sum > 0 else 0.0

    def ordered(self, out: np.ndarray) -> np.ndarray:
        """Copy the ring into ``out`` (shape (capacity,)), oldest first; unfilled entries are 0."""
        tail = self.capacity - self.head
        out[:tail] = self.times[self.head:]
        out[tail:] = self.times[:self.head]
        return out


CLIP_DBFS = -0.1
"""A sample peak at or above this counts as clipping."""
CLIP_HOLD = 1.5
"""Seconds the clip lamp stays lit after the last clipped peak."""
TEXT_RATE = 8.0
"""Label texts change at most this many times a second."""


@dataclass
class HudStats:
    """Everything the HUD shows; the render loop updates one in place.

    ``frames`` and ``latency`` are the loop's own meters (the HUD reads the
    frame rate, late frames, the frame-time ring and latency percentiles
    from them). Levels are dBFS; ``note`` is a MIDI number, -1 when
    unvoiced; ``tempo`` 0 means not known yet.
    """

    frames: FrameStats = field(default_factory=FrameStats)
    latency: LatencyMeter = field(default_factory=LatencyMeter)
    level_dbfs: float = -120.0
    clipping: bool = False
    tempo: float = 0.0
    beat_phase: float = 0.0
    note: int = -1
    cents: float = 0.0
    scene: str = ""
    next_cue: str = ""
    input_overflows: int = 0
    dropped_frames: int = 0
    recording: bool = False
    blackout: bool = False
    freeze: bool = False
    auto: bool = False
    link: str = ""                     # Ableton Link: peers, tempo, who leads ('' off)
    remote: str = ""                   # the web remote's address and PIN, lines ('' none)
    remote_qr: np.ndarray | None = None   # its QR code: (n, n) bool modules, True dark
    warnings: str = ""
    clip_until: float = -math.inf

    def set_level(self, level_dbfs: float, peak_dbfs: float, now: float) -> None:
        """Set the level, and light ``clipping`` for CLIP_HOLD s after a peak >= CLIP_DBFS.

        ``now`` is in seconds on any steady clock (``time.perf_counter()``).
        """
        self.level_dbfs = level_dbfs
        if peak_dbfs >= CLIP_DBFS:
            self.clip_until = now + CLIP_HOLD
        self.clipping = now < self.clip_until
