"""Vibrato rate and depth from the pitch track, streaming.

Every 4th pitch estimate (43 ms), held in between: over the last 0.5 s of
voiced pitch (cents) the linear trend is projected out and a sinusoid is
fitted by least squares at 2.5..10 Hz in 1/8 Hz steps (precomputed normal
equations, one small matrix product); the best rate is refined by parabolic
interpolation, depth is the fitted amplitude (peak deviation, cents).
Reported only when the whole window is voiced, its linear trend moves less
than 40 cents (one held note: a note change looks like a steep trend plus a
slow oscillation), the rate lies in 3..9 Hz, the sinusoid explains at least
60 % of the detrended variance and the depth is at least 4 cents.
"""

import numpy as np

_AS_STRIDED = np.lib.stride_tricks.as_strided


class Vibrato:
    """Streaming vibrato of a pitch track with estimates ``estimate_seconds``
    apart, in batches of up to ``n_estimates``."""

    WINDOW_S = 0.5
    EVERY = 4
    """Vibrato is evaluated every this many estimates and held in between."""
    SEARCH = (2.5, 10.0, 0.125)
    """Trial rates: lowest, highest and step, in Hz."""
    RANGE_HZ = (3.0, 9.0)
    MAX_TREND = 40.0
    """Cents the linear trend may move over the window (more is a note change or a bend)."""
    MIN_FIT = 0.6
    MIN_DEPTH = 4.0

    def __init__(self, *, estimate_seconds: float, n_estimates: int):
        # A window of nv estimates, evaluated every ve-th estimate: the
        # sinusoids at every trial rate, orthogonal to the window's linear
        # trend, and their normal equations, inverted once.
        est_dt = estimate_seconds
        self._emax = n_estimates
        nv = max(8, round(self.WINDOW_S / est_dt))
        self._nv, self._ve = nv, self.EVERY
        tt = (np.arange(nv) - (nv - 1) / 2) * est_dt
        q, _ = np.linalg.qr(np.stack([np.ones(nv), tt / tt.max()], axis=1))
        self._q = np.ascontiguousarray(q)
        self._max_slope_coef = self.MAX_TREND / abs(q[-1, 1] - q[0, 1])
        lo_hz, hi_hz, df = self.SEARCH
        freqs = np.arange(lo_hz, hi_hz + 1e-9, df)
        nf = freqs.size
        self._vf0, self._vdf, self._nf = lo_hz, df, nf
        ok_lo, ok_hi = self.RANGE_HZ
        self._vbin_lo = int(round((ok_lo - lo_hz) / df))
        self._vbin_hi = int(round((ok_hi - lo_hz) / df))
        basis = np.empty((nv, nf, 2))
        basis[:, :, 0] = np.cos(2 * np.pi * tt[:, None] * freqs)
        basis[:, :, 1] = np.sin(2 * np.pi * tt[:, None] * freqs)
        basis = basis.reshape(nv, 2 * nf)
        basis -= q @ (q.T @ basis)                     # orthogonal to the trend
        self._basis = np.ascontiguousarray(basis)
        b3 = basis.reshape(nv, nf, 2)
        gi = np.linalg.inv(np.einsum("tfi,tfj->fij", b3, b3))
        self._g00, self._g01, self._g11 = (np.ascontiguousarray(gi[:, i, j])
                                           for i, j in ((0, 0), (0, 1), (1, 1)))
        self._init_buffers()

    def _init_buffers(self) -> None:
        emax, nv, ve, nf = self._emax, self._nv, self._ve, self._nf
        hist = nv - 1
        self._vbuf = np.zeros(hist + emax)             # pitch in cents; held while unvoiced
        self._vvoi = np.zeros(hist + emax)             # 1 where voiced
        self._last = np.empty(emax, np.intp)
        self._last0 = np.empty(emax, np.intp)
        self._arange_e = np.arange(emax)
        vmax = -(-emax // ve) + 1
        self._win = np.empty((vmax, nv))
        self._coef = np.empty((vmax, 2 * nf))
        self._qc = np.empty((vmax, 2))
        self._a0, self._a1, self._en, self._tmpf = (np.empty((vmax, nf)) for _ in range(4))
        g = lambda dtype=np.float64: np.empty(vmax, dtype)  # noqa: E731
        self._vmax, self._vmin, self._vtot, self._vq = g(), g(), g(), g()
        self._vok, self._vb = g(bool), g(bool)
        self._vbest, self._vflat = g(np.intp), g(np.intp)
        self._v3 = np.empty((3, vmax))
        self._vrowbase = np.arange(vmax) * nf
        self._vtable = np.zeros((vmax + 1, 2))        # row 0: the value held from before
        self._vmaps = [np.where(np.arange(emax) >= s, (np.arange(emax) - s) // ve + 1, 0)
                       .astype(np.intp) for s in range(ve)]
        self._vrows = np.empty((emax, 2))
        self._n_est = 0

    def process(self, e: int, midi: np.ndarray, voiced: np.ndarray) -> np.ndarray:
        """The next ``e`` estimates' pitch (fractional MIDI) and voicing ->
        (e, 2) [rate Hz, depth cents], 0 without vibrato (a view of a work array)."""
        ve, h = self._ve, self._nv - 1
        vbuf, vvoi = self._vbuf, self._vvoi
        cur = vbuf[h:h + e]
        np.multiply(midi, 100.0, out=cur)
        vvoi[h:h + e] = voiced
        # Unvoiced estimates hold the last voiced pitch (their windows are rejected anyway).
        last, last0 = self._last[:e], self._last0[:e]
        last.fill(-1)
        np.copyto(last, self._arange_e[:e], where=voiced)
        np.maximum.accumulate(last, out=last)
        if last[0] < 0:
            np.copyto(cur, vbuf[h - 1], where=last < 0)
        np.maximum(last, 0, out=last0)
        cur.take(last0, out=cur)

        s = (ve - 1 - self._n_est) % ve                # first estimate evaluated
        nw = 0 if s >= e else (e - 1 - s) // ve + 1
        if nw:
            ok, tot = self._fit(s, nw)
            self._rate_and_depth(nw, ok, tot)
        self._vtable.take(self._vmaps[s][:e], axis=0, out=self._vrows[:e])
        self._vtable[0] = self._vtable[nw] if voiced[e - 1] else 0.0
        vbuf[:h] = vbuf[e:e + h]
        vvoi[:h] = vvoi[e:e + h]
        self._n_est += e
        return self._vrows[:e]

    def _fit(self, s: int, nw: int) -> tuple[np.ndarray, np.ndarray]:
        """Least squares at every trial rate over ``nw`` windows, the first
        ending at estimate ``s``. Returns (ok, detrended energy), (nw,) each:
        ok while the window is voiced and holds one note."""
        nv = self._nv
        win = self._win[:nw]
        np.copyto(win, _AS_STRIDED(self._vbuf[s:], shape=(nw, nv), strides=(8 * self._ve, 8)))
        winv = _AS_STRIDED(self._vvoi[s:], shape=(nw, nv), strides=(8 * self._ve, 8))
        ok, b = self._vok[:nw], self._vb[:nw]
        vmax, vmin = self._vmax[:nw], self._vmin[:nw]
        winv.min(axis=1, out=vmax)
        np.greater(vmax, 0.5, out=ok)                  # the whole window voiced
        win.min(axis=1, out=vmin)
        win -= vmin[:, None]                            # conditioning; the trend is projected out
        coef = self._coef[:nw]
        np.matmul(win, self._basis, out=coef)
        c0, c1 = coef[:, 0::2], coef[:, 1::2]
        a0, a1, en, tmp = self._a0[:nw], self._a1[:nw], self._en[:nw], self._tmpf[:nw]
        np.multiply(c0, self._g00, out=a0)              # least squares: a = G^-1 c
        np.multiply(c1, self._g01, out=tmp)
        a0 += tmp
        np.multiply(c0, self._g01, out=a1)
        np.multiply(c1, self._g11, out=tmp)
        a1 += tmp
        np.multiply(a0, c0, out=en)                     # energy explained at each rate
        np.multiply(a1, c1, out=tmp)
        en += tmp
        tot, qv = self._vtot[:nw], self._vq[:nw]
        np.einsum("ij,ij->i", win, win, out=tot)       # detrended energy
        qc = self._qc[:nw]
        np.matmul(win, self._q, out=qc)
        np.einsum("ij,ij->i", qc, qc, out=qv)
        tot -= qv
        # One held note: the trend moves little over the window (a note change
        # would look like a steep trend plus a slow oscillation).
        np.abs(qc[:, 1], out=qv)
        np.less(qv, self._max_slope_coef, out=b)
        ok &= b
        return ok, tot

    def _rate_and_depth(self, nw: int, ok: np.ndarray, tot: np.ndarray) -> None:
        """The best rate of each window, refined, and its depth into the
        table's rows 1..nw; 0 where a check fails."""
        b, qv = self._vb[:nw], self._vq[:nw]
        best = self._vbest[:nw]
        self._en[:nw].argmax(axis=1, out=best)
        np.greater_equal(best, self._vbin_lo, out=b)   # rate inside 3..9 Hz
        ok &= b
        np.less_equal(best, self._vbin_hi, out=b)
        ok &= b
        np.minimum(best, self._nf - 2, out=best)
        np.maximum(best, 1, out=best)
        flat = self._vflat[:nw]
        np.add(self._vrowbase[:nw], best, out=flat)
        v3 = self._v3[:, :nw]
        enf = self._en.ravel()
        flat -= 1
        enf.take(flat, out=v3[0])
        flat += 1
        enf.take(flat, out=v3[1])
        flat += 1
        enf.take(flat, out=v3[2])
        flat -= 1
        # Fit quality: the sinusoid explains most of the detrended variance.
        np.maximum(tot, 1e-9, out=tot)
        np.divide(v3[1], tot, out=qv)
        np.greater_equal(qv, self.MIN_FIT, out=b)
        ok &= b
        rate = self._vtable[1:nw + 1, 0]
        depth = self._vtable[1:nw + 1, 1]
        # Parabolic refinement of the rate.
        np.subtract(v3[0], v3[2], out=rate)
        rate *= 0.5
        np.add(v3[0], v3[2], out=tot)
        tot -= v3[1]
        tot -= v3[1]
        np.minimum(tot, -1e-300, out=tot)
        rate /= tot
        np.minimum(rate, 0.5, out=rate)
        np.maximum(rate, -0.5, out=rate)
        rate += best
        rate *= self._vdf
        rate += self._vf0
        self._a0.ravel().take(flat, out=tot)
        self._a1.ravel().take(flat, out=qv)
        np.hypot(tot, qv, out=depth)
        np.greater_equal(depth, self.MIN_DEPTH, out=b)
        ok &= b
        rate *= ok
        depth *= ok
