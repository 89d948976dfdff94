"""Spectral weighting matrices: pure functions of the FFT layout."""

import numpy as np


def log_band_edges(*, n_bands: int, fmin: float, fmax: float) -> np.ndarray:
    """Edges of ``n_bands`` log-spaced bands, shape (n_bands + 1,), in Hz."""
    return np.geomspace(fmin, fmax, n_bands + 1)


def band_matrix(edges_hz: np.ndarray, *, n_fft: int, sample_rate: int) -> np.ndarray:
    """Weights that sum a one-sided power spectrum into bands.

    Row ``b`` holds, for every FFT bin, the fraction of the bin's frequency
    interval that lies inside ``[edges_hz[b], edges_hz[b + 1])``. Narrow low
    bands that fall inside one bin get a fraction of it instead of nothing,
    so every band sees energy at any FFT size.

    Returns shape (len(edges_hz) - 1, n_fft // 2 + 1), float64.
    """
    df = sample_rate / n_fft
    centres = np.arange(n_fft // 2 + 1) * df
    lo = np.maximum(centres - df / 2, 0.0)
    hi = centres + df / 2
    lo_edges = edges_hz[:-1, None]
    hi_edges = edges_hz[1:, None]
    overlap = np.clip(np.minimum(hi, hi_edges) - np.maximum(lo, lo_edges), 0.0, None)
    return overlap / df
