"""The audio features a scene can read: their names, units and meaning.

This table is the single definition. The analyzer fills a :class:`FeatureFrame`
in this order, the renderer declares one GLSL uniform per entry, and the
README's uniform list is generated from it, so code and docs cannot disagree.
"""

from dataclasses import dataclass, field

import numpy as np

N_BANDS = 48
"""Log-spaced band energies exposed as ``iBands[48]``."""

TEXTURE_WIDTH = 512
"""Width of Shadertoy's audio texture (spectrum row and waveform row)."""


@dataclass(frozen=True)
class Feature:
    """One scalar feature: ``name`` in Python, ``uniform`` in GLSL."""

    name: str
    uniform: str
    unit: str
    description: str


SCALAR_FEATURES: tuple[Feature, ...] = (
    # Loudness and spectrum (every visualizer has these).
    Feature("level", "iLevel", "0..1",
            "Loudness (RMS) relative to the recent peak: automatic gain, so a quiet "
            "room mic and a hot line input both fill the range. Attack 10 ms, release 250 ms."),
    Feature("bass", "iBass", "0..1",
            "Energy from 30 to 250 Hz (kick, bass, baritone sax), automatic gain, "
            "attack 5 ms, release 150 ms."),
    Feature("mid", "iMid", "0..1",
            "Energy from 250 Hz to 2 kHz (the body of a saxophone), automatic gain."),
    Feature("high", "iHigh", "0..1",
            "Energy from 2 to 16 kHz (breath, cymbals, brightness), automatic gain."),
    Feature("level_db", "iLevelDb", "dBFS",
            "Unsmoothed RMS level of the newest window in dB full scale (-120 for silence)."),
    # Rhythm.
    Feature("onset", "iOnset", "0..1",
            "Onset pulse: 1 when a note or hit starts (SuperFlux attacks, and slurred note "
            "changes of the lead's pitch; not vibrato), decaying over about 150 ms."),
    Feature("onset_count", "iOnsetCount", "count", "Onsets since the start."),
    Feature("beat", "iBeat", "0..1",
            "Beat pulse: 1 on each beat, decaying over about 100 ms. Live it fires at the "
            "predicted beat time, not after hearing it."),
    Feature("beat_phase", "iBeatPhase", "0..1", "Position between two beats: 0 on the beat."),
    Feature("bar_phase", "iBarPhase", "0..1", "Position in a 4/4 bar: 0 on the downbeat."),
    Feature("tempo", "iTempo", "BPM", "Tempo, 60 to 200 BPM (tap tempo overrides it)."),
    Feature("beat_count", "iBeatCount", "count", "Beats since the start."),
    # The saxophone: pitch and expression.
    Feature("pitch", "iPitch", "Hz", "Fundamental frequency of the lead (50 to 1400 Hz); "
            "0 when unvoiced."),
    Feature("pitch_confidence", "iConfidence", "0..1", "Confidence of the pitch estimate."),
    Feature("voiced", "iVoiced", "0 or 1", "1 while a pitched note sounds."),
    Feature("note", "iNote", "MIDI", "Nearest note in the player's own tuning "
            "(60 = middle C), held through rests."),
    Feature("cents", "iCents", "cents", "Deviation from that note, -50..50, in the player's tuning."),
    Feature("tuning", "iTuning", "cents", "The player's reference pitch relative to A440."),
    Feature("vibrato_rate", "iVibratoRate", "Hz", "Vibrato rate (about 4 to 8 Hz); 0 without vibrato."),
    Feature("vibrato_depth", "iVibratoDepth", "cents", "Vibrato depth (peak deviation); 0 without vibrato."),
    Feature("brightness", "iBrightness", "0..1",
            "Spectral centroid on a log scale, 250 Hz -> 0 to 8 kHz -> 1: how bright the tone is."),
    Feature("breath", "iBreath", "0..1",
            "Breathiness: spectral flatness from 100 Hz to 12 kHz in dB relative to white "
            "noise, -40 dB -> 0 (a pure tone) to 0 dB -> 1 (air)."),
    # Loudness as a listener hears it, and the shape of the performance.
    Feature("loudness_momentary", "iLoudnessM", "LUFS",
            "Momentary loudness (400 ms, K-weighted, ITU-R BS.1770); -120 in silence."),
    Feature("loudness_short", "iLoudnessS", "LUFS", "Short-term loudness (3 s, BS.1770)."),
    Feature("dynamics", "iDynamics", "0..1",
            "Short-term loudness relative to the last 30 s: 0.5 as usual, 1 = 10 LU louder, "
            "0 = 10 LU softer."),
    Feature("intensity", "iIntensity", "0..1",
            "The intensity arc: a slow (about 10 s) measure of how much is happening "
            "(loudness, onset density, brightness)."),
    Feature("climax", "iClimax", "0..1",
            "Climax pulse: 1 when the intensity arc peaks after a build (the vortex moment), "
            "decaying over about 4 s."),
)

FEATURE_INDEX = {f.name: i for i, f in enumerate(SCALAR_FEATURES)}


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
