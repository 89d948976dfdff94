"""Clocks: the one thing besides the two ends that differs between live and
offline. Both give the engine a FrameTiming for each frame."""

import datetime as _dt
import time

from visualizer.render.timing import FrameTiming

# Offline renders see this date plus iTime, so a rerun draws the same frames.
FIXED_DATE = _dt.datetime(2000, 1, 1)


def _date_tuple(when: _dt.datetime) -> tuple[float, float, float, float]:
    seconds = when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
    return (float(when.year), float(when.month - 1), float(when.day), seconds)


class FrameClock:
    """Offline: frame k is at k / fps, whatever the wall clock says."""

    def __init__(self, fps: float, *, start: float = 0.0, first: int = 0):
        """Frame k is at ``start + k / fps``; the first tick is frame ``first``."""
        self.fps = fps
        self.start = start
        self.timing = FrameTiming(fps=fps, delta=1.0 / fps)
        self._frame = first - 1

    def tick(self) -> FrameTiming:
        """Advance one frame and return its timing (the same object, updated)."""
        self._frame += 1
        t = self.start + self._frame / self.fps
        timing = self.timing
        timing.frame, timing.time = self._frame, t
        timing.date = _date_tuple(FIXED_DATE + _dt.timedelta(seconds=t))
        return timing


class WallClock:
    """Live: time is what the performance clock says since start."""

    def __init__(self, fps: float = 60.0):
        self.fps = fps
        self.timing = FrameTiming(fps=fps)
        self._t0 = None
        self._last = 0.0
        self._frame = -1

    def tick(self) -> FrameTiming:
        now = time.perf_counter()
        if self._t0 is None:
            self._t0 = now
        t = now - self._t0
        timing = self.timing
        self._frame += 1
        timing.frame = self._frame
        timing.delta = t - self._last if self._frame else 0.0
        timing.time = t
        if timing.delta > 0:
            # A smoothed estimate of the real frame rate, for iFrameRate.
            timing.fps += (1.0 / timing.delta - timing.fps) * 0.05
        timing.date = _date_tuple(_dt.datetime.now())
        self._last = t
        return timing
