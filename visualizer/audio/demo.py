"""Built-in demo track, synthesised deterministically in pure numpy.

"Steppe to Almaty": about 20 s of 48 kHz stereo, an E dorian jazz vamp at
120 BPM in which a saxophone-like lead (a nomad's pentatonic turns, swung)
plays over walking bass, kick and brushes. It lets the visualizer run and be
tested with no microphone, no files and no downloads.

Sections (seconds): 0-4 intro (bass + soft lead, no drums), 4-14 groove that
builds louder and denser, 14-17 climax (loudest, highest notes), 17-20 quiet
ending that fades to silence.
"""
from __future__ import annotations

import os
import wave

import numpy as np

DEMO_SAMPLE_RATE = 48000
DEMO_TEMPO_BPM = 120.0
DEMO_DURATION_S = 20.0

_BEAT_S = 60.0 / DEMO_TEMPO_BPM
_SEED = 1991  # fixed so that every render is byte-identical
_SWING = 0.6  # off-beat eighths land at 60 % of the beat: a light lilt, not triplets

# Lead in E dorian: (start beat, length in beats, MIDI note, scoop into it?).
# Six phrases with breaths between them; the line climbs to E5 for the climax.
_MELODY = (
    (1.0, .5, 59, 0), (1.5, .5, 62, 0), (2.0, 1.5, 64, 1), (3.5, .5, 62, 0),
    (4.0, .5, 59, 0), (4.5, .5, 55, 0), (5.0, 2.0, 57, 1),
    (8.0, .5, 64, 0), (8.5, .5, 67, 0), (9.0, 1.0, 69, 1), (10.0, .5, 71, 0),
    (10.5, .5, 69, 0), (11.0, .5, 67, 0), (11.5, .5, 64, 0), (12.0, .5, 66, 0),
    (12.5, .5, 64, 0), (13.0, .5, 61, 0), (13.5, 2.0, 64, 1),
    (16.0, .5, 59, 0), (16.5, .5, 62, 0), (17.0, .5, 64, 0), (17.5, .5, 67, 0),
    (18.0, 1.0, 69, 1), (19.0, .5, 71, 0), (19.5, 1.5, 74, 1), (21.0, .5, 71, 0),
    (21.5, .5, 69, 0), (22.0, .5, 67, 0), (22.5, 1.0, 64, 0),
    (24.0, .5, 66, 0), (24.5, .5, 69, 0), (25.0, .5, 71, 0), (25.5, 1.0, 75, 1),
    (26.5, .5, 73, 0), (27.0, .5, 71, 0), (27.5, .5, 75, 0),
    (28.0, 2.0, 76, 1), (30.0, .5, 74, 0), (30.5, .5, 76, 0), (31.0, .5, 74, 0),
    (31.5, .5, 71, 0), (32.0, 1.0, 76, 1), (33.0, .5, 73, 0), (33.5, .5, 71, 0),
    (34.5, .5, 69, 0), (35.0, .5, 67, 0), (35.5, .5, 64, 0), (36.0, .5, 62, 0),
    (36.5, .5, 59, 0), (37.0, .5, 57, 0), (37.5, 2.3, 52, 1),
)
# Bass: two bars of half-note pedal, seven walking bars (Em7 A7 Em7 Cmaj7 B7
# Em7 A7 with a chromatic slide home), then a held low E under the fade.
_BASS_PEDAL = ((0, 40), (2, 35), (4, 33), (6, 40))
_BASS_WALK = ((40, 43, 45, 47), (45, 43, 40, 37), (40, 42, 43, 45), (48, 47, 45, 43),
              (47, 45, 42, 39), (40, 43, 45, 47), (45, 44, 43, 42))
# (time s, intensity 0..1): one curve drives every part, so sections differ by 10+ dB.
_INTENSITY = ((0.0, 0.22), (4.0, 0.3), (13.99, 0.75), (14.0, 1.0), (17.0, 1.0),
              (17.6, 0.4), (20.0, 0.25))


def _midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _swing(beat: float) -> float:
    """Beat position -> seconds, delaying off-beat eighths to the swing point."""
    whole, frac = divmod(beat, 1.0)
    frac = frac * 2 * _SWING if frac < 0.5 else _SWING + (frac - 0.5) * 2 * (1 - _SWING)
    return (whole + frac) * _BEAT_S


def _intensity(t_s):
    x, y = zip(*_INTENSITY)
    return np.interp(t_s, x, y)


def demo_lead_notes() -> list[tuple[float, float, int]]:
    """Lead melody as ``(onset_s, offset_s, midi)`` tuples in time order.

    Times are seconds from the start of :func:`demo_track` (swing applied);
    ``offset_s`` is where the note has fully released. MIDI 52-76 (E3-E5).
    """
    return [(_swing(b), _swing(b + d), m) for b, d, m, _ in _MELODY]


def demo_beat_times() -> np.ndarray:
    """Kick-drum times in seconds, shape ``(n_kicks,)``: every beat from 4 s to 17 s."""
    return np.arange(8, 35) * _BEAT_S


def _band_noise(rng, n: int, sr: int, centre_hz: float, octaves: float) -> np.ndarray:
    """Unit-RMS noise with a smooth log-Gaussian band (no brick-wall ringing)."""
    f = np.fft.rfftfreq(n, 1.0 / sr)
    centre_hz = min(centre_hz, 0.35 * sr)
    shape = np.exp(-0.5 * (np.log2(np.maximum(f, 1.0) / centre_hz) / octaves) ** 2)
    x = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def _sax_note(f0: float, n: int, sr: int, vel: float, scoop: bool, rng):
    """One lead note of ``n`` samples -> (audio, amplitude envelope), both (n,)."""
    t = np.arange(n) / sr
    dur = n / sr
    depth = 20.0 * np.clip((t - 0.25) / 0.35, 0.0, 1.0)  # cents; blooms only on held notes
    vib = np.sin(2 * np.pi * (5.5 + 0.3 * rng.uniform(-1, 1)) * t)
    bend = -(90.0 if scoop else 12.0) * np.exp(-t / 0.035)  # players lip up into notes
    cents = depth * vib + bend + rng.uniform(-4.0, 4.0)
    phase = 2 * np.pi * np.cumsum(f0 * 2.0 ** (cents / 1200.0)) / sr + rng.uniform(0, 2 * np.pi)

    t_att = 0.045 if dur > 0.35 else 0.03
    t_rel = min(0.05, 0.25 * dur)
    att = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / t_att, 0.0, 1.0))
    rel = 0.5 - 0.5 * np.cos(np.pi * np.clip((dur - t) / t_rel, 0.0, 1.0))
    swell = 1.0 + 0.15 * np.clip(t, 0.0, 1.0)  # long tones are pushed, as a player does
    env = att * rel * swell * (1.0 + 0.04 * (depth / 20.0) * vib)

    # Conical bore: odd and even harmonics, two formant bumps, and a tilt that
    # brightens with dynamics; the attack starts dark and opens up.
    h = np.arange(1, int(min(0.45 * sr, 8000.0) // f0) + 1)
    fh = h * f0
    formant = (1.0 + 2.0 * np.exp(-0.5 * (np.log2(fh / 600.0) / 0.5) ** 2)
               + 1.2 * np.exp(-0.5 * (np.log2(fh / 1900.0) / 0.6) ** 2))
    bright = h ** -(1.4 - 0.6 * vel) * formant / (1.0 + (fh / (2500.0 + 3000.0 * vel)) ** 4)
    dark = bright * h ** -1.5
    bright /= np.sqrt(np.sum(bright ** 2))
    dark /= np.sqrt(np.sum(dark ** 2))

    # sin(k x) by Chebyshev recurrence: one multiply-add per harmonic, no sin().
    s_prev, s_cur = np.zeros(n), np.sin(phase)
    two_cos = 2.0 * np.cos(phase)
    acc_b, acc_d = np.zeros(n), np.zeros(n)
    for a_b, a_d in zip(bright, dark):
        acc_b += a_b * s_cur
        acc_d += a_d * s_cur
        s_prev, s_cur = s_cur, two_cos * s_cur - s_prev
    blend = np.clip(t / 0.08, 0.0, 1.0)
    return (acc_d + blend * (acc_b - acc_d)) * env, env


def _render_lead(sr: int, n_total: int, rng) -> np.ndarray:
    lead, env_sum, chiff = np.zeros(n_total), np.zeros(n_total), np.zeros(n_total)
    for (on, off, midi), scoop in zip(demo_lead_notes(), (m[3] for m in _MELODY)):
        i0, i1 = round(on * sr), min(round(off * sr), n_total)
        vel = min(1.0, float(_intensity(on)) * (1.0 + 0.1 * (midi - 64) / 12.0))
        tone, env = _sax_note(_midi_hz(midi), i1 - i0, sr, vel, bool(scoop), rng)
        gain = vel ** 1.2
        lead[i0:i1] += gain * tone
        env_sum[i0:i1] += gain * env
        chiff[i0:i1] += gain * env * np.exp(-np.arange(i1 - i0) / (0.04 * sr))
    breath = _band_noise(rng, n_total, sr, 2200.0, 0.8) * (0.06 * env_sum + 0.2 * chiff)
    return lead + breath


def _render_bass(sr: int, n_total: int) -> np.ndarray:
    notes = [(b, 2.0, m) for b, m in _BASS_PEDAL]
    for bar, walk in enumerate(_BASS_WALK):
        notes += [(8 + 4 * bar + i, 1.0, m) for i, m in enumerate(walk)]
    notes.append((36, 4.0, 40))
    out = np.zeros(n_total)
    for beat, length, midi in notes:
        i0, n = round(beat * _BEAT_S * sr), round(length * _BEAT_S * sr)
        n = min(n, n_total - i0)
        t = np.arange(n) / sr
        x = 2 * np.pi * _midi_hz(midi) * t
        tone = np.sin(x) - np.sin(3 * x) / 9.0 + np.sin(5 * x) / 25.0  # rounded triangle
        env = np.clip(t / 0.015, 0, 1) * np.exp(-t / 0.7) * np.clip((n / sr - t) / 0.03, 0, 1)
        out[i0:i0 + n] += tone * env * (0.55 + 0.45 * float(_intensity(beat * _BEAT_S)))
    return out


def _place(buf: np.ndarray, x: np.ndarray, t_s: float, sr: int) -> None:
    i = round(t_s * sr)
    m = min(len(x), len(buf) - i)
    buf[i:i + m] += x[:m]


def _render_drums(sr: int, n_total: int, rng):
    """Kick and hats/brushes as two mono (n_total,) tracks."""
    t = np.arange(int(0.35 * sr)) / sr
    freq = 48.0 + 110.0 * np.exp(-t / 0.025)  # pitch drop gives the thump
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.11)
    kick += 0.25 * _band_noise(rng, len(t), sr, 3500.0, 1.0) * np.exp(-t / 0.004)
    th = t[: int(0.25 * sr)]

    def hat(decay_s, centre_hz):
        return _band_noise(rng, len(th), sr, centre_hz, 0.6) * np.exp(-th / decay_s)

    kicks, hats = np.zeros(n_total), np.zeros(n_total)
    for t_s in demo_beat_times():
        _place(kicks, kick * (0.3 + 0.7 * float(_intensity(t_s))), t_s, sr)
    for beat in range(8, 34):  # density grows: 2 & 4, then swung skips, then brushes
        level = float(_intensity(beat * _BEAT_S))
        if beat % 2:
            _place(hats, 0.6 * level * hat(0.03, 8000.0), beat * _BEAT_S, sr)
        if beat >= 16:
            _place(hats, 0.4 * level * hat(0.025, 9500.0), _swing(beat + 0.5), sr)
        if beat >= 24:
            _place(hats, 0.25 * level * hat(0.12, 4500.0), beat * _BEAT_S + 0.01, sr)
    return kicks, hats


def _reverb(send: np.ndarray, sr: int, rng) -> np.ndarray:
    """Small club room: mono (n,) send -> stereo (n, 2) wet signal, via FFT convolution."""
    m = int(1.2 * sr)
    ir = rng.standard_normal((2, m)) * np.exp(-np.arange(m) / (0.17 * sr))
    ir[:, : int(0.018 * sr)] = 0.0  # pre-delay keeps the dry attack clear
    ir /= np.sqrt(np.sum(ir[0] ** 2))
    nfft = 1 << int(np.ceil(np.log2(len(send) + m)))
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    colour = (f / 250.0) ** 2 / (1.0 + (f / 250.0) ** 2) / (1.0 + (f / 4000.0) ** 2)
    spec = np.fft.rfft(send, nfft) * np.fft.rfft(ir, nfft, axis=1) * colour
    return np.fft.irfft(spec, nfft, axis=1)[:, : len(send)].T


def _pan(x: np.ndarray, pos: float) -> np.ndarray:
    """Equal-power pan, pos 0 = left, 1 = right: (n,) -> (n, 2)."""
    return x[:, None] * np.array([np.cos(pos * np.pi / 2), np.sin(pos * np.pi / 2)])


def demo_track(sample_rate: int = DEMO_SAMPLE_RATE) -> np.ndarray:
    """Render the demo track.

    Returns a float32 array of shape ``(n_samples, 2)`` (left, right) with
    ``n_samples = round(20 s * sample_rate)``, values in [-1, 1], peak at
    about -1 dBFS. Deterministic: identical output on every call.
    """
    sr = int(sample_rate)
    n = int(round(DEMO_DURATION_S * sr))
    rng = np.random.default_rng(_SEED)
    lead = _render_lead(sr, n, rng)
    bass = _render_bass(sr, n)
    kicks, hats = _render_drums(sr, n, rng)
    mix = (_pan(lead, 0.42) + 0.55 * _pan(bass, 0.5) + _pan(kicks, 0.5)
           + 0.2 * _pan(hats, 0.68))
    mix += 0.3 * _reverb(0.8 * lead + 0.3 * hats + 0.05 * kicks, sr, rng)
    t = np.arange(n) / sr
    mix *= (0.5 + 0.5 * np.cos(np.pi * np.clip((t - 18.5) / 1.45, 0.0, 1.0)))[:, None]
    mix *= 10.0 ** (-1.0 / 20.0) / np.max(np.abs(mix))
    return mix.astype(np.float32)


def write_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> None:
    """Write ``samples`` (shape (n,) or (n, channels), floats in [-1, 1]) as 16-bit PCM WAV."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    pcm = np.ascontiguousarray(np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2"))
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
