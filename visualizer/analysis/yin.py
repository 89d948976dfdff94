"""YIN period estimation with octave protection, batched over estimates.

Each estimate looks at the newest 512 samples of the decimated stream
(42.7 ms at 12 kHz). The integration window is the *newest* 256 samples
(21 ms), compared with the past at lags up to 256 (47 Hz), so estimates are
as recent as possible. The difference function comes from one batched real
FFT (cross-correlation) and a running energy, the cumulative-mean normalised
d' from a cumulative sum (both cumulative sums as small blocked matrix
products, faster than numpy's cumsum).

**Octave protection**: every local minimum of d normalised by the two
segments' energy (1 - the normalised correlation) is a candidate, valued at
its parabola's vertex; the period is the *shortest* lag whose dip is within
0.12 of the deepest. A harmonic (half, a third, a quarter of the period: the
error on low notes whose fundamental is weak) keeps the rest of the spectrum
in its dip and is passed over however weak the fundamental; a multiple of the
period (an octave down) is no deeper than the period itself and is not taken
either. Parabolic interpolation of d refines the lag.

Numpy only; every work array is allocated once.
"""

import math

import numpy as np

_EPS = 1e-20
_AS_STRIDED = np.lib.stride_tricks.as_strided


class _CumSum:
    """Inclusive cumulative sum along the last axis of (rows, n), n a multiple
    of ``block``, as two small matrix products (numpy's cumsum is a scalar loop)."""

    def __init__(self, rows: int, n: int, block: int = 16):
        assert n % block == 0
        self.nb, self.block = n // block, block
        self.tri = np.triu(np.ones((block, block)))
        self.strict = np.triu(np.ones((self.nb, self.nb)), 1)
        self.tot = np.empty((rows, self.nb))
        self.off = np.empty((rows, self.nb))

    def __call__(self, x: np.ndarray, out: np.ndarray) -> None:
        """``x`` and ``out`` contiguous (e, n)."""
        e, nb, b = x.shape[0], self.nb, self.block
        np.matmul(x.reshape(e * nb, b), self.tri, out=out.reshape(e * nb, b))
        o3 = out.reshape(e, nb, b)
        tot = self.tot[:e]
        np.copyto(tot, o3[:, :, b - 1])
        np.matmul(tot, self.strict, out=self.off[:e])
        o3 += self.off[:e, :, None]


def _ceil_to(x: float, m: int) -> int:
    return int(-(-math.ceil(x) // m) * m)


class Yin:
    """The period of up to ``n_estimates`` frames of a stream at ``fs`` Hz at once.

    Geometry at that rate: lags 1..:attr:`t`, integration window :attr:`w`,
    frame :attr:`l` = w + t. :meth:`estimate` returns each frame's period in
    samples (fractional); :attr:`found`, :meth:`periodicity` and
    :meth:`level_db` then describe the same frames.
    """

    THRESHOLD = 0.3
    """An estimate is periodic when d' dips below this somewhere."""
    MARGIN = 0.12
    """The period is the shortest lag whose dip (d over the segments' energy)
    is within this of the deepest (octave protection both ways; see
    ``_pick_dip``). A harmonic's dip holds the energy of the other harmonics:
    0.22..0.3 on low notes where the 2nd, 3rd or 4th dominates. Smaller
    margins pass over even rarer spectra, but then a note change inside the
    window or breath noise 5 dB below the tone drops estimates an octave."""

    def __init__(self, *, fs: float, fmin: float, fmax: float, n_estimates: int):
        emax = n_estimates
        T = _ceil_to(fs / fmin + 1, 16)
        W = max(T, _ceil_to(0.021 * fs, 16))
        L = W + T
        self.t, self.w, self.l = T, W, L
        self._lo = max(2, int(fs / fmax))
        self._stack = np.zeros((emax, 2, L))          # [:, 0] frame, [:, 1] its newest W only
        self._spec = np.empty((emax, 2, L // 2 + 1), np.complex128)
        self._cross = np.empty((emax, L // 2 + 1), np.complex128)
        self._r = np.empty((emax, L))
        self._sq = np.empty((emax, L))
        self._e2 = np.empty((emax, T))
        self._d = np.empty((emax, T))                  # d(tau) for tau = 1..T
        self._cm = np.empty((emax, T))
        self._dp = np.empty((emax, T))                 # d'(tau) for tau = 1..T
        self._esum = np.empty((emax, T))               # E1 + E2(tau), then d normalised by it
        self._cumsum = _CumSum(emax, T)
        self._tau = np.arange(1, T + 1, dtype=np.float64)
        n = T - self._lo                               # candidate lags lo .. T - 1
        self._dip = np.empty((emax, n), bool)
        self._notdip = np.empty((emax, n), bool)
        self._vden = np.empty((emax, n))
        self._vval = np.empty((emax, n))
        self._rowbase = np.arange(emax) * T
        f = lambda dtype=np.float64: np.empty(emax, dtype)
        self._e1, self._e1x2, self._best = f(), f(), f()
        self._gmin, self._t0 = f(np.intp), f(np.intp)
        self._flat = f(np.intp)
        self._found, self._nodip = f(bool), f(bool)
        self._da, self._db, self._dc, self._dpv = f(), f(), f(), f()
        self._den, self._frac, self._tauf = f(), f(), f()

    def estimate(self, stream: np.ndarray, stride: int, e: int) -> np.ndarray:
        """Periods (samples, fractional), (e,), of the ``e`` frames of length
        :attr:`l` that start at ``stream[0]``, ``stream[stride]``, ..."""
        self._difference(stream, stride, e)
        t0 = self._pick_dip(e)
        return self._refine(e, t0)

    def found(self, e: int) -> np.ndarray:
        """(e,) bool: d' dips below THRESHOLD somewhere (the frame is periodic)."""
        return self._found[:e]

    def periodicity(self, e: int, out: np.ndarray) -> np.ndarray:
        """1 - d' at each frame's dip, at least 0, into ``out`` (e,)."""
        np.subtract(1.0, self._dpv[:e], out=out)
        np.maximum(out, 0.0, out=out)
        return out

    def level_db(self, e: int, out: np.ndarray) -> np.ndarray:
        """Each frame's level over its newest W samples in dB, into ``out`` (e,)."""
        L, W = self.l, self.w
        # The level excludes DC: the rebuilt stream carries an arbitrary offset.
        self._stack[:e, 0, L - W:].sum(axis=1, out=out)
        np.square(out, out=out)
        out *= -1.0 / W
        out += self._e1[:e]
        out *= 1.0 / W
        np.maximum(out, 0.0, out=out)
        out += _EPS
        np.log10(out, out=out)
        out *= 10.0
        return out

    def _difference(self, stream: np.ndarray, stride: int, e: int) -> None:
        """YIN's difference function d and its normalised form d' into ``_d``, ``_dp``."""
        L, T, W = self.l, self.t, self.w
        stack = self._stack[:e]
        np.copyto(stack[:, 0], _AS_STRIDED(stream, shape=(e, L), strides=(8 * stride, 8)))
        np.multiply(stack[:, 0, L - W:], 2.0, out=stack[:, 1, L - W:])  # doubled: r2 = 2 r
        spec = self._spec[:e]
        np.fft.rfft(stack, axis=2, out=spec)
        cross = self._cross[:e]
        np.conjugate(spec[:, 0], out=cross)
        cross *= spec[:, 1]
        r2 = self._r[:e]
        np.fft.irfft(cross, n=L, axis=1, out=r2)
        # d(tau) = E1 + E2(tau) - 2 r(tau); E2(tau), the energy of [L-W-tau, L-tau),
        # is E1 plus the running sum of y[L-W-tau]^2 - y[L-tau]^2.
        sq = self._sq[:e]
        np.square(stack[:, 0], out=sq)
        e1 = self._e1[:e]
        sq[:, L - W:].sum(axis=1, out=e1)
        e2 = self._e2[:e]
        np.subtract(sq[:, L - W - T:L - W][:, ::-1], sq[:, L - T:L][:, ::-1], out=e2)
        d = self._d[:e]                                # index j: tau = j + 1
        self._cumsum(e2, d)
        e1x2 = self._e1x2[:e]
        np.add(e1, e1, out=e1x2)
        d += e1x2[:, None]
        np.maximum(d, 1e-300, out=self._esum[:e])      # E1 + E2(tau), for _pick_dip
        d -= r2[:, 1:T + 1]
        np.maximum(d, 0.0, out=d)
        # d'(tau) = d(tau) tau / sum_{1..tau} d. (Digital silence gives d' = 0,
        # "periodic", but its energy gate and so its confidence are 0.)
        cm = self._cm[:e]
        self._cumsum(d, cm)
        np.maximum(cm, 1e-300, out=cm)
        dp = self._dp[:e]
        np.multiply(d, self._tau, out=dp)
        dp /= cm

    def _pick_dip(self, e: int) -> np.ndarray:
        """The period's lag (integer) per estimate; sets ``_found``.

        Every local minimum of d / (E1 + E2) (one minus the normalised
        correlation: unlike d', no lag is favoured when part of the window
        is not periodic, as in a note change) is a candidate, valued at its
        parabola's vertex (integer lags would favour whichever multiple of a
        high note's period happens to fall on a sample). The period is the *shortest*
        lag whose dip is within ``MARGIN`` of the deepest: a harmonic (half,
        a third, a quarter of the period) leaves the rest of the spectrum in
        its dip, however weak the fundamental, and is passed over; a multiple
        of the period is no deeper than the period itself, so the octave
        below is not taken either.
        """
        T, lo = self.t, self._lo
        nd = self._esum[:e]
        np.divide(self._d[:e], nd, out=nd)
        prev, seg, nxt = nd[:, lo - 2:T - 2], nd[:, lo - 1:T - 1], nd[:, lo:T]  # tau = lo..T-1
        dip, notdip = self._dip[:e], self._notdip[:e]
        np.less(seg, prev, out=dip)
        np.less_equal(seg, nxt, out=notdip)
        dip &= notdip
        np.logical_not(dip, out=notdip)
        den, val = self._vden[:e], self._vval[:e]
        np.add(prev, nxt, out=den)
        den -= seg
        den -= seg
        np.maximum(den, 1e-12, out=den)
        np.subtract(prev, nxt, out=val)
        np.square(val, out=val)
        val /= den
        val *= -0.125
        val += seg                                     # the vertex: b - (a - c)^2 / 8 (a + c - 2b)
        np.minimum(val, seg, out=val)
        np.copyto(val, np.inf, where=notdip)
        best = self._best[:e]
        val.min(axis=1, out=best)
        best += self.MARGIN
        np.less_equal(val, best[:, None], out=dip)
        t0 = self._t0[:e]
        dip.argmax(axis=1, out=t0)
        # No dip at all (monotonic over the range): the smallest value.
        gmin = self._gmin[:e]
        seg.argmin(axis=1, out=gmin)
        nodip = self._nodip[:e]
        np.isinf(best, out=nodip)
        np.copyto(t0, gmin, where=nodip)
        t0 += lo
        # Periodic: d' dips below the threshold somewhere.
        self._dp[:e, lo - 1:T - 1].min(axis=1, out=self._dpv[:e])
        np.less(self._dpv[:e], self.THRESHOLD, out=self._found[:e])
        return t0

    def _refine(self, e: int, t0: np.ndarray) -> np.ndarray:
        """Parabolic interpolation of d around each dip: the fractional lag.
        Also leaves d' at the dip in ``_dpv``."""
        flat = self._flat[:e]
        np.add(self._rowbase[:e], t0, out=flat)       # index of tau0 + 1
        dflat = self._d.ravel()
        da, db, dc = self._da[:e], self._db[:e], self._dc[:e]
        flat -= 2
        dflat.take(flat, out=da)
        flat += 1
        dflat.take(flat, out=db)
        self._dp.ravel().take(flat, out=self._dpv[:e])
        flat += 1
        dflat.take(flat, out=dc)
        den, frac = self._den[:e], self._frac[:e]
        np.add(da, dc, out=den)
        den -= db
        den -= db
        np.maximum(den, 1e-300, out=den)
        np.subtract(da, dc, out=frac)
        frac *= 0.5
        frac /= den
        np.minimum(frac, 1.0, out=frac)
        np.maximum(frac, -1.0, out=frac)
        tauf = self._tauf[:e]
        np.add(t0, frac, out=tauf)
        return tauf
