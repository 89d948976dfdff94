"""Note names in the player's own tuning.

Each stable voiced pitch estimate adds its deviation from the equal tempered
grid as a unit phasor (a circular mean: +50 and -50 cents are the same place)
weighted by confidence, to a sum that decays with a time constant of 15 s of
voiced playing; long notes weigh more because they last longer. A prior at
0 cents worth 1 s of playing, fading over 2 s of voiced playing, makes it
start at A440. Notes are named after removing that offset, so a player
35 cents flat gets the right names; cents are the deviation in their own
tuning.
"""

import math

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: int) -> str:
    """'C4' for MIDI note 60."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


class Tuning:
    """The player's reference pitch, and each estimate's note and cents in it.

    Streaming over batches of up to ``n_estimates`` pitch estimates,
    ``estimate_seconds`` apart, of a stream at ``fs`` Hz.
    """

    TAU_S = 15.0
    """Time constant of the tuning's memory, in seconds of voiced playing."""
    PRIOR_S = 1.0
    """The prior at A440 weighs as much as this much playing..."""
    PRIOR_FADE_S = 2.0
    """...and fades with this time constant of voiced playing."""
    STABLE_SEMITONES = 0.15
    """An estimate feeds the tuning when it moved less than this since the previous one."""

    def __init__(self, *, fs: float, estimate_seconds: float, n_estimates: int):
        est_dt = estimate_seconds
        f = lambda dtype=np.float64: np.empty(n_estimates, dtype)
        self._midi, self._dev, self._wt, self._move = f(), f(), f(), f()
        self._ph = np.empty(n_estimates, np.complex128)
        self._cs = np.empty(n_estimates, np.complex128)
        self._vcount, self._rpow, self._tuning = f(), f(), f()
        self._note, self._cents = f(), f()
        self._tune_r = math.exp(-est_dt / self.TAU_S)
        self._tune_sum = 0j
        self._prior_r = math.exp(-est_dt / self.PRIOR_FADE_S)
        self._prior_now = self.PRIOR_S / est_dt
        self._prev_midi = 0.0
        self._prev_voiced = False
        self._midi_const = 69.0 + 12.0 * math.log2(fs / 440.0)

    def name(self, e: int, tauf: np.ndarray, conf: np.ndarray, voiced: np.ndarray):
        """Periods (samples) -> ``(midi, note, cents, tuning)``, each (e,) float.

        ``midi`` the fractional MIDI pitch in A440, ``note`` the nearest note
        in the player's tuning, ``cents`` the deviation from it, ``tuning`` the
        player's reference in semitones from A440. Views of work arrays,
        valid until the next call.
        """
        midi = self._midi[:e]
        np.log2(tauf, out=midi)                        # midi = 69 + 12 log2(fs / tau / 440)
        midi *= -12.0
        midi += self._midi_const
        tuning = self._update(e, midi, conf, voiced)
        note, cents = self._note[:e], self._cents[:e]
        np.subtract(midi, tuning, out=cents)
        np.rint(cents, out=note)
        cents -= note
        cents *= 100.0
        self._prev_midi = float(midi[e - 1])
        self._prev_voiced = bool(voiced[e - 1])
        return midi, note, cents, tuning

    def _update(self, e: int, midi: np.ndarray, conf: np.ndarray,
                voiced: np.ndarray) -> np.ndarray:
        """Feed the stable voiced estimates to the circular mean; the tuning
        (semitones) after each estimate, (e,)."""
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
        return tuning
