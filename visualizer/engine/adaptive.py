"""Adaptive render scale: hold the display's frame rate when a scene is too
heavy for the machine, by drawing it at fewer pixels and scaling it up.

The controller watches the render thread's work per frame (drawing plus
waiting for the GPU to finish). Above the budget it drops the scale at once
by the square root of the overshoot (the cost goes with the pixel count);
with room for the next step up for a while (2 s) it creeps back. Scales move in steps of 0.05 so
the scene's buffers are not reallocated every frame.
"""

import math


class AdaptiveScale:
    """``update(work_seconds)`` once a frame; ``scale`` is what to draw at."""

    def __init__(self, period: float, *, high: float = 1.0, low: float = 0.35,
                 budget: float = 0.85, cooldown: int = 30, recover: int = 120,
                 warmup: int = 90):
        self.period = period
        self.high, self.low = high, min(low, high)
        self.budget = budget * period   # seconds of work a frame may take
        self.cooldown = cooldown        # frames to wait after a change
        self.recover = recover          # frames with room for a step before going up
        self.scale = high
        self.changes = 0
        self._work = 0.0
        self._wait = warmup             # the first frames (start-up) decide nothing
        self._easy = 0

    def update(self, work: float) -> float:
        """Feed one frame's work time (s); returns the scale for the next frame."""
        self._work += (work - self._work) * (0.2 if work > self._work else 0.05)
        if self._wait > 0:
            self._wait -= 1
            return self.scale
        if self._work > self.budget and self.scale > self.low:
            self._set(self.scale * math.sqrt(self.budget / self._work) * 0.95)
        elif self.scale < self.high and \
                self._work * ((self.scale + 0.05) / self.scale) ** 2 < 0.75 * self.budget:
            self._easy += 1
            if self._easy >= self.recover:
                self._set(self.scale + 0.05)
        else:
            self._easy = 0
        return self.scale

    def floor(self) -> float:
        """Drop to the lowest scale at once: a frame far past the budget (the
        frame guard's call) cannot wait for the smoothing to get there."""
        self._set(self.low)
        return self.scale

    def reset(self, scale: float) -> float:
        """Start again at ``scale``, forgetting the work measured so far (the
        frame guard took a too-slow scene off: its frames say nothing about
        the one that came back)."""
        self.scale = min(max(scale, self.low), self.high)
        self._work = 0.0
        self._wait = self.cooldown
        self._easy = 0
        return self.scale

    def _set(self, scale: float) -> None:
        stepped = min(max(round(scale * 20) / 20, self.low), self.high)
        if stepped != self.scale:
            # What we measured was at the old scale: expect the new cost.
            self._work *= (stepped / self.scale) ** 2
            self.scale = stepped
            self.changes += 1
        self._wait = self.cooldown
        self._easy = 0
