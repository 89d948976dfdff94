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


class BandSums:
    """``power @ weights`` for band matrices that are mostly zeros.

    Each band touches a short run of FFT bins, so the columns are split into
    groups and each group multiplies only the rows where it has weights: the
    same result as the dense product for a fraction of the work.
    """

    def __init__(self, weights: np.ndarray, *, group: int = 6):
        """``weights``: (n_bins, n_bands), as from ``band_matrix(...).T``."""
        self.n_bands = weights.shape[1]
        self._groups = []
        for c0 in range(0, self.n_bands, group):
            c1 = min(c0 + group, self.n_bands)
            rows = np.flatnonzero(np.any(weights[:, c0:c1] != 0, axis=1))
            if rows.size == 0:
                continue
            r0, r1 = int(rows[0]), int(rows[-1]) + 1
            self._groups.append((r0, r1, c0, c1, np.ascontiguousarray(weights[r0:r1, c0:c1])))

    def __call__(self, power: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``power`` (hops, n_bins) -> ``out`` (hops, n_bands)."""
        out[:] = 0.0
        for r0, r1, c0, c1, w in self._groups:
            np.matmul(power[:, r0:r1], w, out=out[:, c0:c1])
        return out
