"""Attack/release followers and automatic gain, vectorised over features."""

import math

import numpy as np


def coefficient(tau_s: float, step_s: float) -> float:
    """One-pole smoothing coefficient for time constant ``tau_s`` at ``step_s``."""
    if tau_s <= 0:
        return 1.0
    return 1.0 - math.exp(-step_s / tau_s)


class AttackRelease:
    """Per-element envelope follower: fast up, slow down (or as configured).

    ``attack`` and ``release`` are arrays of per-element coefficients from
    :func:`coefficient`; ``state`` is updated in place by :meth:`step`.
    """

    def __init__(self, attack: np.ndarray, release: np.ndarray):
        self.attack = np.asarray(attack, np.float64)
        self.release = np.asarray(release, np.float64)
        self.state = np.zeros_like(self.attack)
        self._coef = np.empty_like(self.attack)
        self._diff = np.empty_like(self.attack)

    def step(self, x: np.ndarray) -> np.ndarray:
        """Move the state towards ``x`` and return it (no allocation)."""
        np.subtract(x, self.state, out=self._diff)
        np.copyto(self._coef, self.release)
        np.copyto(self._coef, self.attack, where=self._diff > 0)
        self._diff *= self._coef
        self.state += self._diff
        return self.state


class AutoGain:
    """Maps levels in dB to 0..1 relative to a slowly decaying recent peak.

    The reference follows a new peak at once and falls by ``decay_db_per_step``
    otherwise, never below ``floor_db`` so that a silent room is not boosted
    into noise. A level ``range_db`` below the reference maps to 0, the
    reference itself to 1. Works on a batch of hops at once: the decaying
    peak ``r_k = max(x_k, r_(k-1) - d)`` is a running maximum of ``x_j + j d``
    shifted back by ``k d``, so no Python loop runs per hop.
    """

    def __init__(self, n: int, *, range_db: float, decay_db_per_step: float,
                 floor_db: float, max_batch: int):
        self.range_db = range_db
        self.decay = decay_db_per_step
        self.floor_db = floor_db
        self.reference = np.full(n, floor_db, np.float64)
        self._ramp = (np.arange(max_batch + 1) * decay_db_per_step)[:, None]
        self._work = np.empty((max_batch + 1, n))

    def references(self, peaks_db: np.ndarray) -> np.ndarray:
        """References after each hop for ``peaks_db`` (hops, n); a view, valid until next call."""
        hops = peaks_db.shape[0]
        work = self._work[:hops + 1]
        ramp = self._ramp[:hops + 1]
        work[0] = self.reference
        np.add(peaks_db, ramp[1:], out=work[1:])
        np.maximum.accumulate(work, axis=0, out=work)
        work -= ramp
        np.maximum(work, self.floor_db, out=work)
        self.reference[:] = work[hops]
        return work[1:]

    def normalise(self, level_db: np.ndarray, reference: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``level_db`` mapped to 0..1 against ``reference`` (broadcastable), into ``out``."""
        np.subtract(level_db, reference, out=out)
        out += self.range_db
        out /= self.range_db
        np.clip(out, 0.0, 1.0, out=out)
        return out
