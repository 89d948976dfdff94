"""ITU-R BS.1770-4 / EBU R128 loudness: K-weighting, momentary, short-term
and gated integrated loudness, streaming (:class:`LoudnessMeter`) and offline
(:func:`integrated_loudness`).

K-weighting is the cascade of the two BS.1770 biquads (a high-shelf
"pre-filter" and the RLB high-pass), derived for any sample rate from their
analogue prototypes exactly as libebur128 does, so that at 48 kHz they equal
the coefficients printed in the Recommendation. The cascade runs as one
fourth-order ``scipy.signal.lfilter`` with kept state, so any block size gives
the same result as one pass.

Loudness of a window is ``-0.691 + 10 log10(sum_c G_c * mean(y_c ** 2))``
where ``y_c`` is the K-weighted channel ``c`` and ``G_c`` its weight (1.0 for
L, R, C; 1.41 for the surrounds).

Streaming design, per batch of hops (numpy only, preallocated):

* momentary (400 ms) and short-term (3 s) windows: per hop, the K-weighted
  energy of the hop and, when a window is not a whole number of hops (3 s is
  562.5 hops of 256), the energy of the hop's last ``window % hop`` samples.
  A linear buffer holds the cumulative hop energy over the longest window,
  rebased to its oldest entry every batch (so it never grows: a quiet passage
  after hours of loud input reads exactly); each window sum is a difference
  of two entries plus at most one tail. Per batch: two matrix-vector products
  for the hop and tail energies, O(1) vector work per hop, and one shift of
  the (window / hop)-entry buffers.
* integrated: 100 ms sub-blocks of energy (sample-exact, one ``reduceat`` per
  batch); every completed sub-block closes a 400 ms gating block (four
  sub-blocks, 75 % overlap). Block energies go into a histogram of block
  loudness, 0.01 LU bins from -70 to +30 LUFS, holding per bin the count *and
  the exact sum of block energies*: memory is constant (160 kB) however long
  the input, the means are exact, and only blocks within 0.01 LU of the
  relative gate are classified by their bin (bins whose centre lies above the
  gate count). The offline function keeps every block and gates exactly.
  The gating step is round(sample_rate / 10) samples, the block four steps.

A batch containing NaN or inf (or overflowing) is measured again with those
samples zeroed (+-inf as +-1) and clipped to full scale: the filter state and
the running sums are never poisoned.
"""

import math

import numpy as np
from scipy.signal import lfilter

SILENT_LUFS = -120.0
"""What a window with no (or negligible) energy reads, instead of -inf."""

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_OFFSET = -0.691
# The mean square at which a window reads SILENT_LUFS: floor before log10.
_MS_FLOOR = 10.0 ** ((SILENT_LUFS - _OFFSET) / 10.0)

# BS.1770 channel weights in its channel order: L, R, C, Ls, Rs.
_BS1770_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)

# Histogram of block loudness for the streaming integrated value.
_HIST_LO = ABSOLUTE_GATE_LUFS
_HIST_HI = 30.0
_HIST_BIN_LU = 0.01
_HIST_BINS = int(round((_HIST_HI - _HIST_LO) / _HIST_BIN_LU))
_PENDING_MAX = 4096


def k_weighting(sample_rate: float) -> tuple[tuple[np.ndarray, np.ndarray],
                                             tuple[np.ndarray, np.ndarray]]:
    """The two K-weighting biquads ``((b_shelf, a_shelf), (b_rlb, a_rlb))``.

    Bilinear transform of the analogue prototypes (libebur128's derivation):
    a high shelf of +3.9998 dB at 1681.97 Hz, Q 0.7072, then a second-order
    high-pass at 38.135 Hz, Q 0.5003. At 48 kHz these are the BS.1770 tables.
    """
    fs = float(sample_rate)
    if not fs > 0:
        raise ValueError("sample_rate must be positive")
    # Stage 1: high shelf (the "pre-filter").
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / fs)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    b_shelf = np.array([(vh + vb * k / q + k * k) / a0,
                        2.0 * (k * k - vh) / a0,
                        (vh - vb * k / q + k * k) / a0])
    a_shelf = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    # Stage 2: RLB high-pass.
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / fs)
    a0 = 1.0 + k / q + k * k
    b_rlb = np.array([1.0, -2.0, 1.0])
    a_rlb = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return (b_shelf, a_shelf), (b_rlb, a_rlb)


def _k_filter(sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The K-weighting cascade as one fourth-order (b, a)."""
    (b1, a1), (b2, a2) = k_weighting(sample_rate)
    return np.convolve(b1, b2), np.convolve(a1, a2)


def _channel_weights(channels: int, weights) -> np.ndarray:
    if weights is None:
        if not 1 <= channels <= len(_BS1770_WEIGHTS):
            raise ValueError(f"no default BS.1770 weights for {channels} channels; "
                             "pass channel_weights")
        weights = _BS1770_WEIGHTS[:channels]
    w = np.asarray(weights, np.float64).reshape(-1)
    if w.shape[0] != channels:
        raise ValueError(f"{w.shape[0]} channel weights for {channels} channels")
    return w


def _lufs(mean_square: float) -> float:
    if not mean_square > _MS_FLOOR:
        return SILENT_LUFS
    return max(_OFFSET + 10.0 * math.log10(mean_square), SILENT_LUFS)


def _sub_block(sample_rate: int) -> int:
    """Samples per 100 ms gating step; a gating block is four of them."""
    step = int(round(sample_rate / 10))
    if step < 1:
        raise ValueError("sample_rate too low")
    return step


def _gate(blocks: np.ndarray) -> float:
    """BS.1770-4 gating of 400 ms block mean squares (weighted channel sums)."""
    with np.errstate(divide="ignore"):
        level = _OFFSET + 10.0 * np.log10(blocks)
    keep = level > ABSOLUTE_GATE_LUFS
    if not keep.any():
        return SILENT_LUFS
    blocks, level = blocks[keep], level[keep]
    relative = _OFFSET + 10.0 * math.log10(blocks.mean()) + RELATIVE_GATE_LU
    keep = level > relative
    if not keep.any():
        return SILENT_LUFS
    return _lufs(float(blocks[keep].mean()))


def integrated_loudness(samples: np.ndarray, sample_rate: int, *,
                        channel_weights=None) -> float:
    """Offline gated integrated loudness in LUFS (-120.0 if nothing passes).

    ``samples``: (n,) mono or (n, channels) float. Blocks of 400 ms every
    100 ms from the start; only complete blocks count. NaN reads as silence,
    +-inf as +-1. Gating is exact (every block kept); memory stays bounded by
    filtering in chunks.
    """
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError("samples must be (n,) or (n, channels)")
    n, channels = x.shape
    w = _channel_weights(channels, channel_weights)
    b, a = _k_filter(sample_rate)
    step = _sub_block(sample_rate)
    chunk = step * 200
    zi = np.zeros((b.shape[0] - 1, channels))
    subs = []
    for start in range(0, n - n % step, chunk):
        xc = np.nan_to_num(np.asarray(x[start:start + chunk], np.float64),
                           nan=0.0, posinf=1.0, neginf=-1.0)
        y, zi = lfilter(b, a, xc, axis=0, zi=zi)
        y *= y
        e = y @ w
        m = e.shape[0] // step
        subs.append(e[:m * step].reshape(m, step).sum(axis=1))
    s = np.concatenate(subs) if subs else np.zeros(0)
    if s.shape[0] < 4:
        return SILENT_LUFS
    blocks = (s[:-3] + s[1:-2] + s[2:-1] + s[3:]) / (4 * step)
    return _gate(blocks)


class LoudnessMeter:
    """Streaming BS.1770 loudness, hop by hop.

    ``process(samples, out)`` takes exactly ``hops * hop`` new frames, shape
    (n,) for mono or (n, channels), and writes ``out[:hops] = [[momentary,
    short_term], ...]`` in LUFS at the end of each hop. Windows reaching back
    before the first sample count the missing past as silence (as libebur128
    does). :meth:`integrated` gates everything seen so far.
    """

    names = ("momentary_lufs", "short_term_lufs")

    def __init__(self, *, sample_rate: int = 48000, hop: int = 256, channels: int = 1,
                 max_batch: int = 64, channel_weights=None):
        if hop < 1 or max_batch < 1 or channels < 1:
            raise ValueError("hop, max_batch and channels must be >= 1")
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.channels = int(channels)
        self.max_batch = int(max_batch)
        self._w = _channel_weights(self.channels, channel_weights)
        self._unit_weights = bool(np.all(self._w == 1.0))
        self._b, self._a = _k_filter(self.sample_rate)
        order = self._b.shape[0] - 1
        self._zi_shape = (order,) if self.channels == 1 else (order, self.channels)

        # Windows (momentary, short-term) as q whole hops plus an r-sample tail.
        lengths = [int(round(s * self.sample_rate)) for s in (0.4, 3.0)]
        self._q = [n // self.hop for n in lengths]
        self._r = [n % self.hop for n in lengths]
        self._keep = max(self._q)  # hops of history the windows need
        # Row sums as matrix-vector products (BLAS: ~2.5x numpy's add.reduce).
        self._ones = np.ones(self.hop)
        cap = self._keep + self.max_batch
        n = self.max_batch * self.hop
        self._energy = np.empty(n)  # weighted K-weighted energy per sample
        self._square = np.empty((n, self.channels)) if self.channels > 1 else None
        self._hop_e = np.empty(self.max_batch)  # energy of each new hop
        # Per hop, oldest first: cumulative energy relative to the oldest kept
        # hop (rebased every batch, so it never grows), and the tail energies.
        self._cum = np.zeros(cap + 1)
        self._tail_e = [np.zeros(cap) if r else None for r in self._r]
        self._sum_floor = np.array([_MS_FLOOR * n for n in lengths])
        self._db_offset = np.array([_OFFSET - 10.0 * math.log10(n) for n in lengths])

        self._step = _sub_block(self.sample_rate)
        self._block_inv = 1.0 / (4 * self._step)
        self._idx = np.zeros(n // self._step + 2, np.intp)
        self._idx_steps = self._step * np.arange(self._idx.shape[0] - 1, dtype=np.intp)
        self._sub_sums = np.empty(self._idx.shape[0])
        self._pending = np.empty(_PENDING_MAX)
        self._hist_count = np.zeros(_HIST_BINS, np.int64)
        self._hist_energy = np.zeros(_HIST_BINS)
        self.reset()

    def reset(self) -> None:
        """Forget everything: filter state, windows and the integrated value."""
        self._zi = np.zeros(self._zi_shape)
        self._cum[:] = 0.0
        for t in self._tail_e:
            if t is not None:
                t[:] = 0.0
        self._samples = 0  # frames seen
        self._sub_acc = 0.0  # energy of the sub-block in progress
        self._subs = [0.0, 0.0, 0.0]  # the three last complete sub-blocks
        self._n_subs = 0
        self._n_pending = 0  # block mean squares in _pending, not yet binned
        self._hist_count[:] = 0
        self._hist_energy[:] = 0.0

    @property
    def samples_seen(self) -> int:
        """Frames processed since construction or :meth:`reset`."""
        return self._samples

    def process(self, samples: np.ndarray, out: np.ndarray) -> None:
        """Consume ``hops * hop`` frames; write (hops, 2) LUFS into ``out``."""
        if self.channels == 1 and samples.ndim == 2 and samples.shape[1] == 1:
            samples = samples[:, 0]
        n = samples.shape[0]
        hops, rest = divmod(n, self.hop)
        shape_ok = samples.ndim == 1 if self.channels == 1 else (
            samples.ndim == 2 and samples.shape[1] == self.channels)
        if rest or not shape_ok:
            raise ValueError(f"samples must be (hops * {self.hop},) or "
                             f"(hops * {self.hop}, {self.channels}); got {samples.shape}")
        if out.ndim != 2 or out.shape[0] < hops or out.shape[1] != 2:
            raise ValueError(f"out must be at least ({hops}, 2); got {out.shape}")
        batch = self.max_batch
        if hops <= batch:
            if hops:
                self._batch(samples, hops, out)
            return
        for i in range(0, hops, batch):
            h = min(batch, hops - i)
            self._batch(samples[i * self.hop:i * self.hop + h * self.hop], h, out[i:i + h])

    def _batch(self, x: np.ndarray, hops: int, out: np.ndarray) -> None:
        n = hops * self.hop
        y, zf = lfilter(self._b, self._a, x, axis=0, zi=self._zi)
        e = self._weighted_energy(y, n)
        hop_e = self._add_hops(e, hops)
        if not math.isfinite(self._cum[self._keep + hops]):
            # NaN/inf in, or overflow: never poison the state. This batch
            # again, non-finite samples zeroed and clipped to full scale.
            x = np.clip(np.nan_to_num(np.asarray(x, np.float64), nan=0.0, posinf=1.0,
                                      neginf=-1.0), -1.0, 1.0)
            self._batch(x, hops, out)
            return
        self._zi = zf
        self._windows(e, hops, out)
        self._integrate(e, hop_e, n)

    def _weighted_energy(self, y: np.ndarray, n: int) -> np.ndarray:
        """(n,) the channel-weighted energy of the K-weighted samples ``y``."""
        e = self._energy[:n]
        if self.channels == 1:
            np.multiply(y, y, out=e)
        else:
            sq = self._square[:n]
            np.multiply(y, y, out=sq)
            if self._unit_weights:  # column adds: numpy's sum over a short axis is slow
                np.add(sq[:, 0], sq[:, 1], out=e)
                for c in range(2, self.channels):
                    e += sq[:, c]
            else:
                np.dot(sq, self._w, out=e)
        return e

    def _add_hops(self, e: np.ndarray, hops: int) -> np.ndarray:
        """Each hop's energy, (hops,), appended to the cumulative energy."""
        keep = self._keep
        hop_e = np.dot(e.reshape(hops, self.hop), self._ones, out=self._hop_e[:hops])
        cum = self._cum
        new_cum = cum[keep + 1:keep + 1 + hops]
        np.add.accumulate(hop_e, out=new_cum)
        new_cum += cum[keep]
        return hop_e

    def _windows(self, e: np.ndarray, hops: int, out: np.ndarray) -> None:
        """Momentary and short-term loudness at the end of each hop into ``out``."""
        hop, keep, cum = self.hop, self._keep, self._cum
        e2 = e.reshape(hops, hop)
        new_cum = cum[keep + 1:keep + 1 + hops]
        for tail, r in zip(self._tail_e, self._r):
            if tail is not None:
                np.dot(e2[:, hop - r:], self._ones[:r], out=tail[keep:keep + hops])

        # Momentary and short-term: each window sum is a difference of two
        # cumulative sums plus, when needed, the tail of the hop before it.
        for c, (q, tail) in enumerate(zip(self._q, self._tail_e)):
            dst = out[:hops, c]
            np.subtract(new_cum, cum[keep + 1 - q:keep + 1 - q + hops], out=dst)
            if tail is not None:
                dst += tail[keep - q:keep - q + hops]
        o = out[:hops]
        # -0.691 + 10 log10(sum / length), floored at SILENT_LUFS.
        np.maximum(o, self._sum_floor, out=o)
        np.log10(o, out=o)
        o *= 10.0
        o += self._db_offset
        np.maximum(o, SILENT_LUFS, out=o)
        np.subtract(cum[hops:hops + keep + 1], cum[hops], out=cum[:keep + 1])
        for tail in self._tail_e:
            if tail is not None:
                tail[:keep] = tail[hops:hops + keep]

    def _integrate(self, e: np.ndarray, hop_e: np.ndarray, n: int) -> None:
        """Integrated: 100 ms sub-blocks, each closing a 400 ms gating block."""
        step = self._step
        first = step - self._samples % step  # first sub-block boundary, 1..step
        self._samples += n
        if first > n:
            self._sub_acc += float(hop_e.sum())
            return
        n_bounds = (n - first) // step + 1
        inner = n_bounds if first + (n_bounds - 1) * step < n else n_bounds - 1
        idx = self._idx[:inner + 1]
        np.add(self._idx_steps[:inner], first, out=idx[1:])
        sums = self._sub_sums[:inner + 1]
        np.add.reduceat(e, idx, out=sums)
        vals = sums.tolist()
        s1, s2, s3 = self._subs
        count = self._n_subs
        pending = self._pending
        k = self._n_pending
        inv = self._block_inv
        v = self._sub_acc + vals[0]
        for j in range(n_bounds):
            if j:
                v = vals[j]
            if count >= 3:
                if k == _PENDING_MAX:
                    self._n_pending = k
                    self._flush()
                    k = 0
                pending[k] = (s1 + s2 + s3 + v) * inv
                k += 1
            s1, s2, s3 = s2, s3, v
            count += 1
        self._n_pending = k
        self._subs = [s1, s2, s3]
        self._n_subs = count
        self._sub_acc = vals[n_bounds] if inner == n_bounds else 0.0

    def _flush(self) -> None:
        if not self._n_pending:
            return
        z = self._pending[:self._n_pending]
        self._n_pending = 0
        with np.errstate(divide="ignore"):
            level = _OFFSET + 10.0 * np.log10(z)
        keep = level > ABSOLUTE_GATE_LUFS
        z, level = z[keep], level[keep]
        idx = np.clip(((level - _HIST_LO) / _HIST_BIN_LU).astype(np.intp), 0, _HIST_BINS - 1)
        self._hist_count += np.bincount(idx, minlength=_HIST_BINS)
        self._hist_energy += np.bincount(idx, weights=z, minlength=_HIST_BINS)

    def integrated(self) -> float:
        """Gated integrated loudness (LUFS) of everything seen; -120.0 if none passes."""
        self._flush()
        count = self._hist_count
        total = int(count.sum())
        if total == 0:
            return SILENT_LUFS
        energy = self._hist_energy
        relative = _OFFSET + 10.0 * math.log10(energy.sum() / total) + RELATIVE_GATE_LU
        # Bins whose centre lies above the relative gate.
        start = max(0, math.floor((relative - _HIST_LO) / _HIST_BIN_LU - 0.5) + 1)
        n = int(count[start:].sum())
        if n == 0:
            return SILENT_LUFS
        return _lufs(float(energy[start:].sum()) / n)
