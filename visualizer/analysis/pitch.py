"""Streaming pitch tracking for one monophonic voice (a saxophone): YIN f0,
voicing and confidence, note names in the player's own tuning, vibrato.

Numpy only, causal, vectorised over the hops of a batch; every work array is
allocated once (numpy's FFT and a few reductions keep small temporaries of
their own).

Per batch of hops, :class:`PitchTracker` runs five steps, each in a module
of its own where the step is described in full:

1. **The stream, rebuilt and decimated** (:mod:`~visualizer.analysis.decimation`):
   the analyzer's mean-removed frames back into one continuous stream,
   low-passed and decimated 48 kHz -> 12 kHz, 64 samples per hop.
2. **YIN every ``step`` hops** (:mod:`~visualizer.analysis.yin`; default
   step 2: 10.7 ms) on the newest 512 samples at 12 kHz (42.7 ms), with
   octave protection both ways and a parabolic refinement of the lag.
3. **Voicing and continuity** (here). confidence = 1 - d' at the dip, times
   an energy gate (0 at 75 dB below the player's recent peak level, or
   -90 dBFS, and 1 from 10 dB above that), so silence and breath are
   unvoiced. Voiced switches on at confidence 0.75 with a dip below the
   threshold and off below 0.6 (hysteresis). The period is the median of
   the last three estimates, where an estimate that was not periodic stands
   in as the newest one: a single-frame octave jump is removed and a note
   that starts after silence is not held back.
4. **Tuning** (:mod:`~visualizer.analysis.tuning`): a circular mean of the
   stable voiced estimates' deviations from the equal tempered grid, so
   notes are named in the player's own tuning.
5. **Vibrato** (:mod:`~visualizer.analysis.vibrato`), every 4th estimate
   (43 ms), held in between: a least-squares sinusoid over the last 0.5 s
   of voiced pitch.

Outputs are per hop; a hop without its own estimate holds the previous one.
"""

import numpy as np

from visualizer.analysis.decimation import StreamDecimator, decimation_factor
from visualizer.analysis.tuning import Tuning
from visualizer.analysis.vibrato import Vibrato
from visualizer.analysis.yin import Yin


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

    def __init__(self, *, sample_rate: int = 48000, hop: int = 256, fmin: float = 50.0,
                 fmax: float = 1400.0, max_batch: int = 64, step: int = 2):
        if not 0 < fmin < fmax:
            raise ValueError("need 0 < fmin < fmax")
        dec = decimation_factor(sample_rate)
        if hop % dec:
            raise ValueError(f"hop ({hop}) must be a multiple of the decimation factor ({dec})")
        if step < 1 or max_batch < 1:
            raise ValueError("step and max_batch must be >= 1")
        fs = sample_rate / dec
        if fmax >= 0.4 * fs:
            raise ValueError(f"fmax must be below {0.4 * fs:.0f} Hz")
        self.sample_rate, self.hop, self.step, self.max_batch = sample_rate, hop, step, max_batch
        self._fs = fs
        self._emax = emax = -(-max_batch // step) + 1  # estimates per batch, at most
        est_dt = hop * step / sample_rate              # seconds between estimates
        self._yin = Yin(fs=fs, fmin=fmin, fmax=fmax, n_estimates=emax)
        self._stream = StreamDecimator(sample_rate=sample_rate, hop=hop, max_batch=max_batch,
                                       history=self._yin.l)
        self._hpd = self._stream.hop_out
        self._init_voicing(est_dt)
        self._tuning = Tuning(fs=fs, estimate_seconds=est_dt, n_estimates=emax)
        self._vibrato = Vibrato(estimate_seconds=est_dt, n_estimates=emax)
        # Output: row 0 is the previous output row, rows 1.. this batch's estimates.
        self._table = np.zeros((emax + 1, len(self.names)))
        self._rowmaps = [np.where(np.arange(max_batch) >= s, (np.arange(max_batch) - s) // step + 1,
                                  0).astype(np.intp) for s in range(step)]
        self._last_note = 0.0
        self._hops = 0
        # Latency, in hops: the centre of the compared data trails the newest
        # sample by about W/2 plus half a period (~4 ms for a sax), the median
        # waits for a second estimate, and hops between estimates hold the
        # last one (half a step on average). Checked with pitch steps in the tests.
        self.latency_hops = int(round((self._yin.w / 2 + 0.004 * fs) / self._hpd
                                      + step + (step - 1) / 2))

    def _init_voicing(self, est_dt: float) -> None:
        emax = self._emax
        f = lambda dtype=np.float64: np.empty(emax, dtype)
        self._conf, self._gate = f(), f()
        self._voiced = f(bool)
        self._voiced_state = False
        self._on, self._off, self._decisive = f(bool), f(bool), f(bool)
        self._last, self._last0 = f(np.intp), f(np.intp)
        self._arange_e = np.arange(emax)
        # Median of three: two previous (lag, periodic) pairs, then this batch.
        self._lag = np.zeros(emax + 2)
        self._per = np.zeros(emax + 2, bool)
        self._nper = np.ones(emax + 2, bool)
        self._ma, self._mb, self._mlo, self._mhi = f(), f(), f(), f()
        # The relative energy gate's decaying peak (dB) and its per-estimate fall.
        self._peak_db = self.GATE_FLOOR_DB
        self._peak_steps = self.PEAK_DECAY_DB_PER_S * est_dt * np.arange(1, emax + 1)
        self._ref = f()

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
        self._stream.push(frames, hops)
        step = self.step
        first = (step - 1 - self._hops) % step
        e = 0 if first >= hops else (hops - 1 - first) // step + 1
        if e:
            self._estimate(first, e)
        self._table.take(self._rowmaps[first][:hops], axis=0, out=out)
        self._table[0] = self._table[e]
        self._hops += hops
        self._stream.advance(hops)

    def _estimate(self, first: int, e: int) -> None:
        """The ``e`` estimates of this batch, the first at hop ``first``, into the table."""
        # Frames ending at the estimate hops: row i ends at L + (i + 1) * hpd.
        s0 = (first + 1) * self._hpd
        tauf = self._yin.estimate(self._stream.stream[s0:], self.step * self._hpd, e)
        conf = self._confidence(e)
        found = self._yin.found(e)
        voiced = self._voicing(e, conf, found)
        self._median(e, tauf, conf, found)
        midi, note, cents, tuning = self._tuning.name(e, tauf, conf, voiced)
        vibrato = self._vibrato.process(e, midi, voiced)
        self._write_table(e, tauf, conf, voiced, note, cents, tuning, vibrato)

    def _confidence(self, e: int) -> np.ndarray:
        """Periodicity (1 - d' at the dip) times an energy gate, (e,)."""
        conf = self._yin.periodicity(e, self._conf[:e])
        gate = self._yin.level_db(e, self._gate[:e])  # the frame's level in dB
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
        on, off, dec = self._on[:e], self._off[:e], self._decisive[:e]
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


    def _write_table(self, e: int, tauf: np.ndarray, conf: np.ndarray, voiced: np.ndarray,
                     note: np.ndarray, cents: np.ndarray, tuning: np.ndarray,
                     vibrato: np.ndarray) -> None:
        """The estimates' output rows into ``_table[1:e + 1]``."""
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
        np.multiply(vibrato, voiced[:, None], out=table[:, 6:8])

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
