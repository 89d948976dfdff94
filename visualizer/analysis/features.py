"""The audio features a scene can read: their names, units and meaning.

This table is the single definition. The analyzer fills a :class:`FeatureFrame`
in this order, the renderer declares one GLSL uniform per entry, and the
README's uniform list is generated from it, so code and docs cannot disagree.
Each entry also declares its :class:`Latency`, from which the zero-lag
offline track (:mod:`visualizer.analysis.track`) moves it back in time.
"""

from dataclasses import dataclass, field

import numpy as np

N_BANDS = 48
"""Log-spaced band energies exposed as ``iBands[48]``."""

TEXTURE_WIDTH = 512
"""Width of Shadertoy's audio texture (spectrum row and waveform row)."""


@dataclass(frozen=True)
class Latency:
    """How far a feature's streaming value trails the audio it describes.

    The live analyzer can only describe the past: a window ending now
    describes its centre, a detector decides a little after the sound. The
    zero-lag offline track moves each feature back by its latency, so that a
    row describes the audio at its own time. ``source`` says where the
    latency comes from (the analyzer turns it into hops,
    :meth:`~visualizer.analysis.analyzer.Analyzer.latency_hops`):

    * ``"window"``: the centre of the spectral window, ``n_fft / 2`` samples
      before its newest (:data:`SPECTRAL_WINDOW`);
    * ``"pitch"``: the pitch tracker's own latency (:data:`PITCH_TRACKER`);
    * ``"fixed"``: ``seconds``, such as the centre of a loudness window
      (:func:`fixed`);
    * ``"recomputed"``: not moved; the offline pass decides the feature
      afresh from the whole recording (events: onsets each by their own lag,
      the beat grid by dynamic programming; and what is derived from other
      features, the arc) (:data:`RECOMPUTED`).
    """

    source: str
    seconds: float = 0.0

    def __post_init__(self):
        if self.source not in LATENCY_SOURCES:
            raise ValueError(f"latency source {self.source!r}: expected one of {LATENCY_SOURCES}")


LATENCY_SOURCES = ("window", "pitch", "fixed", "recomputed")
SPECTRAL_WINDOW = Latency("window")
PITCH_TRACKER = Latency("pitch")
RECOMPUTED = Latency("recomputed")


def fixed(seconds: float) -> Latency:
    """A latency of a fixed number of seconds."""
    return Latency("fixed", float(seconds))


@dataclass(frozen=True)
class Feature:
    """One scalar feature: ``name`` in Python, ``uniform`` in GLSL, and the
    ``latency`` of its streaming value."""

    name: str
    uniform: str
    unit: str
    description: str
    latency: Latency


SCALAR_FEATURES: tuple[Feature, ...] = (
    # Loudness and spectrum (every visualizer has these).
    Feature("level", "iLevel", "0..1",
            "Loudness (RMS) relative to the recent peak: automatic gain, so a quiet "
            "room mic and a hot line input both fill the range. Attack 10 ms, release 250 ms.",
            latency=SPECTRAL_WINDOW),
    Feature("bass", "iBass", "0..1",
            "Energy from 30 to 250 Hz (kick, bass, baritone sax), automatic gain, "
            "attack 5 ms, release 150 ms.",
            latency=SPECTRAL_WINDOW),
    Feature("mid", "iMid", "0..1",
            "Energy from 250 Hz to 2 kHz (the body of a saxophone), automatic gain.",
            latency=SPECTRAL_WINDOW),
    Feature("high", "iHigh", "0..1",
            "Energy from 2 to 16 kHz (breath, cymbals, brightness), automatic gain.",
            latency=SPECTRAL_WINDOW),
    Feature("level_db", "iLevelDb", "dBFS",
            "Unsmoothed RMS level of the newest window in dB full scale (-120 for silence).",
            latency=SPECTRAL_WINDOW),
    # Rhythm.
    Feature("onset", "iOnset", "0..1",
            "Onset pulse: 1 when a note or hit starts (SuperFlux attacks, and slurred note "
            "changes of the lead's pitch; not vibrato), decaying over about 150 ms.",
            latency=RECOMPUTED),
    Feature("onset_count", "iOnsetCount", "count", "Onsets since the start.",
            latency=RECOMPUTED),
    Feature("beat", "iBeat", "0..1",
            "Beat pulse: 1 on each beat, decaying over about 100 ms. Live it fires at the "
            "predicted beat time, not after hearing it.",
            latency=RECOMPUTED),
    Feature("beat_phase", "iBeatPhase", "0..1", "Position between two beats: 0 on the beat.",
            latency=RECOMPUTED),
    Feature("bar_phase", "iBarPhase", "0..1", "Position in a 4/4 bar: 0 on the downbeat.",
            latency=RECOMPUTED),
    Feature("tempo", "iTempo", "BPM", "Tempo, 60 to 200 BPM (tap tempo overrides it).",
            latency=RECOMPUTED),
    Feature("beat_count", "iBeatCount", "count", "Beats since the start.",
            latency=RECOMPUTED),
    # The saxophone: pitch and expression.
    Feature("pitch", "iPitch", "Hz", "Fundamental frequency of the lead (50 to 1400 Hz); "
            "0 when unvoiced.",
            latency=PITCH_TRACKER),
    Feature("pitch_confidence", "iConfidence", "0..1", "Confidence of the pitch estimate.",
            latency=PITCH_TRACKER),
    Feature("voiced", "iVoiced", "0 or 1", "1 while a pitched note sounds.",
            latency=PITCH_TRACKER),
    Feature("note", "iNote", "MIDI", "Nearest note in the player's own tuning "
            "(60 = middle C), held through rests.",
            latency=PITCH_TRACKER),
    Feature("cents", "iCents", "cents", "Deviation from that note, -50..50, in the player's tuning.",
            latency=PITCH_TRACKER),
    Feature("tuning", "iTuning", "cents", "The player's reference pitch relative to A440.",
            latency=PITCH_TRACKER),
    Feature("vibrato_rate", "iVibratoRate", "Hz", "Vibrato rate (about 4 to 8 Hz); 0 without vibrato.",
            latency=PITCH_TRACKER),
    Feature("vibrato_depth", "iVibratoDepth", "cents", "Vibrato depth (peak deviation); 0 without vibrato.",
            latency=PITCH_TRACKER),
    Feature("brightness", "iBrightness", "0..1",
            "Spectral centroid on a log scale, 250 Hz -> 0 to 8 kHz -> 1: how bright the tone is.",
            latency=SPECTRAL_WINDOW),
    Feature("breath", "iBreath", "0..1",
            "Breathiness: spectral flatness from 100 Hz to 12 kHz in dB relative to white "
            "noise, -40 dB -> 0 (a pure tone) to 0 dB -> 1 (air).",
            latency=SPECTRAL_WINDOW),
    # Loudness as a listener hears it, and the shape of the performance.
    Feature("loudness_momentary", "iLoudnessM", "LUFS",
            "Momentary loudness (400 ms, K-weighted, ITU-R BS.1770); -120 in silence.",
            latency=fixed(0.2)),  # the centre of 400 ms
    Feature("loudness_short", "iLoudnessS", "LUFS", "Short-term loudness (3 s, BS.1770).",
            latency=fixed(1.5)),  # the centre of 3 s
    Feature("dynamics", "iDynamics", "0..1",
            "Short-term loudness relative to the last 30 s: 0.5 as usual, 1 = 10 LU louder, "
            "0 = 10 LU softer.",
            latency=RECOMPUTED),
    Feature("intensity", "iIntensity", "0..1",
            "The intensity arc: a slow (about 10 s) measure of how much is happening "
            "(loudness, onset density, brightness).",
            latency=RECOMPUTED),
    Feature("climax", "iClimax", "0..1",
            "Climax pulse: 1 when the intensity arc peaks after a build (the vortex moment), "
            "decaying over about 4 s.",
            latency=RECOMPUTED),
)

FEATURE_INDEX = {f.name: i for i, f in enumerate(SCALAR_FEATURES)}


def columns(names) -> slice | np.ndarray:
    """Where the features ``names`` sit in a row of values, in that order: a
    slice when they are consecutive and in order (writing them is then one
    copy into a view), else an index array."""
    idx = [FEATURE_INDEX[n] for n in names]
    if idx == list(range(idx[0], idx[0] + len(idx))):
        return slice(idx[0], idx[-1] + 1)
    return np.array(idx, np.intp)


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
