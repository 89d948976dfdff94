"""Streaming pitch tracking for one monophonic voice (a saxophone): YIN f0,
voicing and confidence, note names in the player's own tuning, vibrato.

Numpy only, causal, vectorised over the hops of a batch; every work array is
allocated once (numpy's FFT and a few reductions keep small temporaries of
their own).

Per batch of hops:

1. **The stream, rebuilt and decimated.** The analyzer hands over one frame per
   hop (the last ``n_fft`` samples, each frame with its own mean removed, taken
   *before* the analyzer's Hann window). Two consecutive frames share all but
   ``hop`` samples, so ``frame[i-1][hop] - frame[i][0]`` is the change of
   mean, and the newest ``hop`` samples of each frame plus a running offset
   are the continuous input (up to a constant, to which YIN is blind; the
   next shared sample is checked too, so windowed or non-consecutive frames
   raise ValueError). It goes through a 40-tap Kaiser low-pass (-6 dB at
   3 kHz, -55 dB and below from 5 kHz: a sax fundamental is at most ~1400 Hz)
   evaluated in polyphase form at every 4th sample only: 48 kHz -> 12 kHz, 64
   samples per hop. The low-pass also keeps YIN's dip smooth, so parabolic
   interpolation is good to a few cents up to 1.4 kHz.
2. **YIN every ``step`` hops** (default 2: 10.7 ms) on the newest 512 samples
   at 12 kHz (42.7 ms). The integration window is the *newest* 256 samples
   (21 ms), compared with the past at lags up to 256 (47 Hz), so estimates are
   as recent as possible. The difference function comes from one batched real
   FFT (cross-correlation) and a running energy, the cumulative-mean
   normalised d' from a cumulative sum (both cumulative sums as small blocked
   matrix products, faster than numpy's cumsum). **Octave protection**:
   every local minimum of d normalised by the two segments' energy (1 - the
   normalised correlation) is a candidate, valued at its parabola's vertex;
   the period is the *shortest* lag whose dip is within 0.12 of the deepest.
   A harmonic (half, a third, a quarter of the period: the error on low notes
   whose fundamental is weak) keeps the rest of the spectrum in its dip and
   is passed over however weak the fundamental; a multiple of the period
   (an octave down) is no deeper than the period itself and is not taken
   either. Parabolic interpolation of d refines the lag.
3. **Voicing and continuity.** confidence = 1 - d' at the dip, times an energy
   gate (0 at 75 dB below the player's recent peak level, or -90 dBFS, and
   1 from 10 dB above that), so silence and breath are
   unvoiced. Voiced switches on at confidence 0.75 with a dip below the
   threshold and off below 0.6 (hysteresis). The period is the median of
   the last three estimates, where an estimate that was not periodic stands
   in as the newest one: a single-frame octave jump is removed and a note
   that starts after silence is not held back.
4. **Tuning.** Each stable voiced estimate adds its deviation from the equal
   tempered grid as a unit phasor (a circular mean: +50 and -50 cents are the
   same place) weighted by confidence, to a sum that decays with a time
   constant of 15 s of voiced playing; long notes weigh more because they
   last longer. A prior at 0 cents worth 1 s of playing, fading over 2 s of
   voiced playing, makes it start at A440. Notes are named after removing that
   offset, so a player 35 cents flat gets the right names; cents are the
   deviation in their own tuning.
5. **Vibrato**, every 4th estimate (43 ms), held in between: over the last
   0.5 s of voiced pitch (cents) the linear trend is projected out and a
   sinusoid is fitted by least squares at 2.5..10 Hz in 1/8 Hz steps
   (precomputed normal equations, one small matrix product); the best rate is
   refined by parabolic interpolation, depth is the fitted amplitude (peak
   deviation, cents). Reported only when the whole window is voiced, its
   linear trend moves less than 40 cents (one held note: a note change looks
   like a steep trend plus a slow oscillation), the rate lies in 3..9 Hz, the
   sinusoid explains at least 60 % of the detrended variance and the depth is
   at least 4 cents.

Outputs are per hop; a hop without its own estimate holds the previous one.
"""

import math

import numpy as np

_EPS = 1e-20
_AS_STRIDED = np.lib.stride_tricks.as_strided


NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: int) -> str:
    """'C4' for MIDI note 60."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def _kaiser_lowpass(n_taps: int, cutoff: float, sample_rate: float, beta: float) -> np.ndarray:
    n = np.arange(n_taps) - (n_taps - 1) / 2
    h = np.sinc(2 * cutoff / sample_rate * n) * np.kaiser(n_taps, beta)
    return h / h.sum()


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


class PitchTracker:
    """Streaming f0, voicing, note, tuning and vibrato of one mono voice.

    ``process(frames, out)`` takes the analyzer's batch of frames (consecutive
    hops of one stream; each frame the last ``n_fft`` samples with its mean
    removed, not windowed) and writes one row of :attr:`names` per hop.
    ``latency_hops``: hops between a pitch change in the audio and the output
    following it (for shifting offline results to zero lag).
    """

    names = ("pitch_hz", "pitch_confidence", "voiced", "note", "cents",
             "tuning_cents", "vibrato_rate", "vibrato_depth")

    THRESHOLD = 0.3
    """An estimate is periodic when d' dips below this somewhere."""
    MARGIN = 0.12
    """The period is the shortest lag whose dip (d over the segments' energy)
    is within this of the deepest (octave protection both ways; see
    ``_pick_dip``). A harmonic's dip holds the energy of the other harmonics:
    0.22..0.3 on low notes where the 2nd, 3rd or 4th dominates. Smaller
    margins pass over even rarer spectra, but then a note change inside the
    window or breath noise 5 dB below the tone drops estimates an octave."""
    VOICED_ON = 0.75
    VOICED_OFF = 0.6
    GATE_BELOW_PEAK_DB = 75.0
    """Energy gate: confidence is 0 this far below the player's recent peak level..."""
    GATE_SPAN_DB = 10.0
    """...and reaches 1 this much above that, so a quiet room mic is gated like a hot line."""
    GATE_FLOOR_DB = -90.0
    """The gate never opens below this level (dBFS): silence stays unvoiced."""
    PEAK_DECAY_DB_PER_S = 1.0
    """How fast the recent peak level falls after loud playing."""
    TUNING_TAU_S = 15.0
    TUNING_PRIOR_S = 1.0
    TUNING_PRIOR_FADE_S = 2.0
    STABLE_SEMITONES = 0.15
    """An estimate feeds the tuning when it moved less than this since the previous one."""
    VIBRATO_WINDOW_S = 0.5
    VIBRATO_EVERY = 4
    """Vibrato is evaluated every this many estimates and held in between."""
    VIBRATO_SEARCH = (2.5, 10.0, 0.125)
    VIBRATO_RANGE_HZ = (3.0, 9.0)
    VIBRATO_MAX_TREND = 40.0
    """Cents the linear trend may move over the window (more is a note change or a bend)."""
    VIBRATO_MIN_FIT = 0.6
    VIBRATO_MIN_DEPTH = 4.0

    def __init__(self, *, sample_rate: int = 48000, hop: int = 256, fmin: float = 50.0,
                 fmax: float = 1400.0, max_batch: int = 64, step: int = 2):
        if not 0 < fmin < fmax:
            raise ValueError("need 0 < fmin < fmax")
        dec = max(1, round(sample_rate / 12000))
        if hop % dec:
            raise ValueError(f"hop ({hop}) must be a multiple of the decimation factor ({dec})")
        if step < 1 or max_batch < 1:
            raise ValueError("step and max_batch must be >= 1")
        fs = sample_rate / dec
        if fmax >= 0.4 * fs:
            raise ValueError(f"fmax must be below {0.4 * fs:.0f} Hz")
        self.sample_rate, self.hop, self.step, self.max_batch = sample_rate, hop, step, max_batch
        self._dec, self._fs, self._hpd = dec, fs, hop // dec
        self._emax = -(-max_batch // step) + 1         # estimates per batch, at most
        self._est_dt = hop * step / sample_rate        # seconds between estimates
        self._init_decimation()
        self._init_yin(fmin, fmax)
        self._init_voicing()
        self._init_tuning()
        self._init_vibrato()
        # Output: row 0 is the previous output row, rows 1.. this batch's estimates.
        self._table = np.zeros((self._emax + 1, len(self.names)))
        self._rowmaps = [np.where(np.arange(max_batch) >= s, (np.arange(max_batch) - s) // step + 1,
                                  0).astype(np.intp) for s in range(step)]
        self._hops = 0
        # Latency, in hops: the centre of the compared data trails the newest
        # sample by about W/2 plus half a period (~4 ms for a sax), the median
        # waits for a second estimate, and hops between estimates hold the
        # last one (half a step on average). Checked with pitch steps in the tests.
        self.latency_hops = int(round((self._w / 2 + 0.004 * fs) / self._hpd
                                      + step + (step - 1) / 2))

    def _empty(self, dtype=np.float64) -> np.ndarray:
        """A work array of one value per estimate of a batch."""
        return np.empty(self._emax, dtype)

    def _init_decimation(self) -> None:
        # Polyphase: with S = stream.reshape(-1, dec) and Z = S @ H,
        # H[p, j] = h[dec (K-1-j) + dec-1-p], output n = sum_j Z[n+j, j].
        dec, hop, max_batch = self._dec, self.hop, self.max_batch
        k = max(2, round(40 / dec))
        self._k = k
        h = _kaiser_lowpass(dec * k, min(3000.0, 0.25 * self._fs), self.sample_rate, 5.0)
        self._hpoly = np.array([[h[dec * (k - 1 - j) + dec - 1 - p] for j in range(k)]
                                for p in range(dec)])
        self._hist48 = dec * (k - 1)
        self._buf48 = np.zeros(self._hist48 + hop * max_batch)
        self._z = np.empty((k - 1 + self._hpd * max_batch, k))
        n_out = self._hpd * max_batch
        self._zdiag = _AS_STRIDED(self._z, shape=(n_out, k), strides=(k * 8, (k + 1) * 8))
        self._deltas = np.empty(max_batch)
        self._check = np.empty(max_batch)
        self._offs = np.empty(max_batch)
        self._offset = 0.0
        self._prev_shared = 0.0
        self._prev_shared2 = 0.0
        self._have_prev = False

    def _init_yin(self, fmin: float, fmax: float) -> None:
        # Geometry at the decimated rate: lags 0..T, window W, frame L.
        fs, emax, f = self._fs, self._emax, self._empty
        T = _ceil_to(fs / fmin + 1, 16)
        W = max(T, _ceil_to(0.021 * fs, 16))
        L = W + T
        self._t, self._w, self._l = T, W, L
        self._lo = max(2, int(fs / fmax))
        self._buf12 = np.zeros(L + self._hpd * self.max_batch)
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
        self._arange_e = np.arange(emax)
        self._e1, self._e1x2, self._best = f(), f(), f()
        self._gmin, self._t0 = f(np.intp), f(np.intp)
        self._flat, self._last, self._last0 = f(np.intp), f(np.intp), f(np.intp)
        self._found, self._bool1, self._bool2, self._bool3 = (f(bool) for _ in range(4))
        self._da, self._db, self._dc, self._dpv = f(), f(), f(), f()
        self._den, self._frac, self._conf, self._gate, self._tauf = f(), f(), f(), f(), f()

    def _init_voicing(self) -> None:
        emax, f = self._emax, self._empty
        self._voiced = f(bool)
        self._voiced_state = False
        # Median of three: two previous (lag, periodic) pairs, then this batch.
        self._lag = np.zeros(emax + 2)
        self._per = np.zeros(emax + 2, bool)
        self._nper = np.ones(emax + 2, bool)
        self._ma, self._mb, self._mlo, self._mhi = f(), f(), f(), f()
        # The relative energy gate's decaying peak (dB) and its per-estimate fall.
        self._peak_db = self.GATE_FLOOR_DB
        self._peak_steps = self.PEAK_DECAY_DB_PER_S * self._est_dt * np.arange(1, emax + 1)
        self._ref = f()

    def _init_tuning(self) -> None:
        emax, f, est_dt = self._emax, self._empty, self._est_dt
        self._midi, self._dev, self._wt, self._move = f(), f(), f(), f()
        self._ph = np.empty(emax, np.complex128)
        self._cs = np.empty(emax, np.complex128)
        self._vcount, self._rpow, self._tuning = f(), f(), f()
        self._note, self._cents = f(), f()
        self._tune_r = math.exp(-est_dt / self.TUNING_TAU_S)
        self._tune_sum = 0j
        self._prior_r = math.exp(-est_dt / self.TUNING_PRIOR_FADE_S)
        self._prior_now = self.TUNING_PRIOR_S / est_dt
        self._prev_midi = 0.0
        self._prev_voiced = False
        self._last_note = 0.0
        self._midi_const = 69.0 + 12.0 * math.log2(self._fs / 440.0)

    def _init_vibrato(self) -> None:
        # A window of nv estimates, evaluated every ve-th estimate: the
        # sinusoids at every trial rate, orthogonal to the window's linear
        # trend, and their normal equations, inverted once.
        est_dt = self._est_dt
        nv = max(8, round(self.VIBRATO_WINDOW_S / est_dt))
        self._nv, self._ve = nv, self.VIBRATO_EVERY
        tt = (np.arange(nv) - (nv - 1) / 2) * est_dt
        q, _ = np.linalg.qr(np.stack([np.ones(nv), tt / tt.max()], axis=1))
        self._q = np.ascontiguousarray(q)
        self._max_slope_coef = self.VIBRATO_MAX_TREND / abs(q[-1, 1] - q[0, 1])
        lo_hz, hi_hz, df = self.VIBRATO_SEARCH
        freqs = np.arange(lo_hz, hi_hz + 1e-9, df)
        nf = freqs.size
        self._vf0, self._vdf, self._nf = lo_hz, df, nf
        ok_lo, ok_hi = self.VIBRATO_RANGE_HZ
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
        self._init_vibrato_buffers()

    def _init_vibrato_buffers(self) -> None:
        emax, nv, ve, nf = self._emax, self._nv, self._ve, self._nf
        hist = nv - 1
        self._vbuf = np.zeros(hist + emax)             # pitch in cents; held while unvoiced
        self._vvoi = np.zeros(hist + emax)             # 1 where voiced
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

    # ----------------------------------------------------------------- stream
    def _decimate(self, frames: np.ndarray, hops: int) -> None:
        """Append ``hops`` hops of the rebuilt stream, decimated, after ``_buf12[:L]``."""
        hop, hist = self.hop, self._hist48
        deltas, offs = self._deltas[:hops], self._offs[:hops]
        # mean_i - mean_(i-1) = frame_(i-1)[hop] - frame_i[0]: one sample, two means.
        np.subtract(frames[:hops - 1, hop], frames[1:hops, 0], out=deltas[1:])
        deltas[0] = (self._prev_shared - frames[0, 0]) if self._have_prev else 0.0
        # The next shared sample must give the same difference, or these are
        # not consecutive raw frames (windowed ones, say): fail loudly.
        check = self._check[:hops]
        np.subtract(frames[:hops - 1, hop + 1], frames[1:hops, 1], out=check[1:])
        check[0] = (self._prev_shared2 - frames[0, 1]) if self._have_prev else 0.0
        check -= deltas
        np.abs(check, out=check)
        # (NaN, inf and absurd values fail this test: they are dropped below.)
        if 1e-6 < check.max() < 100.0:
            raise ValueError("PitchTracker.process needs consecutive hops of one stream: each "
                             "frame the last n_fft samples with its mean removed, not windowed")
        np.cumsum(deltas, out=offs)
        offs += self._offset
        self._offset = float(offs[hops - 1])
        self._prev_shared = float(frames[hops - 1, hop])
        self._prev_shared2 = float(frames[hops - 1, hop + 1])
        self._have_prev = True
        n48 = hops * hop
        np.add(frames[:, frames.shape[1] - hop:], offs[:, None],
               out=self._buf48[hist:hist + n48].reshape(hops, hop))
        m = (hist + n48) // self._dec
        np.matmul(self._buf48[:hist + n48].reshape(m, self._dec), self._hpoly, out=self._z[:m])
        n_out = hops * self._hpd
        L = self._l
        new12 = self._buf12[L:L + n_out]
        self._zdiag[:n_out].sum(axis=1, out=new12)
        self._buf48[:hist] = self._buf48[n48:n48 + hist]
        # Input is expected finite and within -1..1 (the analyzer sanitises it);
        # if NaN, inf or absurd values get through anyway, drop them here so
        # that they cannot poison the running state.
        energy = float(np.dot(new12, new12))
        if not energy < 1e6 * n_out:
            for buf in (self._buf48, self._buf12):
                np.nan_to_num(buf, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
                np.clip(buf, -4.0, 4.0, out=buf)
            if not abs(self._offset) < 4.0:
                self._offset = 0.0
            self._have_prev = False                    # start the rebuilt stream afresh

    def process(self, frames: np.ndarray, out: np.ndarray) -> None:
        """frames (hops, n_fft); writes ``out`` (hops, 8), the columns of :attr:`names`.

        pitch_hz (0 when unvoiced), pitch_confidence 0..1, voiced 0/1, note
        (MIDI number as float: the nearest note after tuning correction, held
        while unvoiced, 0 before the first voiced note), cents (-50..50 from
        that note in the player's tuning, 0 when unvoiced), tuning_cents (the
        player's reference offset from A440), vibrato_rate (Hz) and
        vibrato_depth (cents, peak deviation), 0 when there is no vibrato.
        """
        hops = frames.shape[0]
        if hops > self.max_batch:
            for i in range(0, hops, self.max_batch):
                self.process(frames[i:i + self.max_batch], out[i:i + self.max_batch])
            return
        if hops == 0:
            return
        self._decimate(frames, hops)
        step = self.step
        first = (step - 1 - self._hops) % step
        e = 0 if first >= hops else (hops - 1 - first) // step + 1
        if e:
            self._estimate(first, e)
        self._table.take(self._rowmaps[first][:hops], axis=0, out=out)
        self._table[0] = self._table[e]
        self._hops += hops
        L, n = self._l, hops * self._hpd
        self._buf12[:L] = self._buf12[n:n + L]

    # -------------------------------------------------------------------- YIN
    def _estimate(self, first: int, e: int) -> None:
        """YIN on the ``e`` frames that end at this batch's estimate hops."""
        self._difference(first, e)
        t0 = self._pick_dip(e)
        tauf = self._refine(e, t0)
        conf = self._confidence(e)
        found = self._found[:e]
        voiced = self._voicing(e, conf, found)
        self._median(e, tauf, conf, found)
        self._notes(e, tauf, conf, voiced)
        self._n_est += e

    def _difference(self, first: int, e: int) -> None:
        """YIN's difference function d and its normalised form d' into ``_d``, ``_dp``."""
        L, T, W = self._l, self._t, self._w
        stack = self._stack[:e]
        # Frames ending at the estimate hops: row i ends at L + (i + 1) * hpd.
        s0 = (first + 1) * self._hpd
        np.copyto(stack[:, 0], _AS_STRIDED(self._buf12[s0:], shape=(e, L),
                                           strides=(8 * self.step * self._hpd, 8)))
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
        T, lo = self._t, self._lo
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
        nodip = self._bool1[:e]
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

    def _confidence(self, e: int) -> np.ndarray:
        """Periodicity (1 - d' at the dip) times an energy gate, (e,)."""
        L, W = self._l, self._w
        conf, gate = self._conf[:e], self._gate[:e]
        np.subtract(1.0, self._dpv[:e], out=conf)
        np.maximum(conf, 0.0, out=conf)
        # The level excludes DC: the rebuilt stream carries an arbitrary offset.
        self._stack[:e, 0, L - W:].sum(axis=1, out=gate)
        np.square(gate, out=gate)
        gate *= -1.0 / W
        gate += self._e1[:e]
        gate *= 1.0 / W
        np.maximum(gate, 0.0, out=gate)
        gate += _EPS
        np.log10(gate, out=gate)
        gate *= 10.0  # the frame's level in dB
        # The gate sits relative to the player's recent peak: a running
        # maximum falling PEAK_DECAY_DB_PER_S (batch sizes change nothing).
        ref, steps = self._ref[:e], self._peak_steps[:e]
        np.add(gate, steps, out=ref)
        np.maximum(ref, self._peak_db, out=ref)
        np.maximum.accumulate(ref, out=ref)
        ref -= steps
        self._peak_db = float(ref[-1])
        ref -= self.GATE_BELOW_PEAK_DB
        np.maximum(ref, self.GATE_FLOOR_DB, out=ref)
        gate -= ref
        gate *= 1.0 / self.GATE_SPAN_DB
        np.minimum(gate, 1.0, out=gate)
        np.maximum(gate, 0.0, out=gate)
        conf *= gate
        return conf

    def _voicing(self, e: int, conf: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Voicing with hysteresis, vectorised: the last decisive estimate wins."""
        on, off, dec = self._bool2[:e], self._bool3[:e], self._bool1[:e]
        np.greater_equal(conf, self.VOICED_ON, out=on)
        on &= found
        np.less(conf, self.VOICED_OFF, out=off)
        np.logical_not(found, out=dec)
        off |= dec
        np.logical_or(on, off, out=dec)
        last = self._last[:e]
        last.fill(-1)
        np.copyto(last, self._arange_e[:e], where=dec)
        np.maximum.accumulate(last, out=last)
        voiced = self._voiced[:e]
        last0 = self._last0[:e]
        np.maximum(last, 0, out=last0)
        on.take(last0, out=voiced)
        if last[0] < 0:
            np.copyto(voiced, self._voiced_state, where=last < 0)
        self._voiced_state = bool(voiced[e - 1])
        return voiced

    def _median(self, e: int, tauf: np.ndarray, conf: np.ndarray, found: np.ndarray) -> None:
        """Median of three lags, in place; a neighbour that was not periodic
        counts as the newest lag."""
        lag, per, nper = self._lag, self._per, self._nper
        lag[2:e + 2] = tauf
        pe = per[2:e + 2]
        np.greater_equal(conf, self.VOICED_OFF, out=pe)
        pe &= found
        np.logical_not(pe, out=nper[2:e + 2])
        a, b, mlo, mhi = self._ma[:e], self._mb[:e], self._mlo[:e], self._mhi[:e]
        np.copyto(a, lag[:e])
        np.copyto(a, tauf, where=nper[:e])
        np.copyto(b, lag[1:e + 1])
        np.copyto(b, tauf, where=nper[1:e + 1])
        np.minimum(a, b, out=mlo)
        np.maximum(a, b, out=mhi)
        np.minimum(mhi, tauf, out=mhi)
        np.maximum(mlo, mhi, out=tauf)                # median(a, b, newest)
        lag[:2] = lag[e:e + 2]
        per[:2] = per[e:e + 2]
        nper[:2] = nper[e:e + 2]

    # ------------------------------------------------------- notes and tuning
    def _notes(self, e: int, tauf: np.ndarray, conf: np.ndarray, voiced: np.ndarray) -> None:
        midi = self._midi[:e]
        np.log2(tauf, out=midi)                        # midi = 69 + 12 log2(fs / tau / 440)
        midi *= -12.0
        midi += self._midi_const
        # Stable voiced estimates feed the tuning.
        move = self._move[:e]
        move[0] = self._prev_midi
        move[1:] = midi[:e - 1]
        np.subtract(midi, move, out=move)
        np.abs(move, out=move)
        w = self._wt[:e]
        np.less(move, self.STABLE_SEMITONES, out=w)    # 0/1 as float
        w *= voiced
        w[1:] *= voiced[:e - 1]
        if not self._prev_voiced:
            w[0] = 0.0
        w *= conf
        dev = self._dev[:e]
        np.rint(midi, out=dev)
        np.subtract(midi, dev, out=dev)
        # S_k = r^(V_k) (S_0 + sum_{j<=k} r^(-V_j) w_j z_j), V = voiced count:
        # an exponential decay over voiced playing time.
        vc, rp = self._vcount[:e], self._rpow[:e]
        np.cumsum(voiced, out=vc)
        np.power(self._tune_r, vc, out=rp)
        ph = self._ph[:e]
        np.multiply(dev, 2j * np.pi, out=ph)
        np.exp(ph, out=ph)
        ph *= w
        ph /= rp
        cs = self._cs[:e]
        np.cumsum(ph, out=cs)
        cs += self._tune_sum
        cs *= rp
        self._tune_sum = complex(cs[e - 1])
        np.power(self._prior_r, vc, out=rp)            # the prior at 0 cents fades
        rp *= self._prior_now
        self._prior_now = float(rp[e - 1])
        cs += rp
        tuning = self._tuning[:e]
        np.arctan2(cs.imag, cs.real, out=tuning)
        tuning *= 1.0 / (2 * np.pi)                    # semitones
        note, cents = self._note[:e], self._cents[:e]
        np.subtract(midi, tuning, out=cents)
        np.rint(cents, out=note)
        cents -= note
        cents *= 100.0
        self._prev_midi = float(midi[e - 1])
        self._prev_voiced = bool(voiced[e - 1])

        self._vibrato(e, midi, voiced)

        table = self._table[1:e + 1]
        np.divide(self._fs, tauf, out=table[:, 0])
        table[:, 0] *= voiced
        table[:, 1] = conf
        table[:, 2] = voiced
        # The note is held while unvoiced: forward fill from the last voiced estimate.
        last, last0 = self._last[:e], self._last0[:e]
        last.fill(-1)
        np.copyto(last, self._arange_e[:e], where=voiced)
        np.maximum.accumulate(last, out=last)
        np.maximum(last, 0, out=last0)
        note.take(last0, out=table[:, 3])
        if last[0] < 0:
            np.copyto(table[:, 3], self._last_note, where=last < 0)
        self._last_note = float(table[e - 1, 3])
        np.multiply(cents, voiced, out=table[:, 4])
        np.multiply(tuning, 100.0, out=table[:, 5])
        np.multiply(self._vrows[:e], voiced[:, None], out=table[:, 6:8])

    # ----------------------------------------------------------------- vibrato
    def _vibrato(self, e: int, midi: np.ndarray, voiced: np.ndarray) -> None:
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
            self._fit_vibrato(s, nw)
        self._vtable.take(self._vmaps[s][:e], axis=0, out=self._vrows[:e])
        self._vtable[0] = self._vtable[nw] if voiced[e - 1] else 0.0
        vbuf[:h] = vbuf[e:e + h]
        vvoi[:h] = vvoi[e:e + h]

    def _fit_vibrato(self, s: int, nw: int) -> None:
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
        best = self._vbest[:nw]
        en.argmax(axis=1, out=best)
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
        np.greater_equal(qv, self.VIBRATO_MIN_FIT, out=b)
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
        np.greater_equal(depth, self.VIBRATO_MIN_DEPTH, out=b)
        ok &= b
        rate *= ok
        depth *= ok


def track_pitch(samples: np.ndarray, sample_rate: int = 48000, *, hop: int = 256,
                n_fft: int = 2048, max_batch: int = 64, **kwargs) -> dict[str, np.ndarray]:
    """Offline convenience: the streaming tracker over a whole mono signal.

    Frames are made as the analyzer makes them (the last ``n_fft`` samples
    at each hop, mean removed, in batches of ``max_batch`` hops). Returns
    per-hop arrays for each of :attr:`PitchTracker.names` plus ``time``
    (seconds): row i describes the audio at the end of hop i, the tracker's
    ``latency_hops`` already taken off (zero lag).
    """
    x = np.nan_to_num(np.asarray(samples, np.float64).ravel())
    np.clip(x, -1.0, 1.0, out=x)
    tracker = PitchTracker(sample_rate=sample_rate, hop=hop, max_batch=max_batch, **kwargs)
    lat = tracker.latency_hops
    n_real = x.shape[0] // hop
    # Silence in front as the analyzer's zero history, and after the end so
    # the last hops come out despite the latency.
    x = np.concatenate([np.zeros(n_fft - hop), x, np.zeros((lat + 1) * hop)])
    n_hops = (x.shape[0] - (n_fft - hop)) // hop
    view = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    out = np.zeros((n_hops, len(PitchTracker.names)))
    frames = np.empty((max_batch, n_fft))
    for i in range(0, n_hops, max_batch):
        n = min(max_batch, n_hops - i)
        f = frames[:n]
        np.copyto(f, view[i:i + n])
        f -= f.mean(axis=1, keepdims=True)
        tracker.process(f, out[i:i + n])
    aligned = out[lat:lat + n_real]
    result = {name: np.ascontiguousarray(aligned[:, j])
              for j, name in enumerate(PitchTracker.names)}
    result["time"] = (np.arange(n_real) + 1) * hop / sample_rate
    return result
