"""Shadertoy's audio texture (``iChannel0``), as a browser makes it.

Row 0 is the spectrum as WebAudio's AnalyserNode reports it: the magnitude
of each of the first 512 bins, smoothed by 0.8 per animation frame, in dB
scaled -100..-30 dB to 0..1. Row 1 is the newest 512 samples of the
waveform, 0.5 for zero.
"""

import numpy as np

from visualizer.analysis.features import TEXTURE_WIDTH
from visualizer.analysis.smoothing import coefficient

# WebAudio's AnalyserNode smooths by 0.8 per animation frame (60 Hz); the same
# time constant per hop keeps Shadertoy's look at any hop and frame rate.
_WEBAUDIO_TAU_S = -(1 / 60) / np.log(0.8)
# WebAudio reports |X| / N of a Blackman-windowed FFT: a sine of amplitude A
# reads A / 2 * 0.42 (Blackman's coherent gain). We reuse the Hann FFT and
# rescale so a tone reads the same dB as in a browser.
_BLACKMAN_COHERENT_GAIN = 0.42


class AudioTexture:
    """The smoothed spectrum behind row 0, updated a batch of hops at a time.

    ``window``: the analysis window of the FFT whose magnitudes are added;
    ``step_s``: seconds per hop; ``max_batch``: most hops per :meth:`add`.
    """

    def __init__(self, *, window: np.ndarray, step_s: float, max_batch: int):
        b = max_batch
        mag_scale = _BLACKMAN_COHERENT_GAIN / np.sum(window)
        self._mag = np.zeros(TEXTURE_WIDTH)
        c = coefficient(_WEBAUDIO_TAU_S, step_s)
        self._decay_pow = (1.0 - c) ** np.arange(b + 1)
        self._mag_weights = c * mag_scale * self._decay_pow[b - 1::-1]

    def add(self, magnitude: np.ndarray) -> None:
        """Smooth in a batch's magnitudes, (hops, >= 512), oldest first."""
        hops = magnitude.shape[0]
        # The one-pole recurrence over the batch in closed form:
        # m_H = r^H m_0 + sum_k c r^(H-1-k) x_k, with r = 1 - c.
        self._mag *= self._decay_pow[hops]
        self._mag += self._mag_weights[-hops:] @ magnitude[:, :TEXTURE_WIDTH]

    def write(self, texture: np.ndarray, waveform: np.ndarray) -> None:
        """Fill ``texture`` (2, 512) from the spectrum and the newest 512
        samples of ``waveform``."""
        db = texture[0]
        np.maximum(self._mag, 1e-10, out=self._mag)
        np.log10(self._mag, out=db)
        db *= 20.0
        db += 100.0
        db /= 70.0
        np.clip(db, 0.0, 1.0, out=db)
        np.multiply(waveform[-TEXTURE_WIDTH:], 0.5, out=texture[1], casting="unsafe")
        texture[1] += 0.5
