"""Pitch, legato onsets and notes on saxophone material whose answer is known,
ours beside librosa and aubio. Used by ``benchmarks/analysis.py``.

Material (every figure measured when the script runs):

* the MTG tenor E-major scale (real, annotated notes, ../shared/data);
* four synthetic legato tenor phrases (``tests/sax_signals.py``: slurs,
  tongued notes, scoops, vibrato, runs across the break, weak low
  fundamentals, breath, a room) with their note lists;
* low tones with a weak or missing fundamental and a dominant 2nd, 3rd or
  4th harmonic (100..200 Hz), one after another.

Scores: raw pitch accuracy (50 cents, each note trimmed by 50 ms) and the
notes named wrong (the majority rounded pitch over a note); onset F (50 ms);
note F (mir_eval transcription: onset 50 ms, pitch 50 cents, offsets ignored).
"""

import csv
import sys
from pathlib import Path

import aubio
import librosa
import mir_eval
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from sax_signals import WEAK_FUNDAMENTAL, harmonic_tone, legato_material, midi_hz  # noqa: E402

from visualizer.analysis.analyzer import Analyzer  # noqa: E402
from visualizer.analysis.notes import transcribe  # noqa: E402
from visualizer.analysis.onsets import detect_onsets  # noqa: E402
from visualizer.analysis.pitch import track_pitch  # noqa: E402
from visualizer.analysis.track import analyze  # noqa: E402
from visualizer.audio.file_source import FileSource, mono  # noqa: E402

SR = 48000
HOP = 256
SAX = Path("/work/shared/data/sax/359500__mtg__sax-tenor-e-major")
PYIN = dict(fmin=50.0, fmax=1400.0, frame_length=2048, hop_length=480)
LIBROSA_HOP = 512
TRIM = 0.05
MIN_NOTE = 0.05


# ---------------------------------------------------------------- material
def signals() -> dict[str, tuple[np.ndarray, list[tuple[float, float, int]]]]:
    """name -> (samples, [(onset, offset, midi)]), concert pitch."""
    x = mono(FileSource(SAX.with_suffix(".wav"), sample_rate=SR).read_all()).astype(np.float64)
    with open(SAX.with_suffix(".notes.csv")) as f:
        notes = [(float(r["onset_s"]), float(r["offset_s"]), int(float(r["midi"])))
                 for r in csv.DictReader(f)]
    out = {"E-major scale (real)": (x, notes)}
    for name, y, truth in legato_material():
        out[f"legato {name}"] = (y, [(n.onset, n.offset, n.midi) for n in truth])
    out["weak fundamentals"] = weak_tones()
    return out


def weak_tones():
    """Every spectrum of WEAK_FUNDAMENTAL at four low notes, 0.6 s each, 0.2 s apart."""
    parts, notes, t = [np.zeros(SR // 5)], [], 0.2
    for amps in WEAK_FUNDAMENTAL.values():
        for midi in (43, 48, 53, 55):                  # G2, C3, F3, G3: 98..196 Hz
            parts += [harmonic_tone(midi_hz(midi), 0.6, amps, vib_cents=15.0, seed=midi),
                      np.zeros(SR // 5)]
            notes.append((t, t + 0.6, midi))
            t += 0.8
    return np.concatenate(parts), notes


# ------------------------------------------------------------------- pitch
def pitch_ours(x):
    r = track_pitch(x, SR)
    return r["time"], r["pitch_hz"]


def pitch_yinfft(x):
    """aubio yinfft, every Hz it reports (its own silence gate only: this
    build's confidence is 0 throughout, see analysis.py's 'confidence off')."""
    p = aubio.pitch("yinfft", 2048, HOP, SR)
    p.set_unit("Hz")
    p.set_tolerance(0.8)
    x = np.ascontiguousarray(x, np.float32)
    n = x.shape[0] // HOP
    f0 = np.zeros(n)
    for k in range(n):
        f0[k] = p(x[k * HOP:(k + 1) * HOP])[0]
    times = ((np.arange(n) + 1) * HOP - 1024) / SR       # a window describes its centre
    return times, f0


def pitch_pyin(x):
    f0, voiced, _ = librosa.pyin(np.asarray(x, np.float64), sr=SR, **PYIN)
    return librosa.times_like(f0, sr=SR, hop_length=PYIN["hop_length"]), \
        np.where(voiced, np.nan_to_num(f0), 0.0)


def pitch_scores(times, hz, notes) -> tuple[float, int]:
    """(raw pitch accuracy, notes named wrong) against the notes."""
    ref = np.zeros_like(times)
    wrong = 0
    for on, off, midi in notes:
        inside = (times >= on + TRIM) & (times < off - TRIM)
        ref[inside] = midi_hz(midi)
        f = hz[inside]
        f = f[f > 0]
        if f.size == 0:
            wrong += 1
            continue
        named, counts = np.unique(np.rint(69 + 12 * np.log2(f / 440.0)), return_counts=True)
        wrong += int(named[np.argmax(counts)]) != midi
    rv, rc, ev, ec = mir_eval.melody.to_cent_voicing(times, ref, times, hz)
    return mir_eval.melody.raw_pitch_accuracy(rv, rc, ev, ec), wrong


# ------------------------------------------------------------------ onsets
def onsets_live(x):
    """The streaming analyzer, causal: (as reported, at the event time it gives)."""
    a, lags = Analyzer(), []
    a.on_rows = lambda rows: lags.append(a.batch_onset_lags)
    for i in range(0, x.shape[0], SR // 30):
        a.process(x[i:i + SR // 30])
    lag = np.concatenate(lags)
    hops = np.flatnonzero(lag >= 0)
    return (hops + 1) * HOP / SR, (hops - lag[hops] + 0.5) * HOP / SR


def onsets_librosa(x):
    env = librosa.onset.onset_strength(y=np.asarray(x, np.float64), sr=SR, hop_length=LIBROSA_HOP)
    return librosa.onset.onset_detect(onset_envelope=env, sr=SR, hop_length=LIBROSA_HOP,
                                      units="time")


def onsets_aubio(x, method):
    o = aubio.onset(method, 1024, HOP, SR)
    x = np.ascontiguousarray(x, np.float32)
    out = []
    for k in range(x.shape[0] // HOP):
        if o(x[k * HOP:(k + 1) * HOP])[0]:
            out.append(o.get_last_s())
    return np.array(out)


# ------------------------------------------------------------------- notes
def notes_ours(track):
    return [(n.onset, n.offset, n.midi) for n in transcribe(track)]


def notes_librosa(times, hz, onsets):
    """pyin + onset segmentation: a note between consecutive boundaries (onsets,
    voicing on and off) whose frames are mostly voiced, at its median pitch."""
    voiced = hz > 0
    edges = times[np.flatnonzero(np.diff(voiced.astype(int)) != 0) + 1]
    bounds = np.unique(np.concatenate([onsets, edges, [times[-1]]]))
    notes = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        inside = (times >= a) & (times < b)
        if b - a < MIN_NOTE or not inside.any() or voiced[inside].mean() < 0.5:
            continue
        midi = int(np.rint(69 + 12 * np.log2(np.median(hz[inside & voiced]) / 440.0)))
        notes.append((float(a), float(b), midi))
    return notes


AUBIO_NOTE_DELAY = 7 * HOP / SR
"""aubio's notes are emitted once the onset is confirmed and 6 frames of pitch
are in (its median): 38.7 ms after a sharp attack at 48 kHz, hop 256
(measured on a synthetic tone). Taken off, as we take off our own latencies."""


def notes_aubio(x):
    """aubio's note tracker (onsets + yinfft + note hysteresis), its delay taken off."""
    n = aubio.notes("default", 1024, HOP, SR)
    x = np.ascontiguousarray(x, np.float32)
    notes, current = [], None
    for k in range(x.shape[0] // HOP):
        out = n(x[k * HOP:(k + 1) * HOP])
        t = max(0.0, (k + 1) * HOP / SR - AUBIO_NOTE_DELAY)
        if out[2] > 0 and current:
            notes.append((current[0], t, current[1]))
            current = None
        if out[0] > 0:
            if current:
                notes.append((current[0], t, current[1]))
            current = (t, int(round(out[0])))
    if current:
        notes.append((current[0], x.shape[0] / SR, current[1]))
    return notes


def note_f(ref, est) -> float:
    if not est:
        return 0.0
    ri = np.array([[a, b] for a, b, _ in ref])
    ei = np.array([[a, max(b, a + 0.01)] for a, b, _ in est])
    return mir_eval.transcription.precision_recall_f1_overlap(
        ri, np.array([midi_hz(m) for *_, m in ref]), ei, np.array([midi_hz(m) for *_, m in est]),
        onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None)[2]


def onset_f(ref, est) -> float:
    return mir_eval.onset.f_measure(np.asarray(ref), np.sort(np.asarray(est, float)),
                                    window=0.05)[0]


# -------------------------------------------------------------------- runs
def measure() -> dict:
    """Every score; pyin runs once per signal."""
    sig = signals()
    pitch, onsets, notes = {}, {}, {}
    for name, (x, truth) in sig.items():
        track = analyze(x, sample_rate=SR)
        pyin = pitch_pyin(x)
        pitch[name] = {"ours": pitch_scores(*pitch_ours(x), truth),
                       "aubio": pitch_scores(*pitch_yinfft(x), truth),
                       "librosa": pitch_scores(*pyin, truth), "n": len(truth)}
        lib_on = onsets_librosa(x)
        notes[name] = {"ours": note_f(truth, notes_ours(track)),
                       "aubio": note_f(truth, notes_aubio(x)),
                       "librosa": note_f(truth, notes_librosa(*pyin, lib_on))}
        if name.startswith("legato"):
            reported, placed = onsets_live(x)
            onsets[name] = (np.array([a for a, _, _ in truth]), {
                "flux only": detect_onsets(x, SR), "ours": track.onset_times,
                "ours live": placed, "live as reported": reported, "librosa": lib_on,
                "aubio hfc": onsets_aubio(x, "hfc"), "aubio default": onsets_aubio(x, "default")})
    return dict(pitch=pitch, onsets=onsets, notes=notes)


def pooled_onset_f(onsets: dict, who: str) -> float:
    """One F over all the legato phrases, laid end to end."""
    ref, est = [], []
    for i, (r, ests) in enumerate(onsets.values()):
        ref.append(r + 100.0 * i)
        est.append(np.asarray(ests[who], float) + 100.0 * i)
    return onset_f(np.concatenate(ref), np.concatenate(est))


# ------------------------------------------------------------------ report
def print_tables(res: dict) -> None:
    width = 24
    print("\npitch: raw pitch accuracy / notes named wrong (of n)")
    print(f"{'':{width}}" + "".join(f"{h:>18}" for h in ("ours", "aubio yinfft", "librosa pyin")))
    for name, row in res["pitch"].items():
        n = row["n"]
        print(f"{name:{width}}" + "".join(
            f"{f'{row[k][0]:.3f} / {row[k][1]} of {n}':>18}" for k in ("ours", "aubio", "librosa")))
    print("\nlegato onsets: F (50 ms), each phrase and pooled")
    whos = ("flux only", "ours", "ours live", "live as reported", "librosa", "aubio hfc",
            "aubio default")
    print(f"{'':{width}}" + "".join(f"{w:>17}" for w in whos))
    for name, (ref, ests) in res["onsets"].items():
        print(f"{name:{width}}" + "".join(f"{onset_f(ref, ests[w]):>17.3f}" for w in whos))
    print(f"{'pooled':{width}}" + "".join(f"{pooled_onset_f(res['onsets'], w):>17.3f}"
                                          for w in whos))
    print("  flux only = ours before issue 11 (SuperFlux alone); ours = flux + note changes,")
    print("  zero lag; ours live = the streaming analyzer's causal decisions at the event time it")
    print("  gives each; live as reported = at the hop it reports them (what a show flashes on).")
    print("\nnotes: transcription F (onset 50 ms, pitch 50 cents, offsets ignored)")
    print(f"{'':{width}}" + "".join(f"{h:>16}" for h in ("ours", "aubio notes", "librosa")))
    for name, row in res["notes"].items():
        print(f"{name:{width}}" + "".join(f"{row[k]:>16.3f}" for k in ("ours", "aubio", "librosa")))
    print("  librosa = pyin + onset_detect segmentation (a note per segment, median pitch).")

