"""Saxophone test material whose answer is known, made in code.

Two kinds:

* **Tones** (:func:`harmonic_tone`): one steady or vibrato note with the
  harmonic amplitudes given, so a weak or missing fundamental under strong
  2nd/3rd/4th harmonics (a low tenor or baritone note) can be made on purpose.
* **Legato phrases** (:func:`tenor_phrase`, :data:`PHRASES`): a tenor-like
  voice playing jazz lines the way a player does: most note changes slurred
  (the pitch moves in 20..50 ms with no attack and hardly any dip in level),
  some tongued (a short dip, an attack and a chiff of breath), scoops into
  some tongued notes, vibrato blooming on long notes, fast runs across the
  break (concert A3..D4 on a tenor), low notes whose fundamental is weak
  (the bell radiates little below ~250 Hz) under a first formant near
  520 Hz (+12 dB) where a low note's 2nd or 3rd harmonic dominates (issue
  11's F3, read a twelfth up by the old tracker), breath noise, a club's
  room (RT60 0.5 s). Each phrase comes with its note list (onset, offset,
  MIDI, tongued), the ground truth for onsets and transcription.

Deterministic: the same seed gives the same samples. Shared by the tests and
``benchmarks/`` (``sax_scores.py``). No recording was used to make it.
"""

from dataclasses import dataclass
import functools

import numpy as np

SR = 48000
GLIDE_S = (0.02, 0.05)
"""A slur's pitch moves from note to note in this many seconds (and the
spectrum with it)."""


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


# ------------------------------------------------------------------- tones
def horn(midi: int, seconds: float, *, vibrato: float = 0.0, scoop: float = 0.0,
         amp: float = 0.3) -> np.ndarray:
    """A plain sax-like note: six harmonics, 20 ms attack and release; vibrato
    (cents) blooming after 0.1 s at 5.5 Hz; a scoop up into the pitch from
    ``scoop`` cents below."""
    t = np.arange(int(seconds * SR)) / SR
    cents = (vibrato * np.sin(2 * np.pi * 5.5 * t) * np.clip((t - 0.1) / 0.2, 0, 1)
             - scoop * np.exp(-t / 0.035))
    phase = 2 * np.pi * np.cumsum(440.0 * 2 ** ((midi - 69) / 12 + cents / 1200)) / SR
    tone = sum(0.6 ** k * np.sin((k + 1) * phase) for k in range(6))
    env = np.minimum(1, t / 0.02) * np.minimum(1, (seconds - t) / 0.02)
    return (amp * env * tone).astype(np.float32)


def harmonic_tone(f0: float, seconds: float, amps, *, vib_rate: float = 5.5,
                  vib_cents: float = 0.0, amp: float = 0.3, breath: float = 0.0,
                  seed: int = 0) -> np.ndarray:
    """A tone whose k-th harmonic has amplitude ``amps[k - 1]`` (random
    phases), optional sinusoidal vibrato (``vib_cents`` peak) and breath noise
    at ``breath`` times the tone's RMS. (n,) float64, peak ``amp``."""
    n = int(SR * seconds)
    t = np.arange(n) / SR
    inst = f0 * 2.0 ** (vib_cents * np.sin(2 * np.pi * vib_rate * t) / 1200)
    phase = 2 * np.pi * np.cumsum(inst) / SR
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for k, a in enumerate(amps, start=1):
        if a and k * f0 * 2 ** (vib_cents / 1200) < 0.45 * SR:
            x += a * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    if breath:
        x += breath * np.sqrt(np.mean(x * x)) * breath_noise(n, rng)
    return amp * x / np.max(np.abs(x))


def breath_noise(n: int, rng, *, centre_hz: float = 2200.0, octaves: float = 0.8) -> np.ndarray:
    """Unit-RMS noise in a smooth log-Gaussian band (breath through a horn)."""
    f = np.fft.rfftfreq(n, 1.0 / SR)
    shape = np.exp(-0.5 * (np.log2(np.maximum(f, 1.0) / centre_hz) / octaves) ** 2)
    x = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


# Harmonic spectra of low notes, amplitude per harmonic from the 1st: what a
# tenor or baritone does below ~200 Hz (the fundamental weak or gone, the
# 2nd..4th strong), up to a 3rd harmonic that dominates (a bright low note,
# the 3rd in the first formant).
WEAK_FUNDAMENTAL = {
    "weak 1st, strong 2nd+3rd": (0.08, 0.7, 1.0, 0.6, 0.45, 0.3, 0.25, 0.18, 0.12, 0.08),
    "no 1st, strong 2nd+3rd": (0.0, 0.8, 1.0, 0.5, 0.4, 0.3, 0.2, 0.12, 0.08),
    "3rd dominant": (0.05, 0.3, 1.0, 0.3, 0.2, 0.1, 0.05),
    "no 1st, 3rd dominant": (0.0, 0.3, 1.0, 0.3, 0.2, 0.1, 0.05),
    "4th dominant": (0.03, 0.2, 0.3, 1.0, 0.2, 0.2, 0.05, 0.1),
    "2nd dominant": (0.05, 1.0, 0.35, 0.4, 0.2, 0.15, 0.1),
}


# ------------------------------------------------------------------ phrases
@dataclass(frozen=True)
class TrueNote:
    onset: float      # s
    offset: float     # s
    midi: int         # concert pitch, A440
    tongued: bool     # articulated (True) or slurred into from the previous note


# A phrase: (tempo BPM, [(beats, midi, articulation)]), articulation "t"
# tongued, "s" slurred, "v" tongued with a scoop; midi 0 is a rest.
PHRASES = {
    # Ballad: long notes with vibrato, slurs of every size, a low ending.
    "ballad": (72, [(1.0, 58, "t"), (0.5, 61, "s"), (0.5, 63, "s"), (1.5, 65, "s"),
                    (0.5, 63, "s"), (1.0, 60, "s"), (0.5, 58, "t"), (0.5, 56, "s"),
                    (2.0, 53, "s"), (0.5, 0, ""), (1.0, 51, "v"), (0.5, 48, "s"),
                    (2.0, 46, "s")]),
    # Bebop line: slurred eighths with tongued accents, across the break.
    "bebop": (176, [(0.5, 60, "t"), (0.5, 62, "s"), (0.5, 63, "s"), (0.5, 65, "s"),
                    (0.5, 67, "t"), (0.5, 66, "s"), (0.5, 65, "s"), (0.5, 63, "s"),
                    (0.5, 62, "t"), (0.5, 59, "s"), (0.5, 60, "s"), (0.5, 62, "s"),
                    (0.5, 57, "t"), (0.5, 58, "s"), (0.5, 61, "s"), (0.5, 65, "s"),
                    (1.5, 64, "s"), (0.5, 0, ""), (0.5, 62, "t"), (0.5, 60, "s"),
                    (0.5, 59, "s"), (0.5, 57, "s"), (1.0, 55, "t"), (1.0, 52, "s")]),
    # Sixteenth-note runs across the break (concert A3..D4) and back.
    "runs": (112, [(0.25, 55, "t"), (0.25, 57, "s"), (0.25, 59, "s"), (0.25, 60, "s"),
                   (0.25, 62, "s"), (0.25, 64, "s"), (0.25, 66, "s"), (0.25, 67, "s"),
                   (0.25, 69, "t"), (0.25, 67, "s"), (0.25, 66, "s"), (0.25, 64, "s"),
                   (0.25, 62, "s"), (0.25, 60, "s"), (0.25, 59, "s"), (0.25, 57, "s"),
                   (0.25, 58, "t"), (0.25, 59, "s"), (0.25, 61, "s"), (0.25, 63, "s"),
                   (0.25, 64, "s"), (0.25, 63, "s"), (0.25, 61, "s"), (0.25, 59, "s"),
                   (1.0, 58, "s"), (0.5, 0, ""), (0.25, 62, "t"), (0.25, 61, "s"),
                   (0.25, 60, "s"), (0.25, 59, "s"), (1.0, 60, "s")]),
    # Low register: weak fundamentals, octave and fifth slurs, repeated notes.
    "low": (96, [(1.0, 46, "v"), (0.5, 53, "s"), (0.5, 58, "s"), (1.0, 46, "s"),
                 (0.5, 48, "t"), (0.5, 48, "t"), (0.5, 51, "s"), (0.5, 53, "s"),
                 (1.0, 65, "s"), (1.0, 53, "s"), (0.5, 0, ""), (0.5, 44, "v"),
                 (0.5, 51, "s"), (0.5, 56, "s"), (0.5, 51, "s"), (1.5, 49, "s")]),
}


def _formant_gain(fh: np.ndarray) -> np.ndarray:
    """Radiated amplitude of a harmonic at ``fh`` Hz: a bell that passes little
    below ~250 Hz (weak low fundamentals), a sharp first formant near 520 Hz
    (on a low F3 or E3 the 3rd harmonic dominates: the note of issue 11 that
    a tracker read a twelfth up), a broad second one, a 1/f tilt."""
    hp = (fh / 250.0) ** 2 / (1.0 + (fh / 250.0) ** 2)
    bumps = (1.0 + 3.0 * np.exp(-0.5 * (np.log2(fh / 520.0) / 0.3) ** 2)
             + 0.8 * np.exp(-0.5 * (np.log2(fh / 1600.0) / 0.5) ** 2))
    return hp * bumps * (fh / 200.0) ** -0.7 / (1.0 + (fh / 4000.0) ** 4)


def _plan(tempo: float, events, rng, start: float):
    """Note starts, lengths and articulations, with human timing."""
    beat = 60.0 / tempo
    t, notes = start, []
    for beats, midi, art in events:
        dur = beats * beat
        if midi:
            notes.append([t + rng.uniform(-0.008, 0.008), midi, art])
        else:
            notes.append([t, 0, ""])
        t += dur
    return notes, t


def tenor_phrase(name: str, *, seed: int = 0, start: float = 0.3,
                 tail: float = 0.5) -> tuple[np.ndarray, list[TrueNote]]:
    """One of :data:`PHRASES` played by a synthetic tenor.

    Returns ``(samples, notes)``: (n,) float64 at 48 kHz, peak about 0.5, and
    the notes in time order. A slurred note's onset is where its glide
    starts; a tongued note's where its attack starts; offsets are where the
    next note starts or the level has fallen (a tongue's dip, a rest, the end).
    """
    return _render(name, seed, start, tail)


@functools.cache
def _render(name, seed, start, tail):
    tempo, events = PHRASES[name]
    rng = np.random.default_rng(seed + 7919 * sum(map(ord, name)))
    plan, end = _plan(tempo, events, rng, start)
    n = int((end + tail) * SR)
    t = np.arange(n) / SR
    pitch = np.zeros(n)            # semitones
    level = np.full(n, -120.0)     # dB, -120 = silent
    chiff = np.zeros(n)
    segments, truth = [], []
    starts = [p[0] for p in plan] + [end]
    prev_midi = 0
    for i, (on, midi, art) in enumerate(plan):
        off = starts[i + 1]
        nxt = plan[i + 1] if i + 1 < len(plan) else None
        if not midi:
            prev_midi = 0
            continue
        tongued = art in ("t", "v") or prev_midi == 0
        # The next note's articulation decides how this one ends.
        gap = 0.0
        if nxt is None or not nxt[1]:
            gap = min(0.08, 0.3 * (off - on))      # release before a rest or the end
        elif nxt[2] in ("t", "v"):
            gap = rng.uniform(0.018, 0.03)         # the tongue stops the reed
        glide = 0.0 if tongued else rng.uniform(*GLIDE_S)
        seg = slice(int(on * SR), int(off * SR))
        tt = t[seg] - on
        pitch[seg], vib = _pitch_curve(tt, midi, prev_midi if not tongued else 0, glide,
                                       art == "v", rng)
        level[seg] = _level_curve(tt, vib, tongued, glide, off - gap - on, gap > 0, rng,
                                  chiff[seg])
        segments.append((seg.start, seg.stop, midi, glide))
        truth.append(TrueNote(round(on, 4), round(off - gap, 4), midi, tongued))
        prev_midi = midi
    x = _voice(t, pitch, level, segments, rng)
    amp = np.sqrt(np.mean(x[level > -40] ** 2))
    x += 0.35 * amp * breath_noise(n, rng) * (0.12 * 10 ** (np.maximum(level, -120) / 20) + chiff)
    x = _room(x, rng)
    x += 1e-4 * rng.standard_normal(n)               # the room's noise floor, -80 dBFS
    return 0.5 * x / np.max(np.abs(x)), truth


def _pitch_curve(tt, midi, slur_from, glide, scoop, rng):
    """A note's pitch (semitones) over its times ``tt``: a raised-cosine glide
    from the note it is slurred from (0: none), a scoop, a little drift and
    vibrato that blooms on long notes. Returns (pitch, vibrato in semitones)."""
    p = np.full(tt.shape, float(midi)) + rng.uniform(-0.05, 0.05)
    if slur_from:
        u = np.clip(tt / glide, 0.0, 1.0)
        p += (slur_from - midi) * (0.5 + 0.5 * np.cos(np.pi * u))
    if scoop:
        p -= rng.uniform(0.6, 0.9) * np.exp(-tt / 0.035)
    vib = np.zeros(tt.shape)
    if tt.size and tt[-1] > 0.3:
        depth = rng.uniform(0.15, 0.3) * np.clip((tt - 0.15) / 0.25, 0.0, 1.0)
        vib = depth * np.sin(2 * np.pi * rng.uniform(5.0, 6.5) * tt + rng.uniform(0, 6.3))
    return p + vib, vib


def _level_curve(tt, vib, tongued, glide, sounding, stops, rng, chiff):
    """A note's level (dB): an accent; the vibrato a little; a slur dips
    0..3 dB; a tongued note attacks from silence in 12..25 ms with a chiff
    of breath (added to ``chiff``); it falls in 12 ms at ``sounding`` s if
    ``stops`` (a tongue, a rest, the end)."""
    acc = rng.uniform(-5.0, 0.0)
    lv = acc + 5.0 * vib
    if tongued:
        att = rng.uniform(0.012, 0.025)
        lv += 20 * np.log10(np.maximum(np.clip(tt / att, 0.0, 1.0), 1e-6))
        k = np.arange(min(int(0.05 * SR), tt.size))
        chiff[k] += 10 ** (acc / 20) * np.exp(-k / (0.015 * SR))
    else:
        lv -= rng.uniform(0.0, 3.0) * np.exp(-((tt - glide / 2) / 0.015) ** 2)
    if stops:
        lv += 20 * np.log10(np.maximum(np.clip((sounding - tt) / 0.012, 0.0, 1.0), 1e-6))
    return lv


def _voice(t, pitch, level, segments, rng) -> np.ndarray:
    """The harmonic voice: one phase throughout (slurs do not restart it),
    each note's own spectrum faded in over its glide."""
    n = t.size
    phase = 2 * np.pi * np.cumsum(midi_hz(0.0) * 2.0 ** (pitch / 12.0)) / SR
    gain = 10 ** (np.maximum(level, -120.0) / 20)
    x = np.zeros(n)
    for j, (i0, i1, midi, glide) in enumerate(segments):
        nxt = segments[j + 1] if j + 1 < len(segments) else None
        stop = i1 + (int(nxt[3] * SR) if nxt and nxt[0] == i1 and nxt[3] else 0)
        stop = min(stop, n)
        idx = np.arange(i0, stop)
        w = np.ones(idx.size)
        if glide:
            w = np.minimum(w, np.clip((idx - i0) / (glide * SR), 0.0, 1.0))
        if stop > i1:
            w = np.minimum(w, np.clip(1.0 - (idx - i1) / (stop - i1), 0.0, 1.0))
        f_top = midi_hz(float(np.max(pitch[idx])))
        k = np.arange(1, max(2, int(7000.0 / f_top)) + 1)
        a = _formant_gain(k * midi_hz(midi))
        a /= np.sqrt(np.sum(a * a))
        ph = phase[idx]
        s_prev, s_cur = np.zeros(idx.size), np.sin(ph)
        two_cos = 2.0 * np.cos(ph)
        acc = np.zeros(idx.size)
        for ak in a:
            acc += ak * s_cur
            s_prev, s_cur = s_cur, two_cos * s_cur - s_prev
        x[idx] += w * gain[idx] * acc
    return x


def _room(x: np.ndarray, rng) -> np.ndarray:
    """A club: 10 ms pre-delay, RT60 0.5 s, wet at -12 dB."""
    m = int(1.2 * SR)
    ir = rng.standard_normal(m) * np.exp(-np.arange(m) / (0.5 / 6.9 * SR))
    ir[:int(0.01 * SR)] = 0.0
    ir *= 10 ** (-12 / 20) / np.sqrt(np.sum(ir * ir))
    nfft = 1 << int(np.ceil(np.log2(x.size + m)))
    wet = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(ir, nfft), nfft)[:x.size]
    return x + wet


def legato_material(seed: int = 0) -> list[tuple[str, np.ndarray, list[TrueNote]]]:
    """Every phrase of :data:`PHRASES` as ``(name, samples, notes)``."""
    return [(name, *tenor_phrase(name, seed=seed)) for name in PHRASES]
