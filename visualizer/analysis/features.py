"""The audio features a scene can read: their names, units and meaning.

This table is the single definition. The analyzer fills a :class:`FeatureFrame`
in this order, the renderer declares one GLSL uniform per entry, and the
README's uniform list is generated from it, so code and docs cannot disagree.
"""

from dataclasses import dataclass, field

import numpy as np

N_BANDS = 48
"""Log-spaced band energies exposed as ``iBands[48]``."""

TEXTURE_WIDTH = 512
"""Width of Shadertoy's audio texture (spectrum row and waveform row)."""


@dataclass(frozen=True)
class Feature:
    """One scalar feature: ``name`` in Python, ``uniform`` in GLSL."""

    name: str
    uniform: str
    unit: str
    description: str


SCALAR_FEATURES: tuple[Feature, ...] = (
    Feature("level", "iLevel", "0..1",
            "Loudness (RMS) relative to the recent peak: automatic gain, so a quiet "
            "room mic and a hot line input both fill the range. Attack 10 ms, release 250 ms."),
    Feature("bass", "iBass", "0..1",
            "Energy from 30 to 250 Hz (kick, bass, baritone sax), automatic gain, "
            "attack 5 ms, release 150 ms."),
    Feature("mid", "iMid", "0..1",
            "Energy from 250 Hz to 2 kHz (the body of a saxophone), automatic gain."),
    Feature("high", "iHigh", "0..1",
            "Energy from 2 to 16 kHz (breath, cymbals, brightness), automatic gain."),
    Feature("level_db", "iLevelDb", "dBFS",
            "Unsmoothed RMS level of the newest window in dB full scale (-120 for silence)."),
)

FEATURE_INDEX = {f.name: i for i, f in enumerate(SCALAR_FEATURES)}


@dataclass
class FeatureFrame:
    """The analysis state a frame is drawn from, updated in place.

    All arrays are allocated once; the analyzer overwrites them, so a consumer
    that needs to keep a frame must call :meth:`copy`.
    """

    values: np.ndarray = field(
        default_factory=lambda: np.zeros(len(SCALAR_FEATURES), np.float32))
    """(n_features,) float32, in the order of ``SCALAR_FEATURES``."""
    bands: np.ndarray = field(default_factory=lambda: np.zeros(N_BANDS, np.float32))
    """(48,) float32 in 0..1: log-spaced band energies, 30 Hz to 16 kHz."""
    texture: np.ndarray = field(
        default_factory=lambda: np.zeros((2, TEXTURE_WIDTH), np.float32))
    """(2, 512) float32 in 0..1: Shadertoy's audio texture, row 0 the spectrum
    (WebAudio scaling, -100..-30 dB to 0..1), row 1 the waveform (0.5 = zero)."""
    time: float = 0.0
    """Audio time in seconds of the newest sample analysed."""
    capture_time: float = float("nan")
    """``time.perf_counter()`` at which the newest sample was captured (live only)."""
    hops: int = 0
    """Number of hops analysed so far."""

    def __getitem__(self, name: str) -> float:
        return float(self.values[FEATURE_INDEX[name]])

    def copy(self) -> "FeatureFrame":
        """A detached copy (for keeping history; not for the per-frame path)."""
        return FeatureFrame(self.values.copy(), self.bands.copy(), self.texture.copy(),
                            self.time, self.capture_time, self.hops)
