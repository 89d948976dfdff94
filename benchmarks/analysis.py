"""Speed and accuracy of our analyzer beside aubio and librosa.

    .venv/bin/python benchmarks/analysis.py

Three analysers, every figure measured when the script runs (nothing is
hard-coded):

* ours    -- the streaming ``Analyzer`` with every feature on (speed), and the
             zero-lag offline ``analyze`` built on it (accuracy). "ours live"
             is the same streaming analyzer read causally, as a show sees it.
* aubio   -- ``onset("default")`` + ``tempo("default")`` + ``pitch("yinfft")``,
             fed hop by hop at hop 256 (our hop) and hop 512 (aubio's default).
* librosa -- ``onset_strength``/``onset_detect`` + ``beat_track`` + ``pyin``.

Measures, one row each in the table:

* RTF     -- real-time factor: seconds of audio analysed per second of wall
             time on ONE core (thread pools pinned to 1, process pinned to one
             CPU), best of 3 runs, on the sax recording at 48 kHz. Higher is
             faster; 200x means a second of audio costs 5 ms.
* onset F -- mir_eval F-measure (50 ms window) on madmom's sample.wav.
* tempo   -- BPM on sample.wav (87.5 or 175 accepted, within 4 %) and on
             generated 10 s click tracks (error in % of the true BPM; an octave
             error shows as about +100 % or -50 %).
* RPA     -- raw pitch accuracy (50 cents) on the MTG tenor-sax E-major scale,
             against its annotated notes (each note's equal-tempered frequency,
             trimmed by 50 ms at both ends, every 10 ms).

The "goals" section after the table states each goal and whether it held.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import mir_eval  # noqa: E402

import aubio  # noqa: E402
import librosa  # noqa: E402

from visualizer.analysis.analyzer import Analyzer  # noqa: E402
from visualizer.analysis.features import FEATURE_INDEX  # noqa: E402
from visualizer.analysis.track import analyze  # noqa: E402
from visualizer.audio.file_source import FileSource, mono  # noqa: E402

SR = 48000
HOP = 256                       # our hop; aubio is also run at it
FRAME_BLOCK = SR // 30          # 1600 samples: one video frame at 30 fps
DATA = Path("/work/shared/data")
SAMPLE = DATA / "madmom" / "sample"
SAX = DATA / "sax" / "359500__mtg__sax-tenor-e-major"
CLICK_BPMS = (70, 100, 140, 180)
TEMPO_TOL = 0.04
LIBROSA_HOP = 512               # librosa's default hop, kept at 48 kHz
PYIN = dict(fmin=50.0, fmax=1400.0, frame_length=2048, hop_length=480)
AUBIO_CONF = 0.8                # aubio's demo_pitch.py: confidence < 0.8 is unvoiced
RUNS = 3


# ---------------------------------------------------------------- inputs

def load(path: Path) -> np.ndarray:
    """Mono float32 at 48 kHz."""
    return mono(FileSource(path, sample_rate=SR).read_all())


def click_track(bpm: float, seconds: float = 10.0, seed: int = 0) -> np.ndarray:
    """Decaying 90 Hz kicks with a short 1 kHz blip on top, plus a little noise."""
    rng = np.random.default_rng(seed)
    x = 0.003 * rng.standard_normal(int(seconds * SR))
    t = np.arange(int(0.25 * SR)) / SR
    hit = 0.6 * np.sin(2 * np.pi * 90 * t) * np.exp(-t / 0.06)
    hit += 0.3 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.01)
    for start in np.arange(0.1, seconds - 0.25, 60.0 / bpm):
        i = int(start * SR)
        x[i:i + hit.size] += hit
    return x.astype(np.float32)


def pitch_reference(duration: float):
    """(times, Hz) every 10 ms: annotated notes trimmed by 50 ms, 0 elsewhere."""
    notes = np.loadtxt(f"{SAX}.notes.csv", delimiter=",", skiprows=1, ndmin=2)
    times = np.arange(0.0, duration, 0.01)
    freq = np.zeros_like(times)
    for on, off, midi in notes:
        inside = (times >= on + 0.05) & (times <= off - 0.05)
        freq[inside] = 440.0 * 2 ** ((midi - 69) / 12)
    return times, freq


def annotated_tempi() -> tuple[float, float]:
    rows = [line.split() for line in open(f"{SAMPLE}.tempo") if not line.startswith("#")]
    values = [float(v) for v in rows[0]]
    return values[0], values[1]


# ---------------------------------------------------------------- timing

def best_time(fn, runs: int = RUNS) -> float:
    """Shortest wall time of ``runs`` calls, in seconds."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ours_stream(x: np.ndarray, block: int) -> Analyzer:
    a = Analyzer()
    for i in range(0, x.shape[0], block):
        a.process(x[i:i + block])
    return a


# ---------------------------------------------------------------- ours

def ours_offline(x: np.ndarray) -> dict:
    """The zero-lag offline analysis: onset times, tempo, pitch track."""
    track = analyze(x, sample_rate=SR)
    pitch = np.where(track.column("voiced") > 0.5, track.column("pitch"), 0.0)
    return dict(onsets=track.onset_times, tempo=float(track.tempo),
                pitch_times=track.times, pitch=pitch)


def ours_live(x: np.ndarray) -> dict:
    """The streaming analyzer read causally: onsets as reported, final tempo."""
    rows = []
    a = Analyzer(on_rows=lambda r: rows.append(r.copy()))
    for i in range(0, x.shape[0], SR):
        a.process(x[i:i + SR])
    counts = np.concatenate(rows)[:, FEATURE_INDEX["onset_count"]]
    hops = np.flatnonzero(np.diff(counts, prepend=0) > 0)
    lat = a.onsets.latency_hops
    return dict(onsets=(hops + 1) * HOP / SR,
                onsets_corrected=(np.maximum(hops - lat, 0) + 1) * HOP / SR,
                latency_ms=1000 * lat * HOP / SR, tempo=float(a.frame["tempo"]))


# ---------------------------------------------------------------- aubio

def aubio_run(x: np.ndarray, hop: int) -> dict:
    """Onset, tempo and yinfft pitch in one hop-by-hop loop (what is timed)."""
    onset = aubio.onset("default", 1024, hop, SR)
    tempo = aubio.tempo("default", 1024, hop, SR)
    pitch = aubio.pitch("yinfft", 2048, hop, SR)
    pitch.set_unit("Hz")
    pitch.set_tolerance(0.8)
    n = x.shape[0] // hop
    frames = np.ascontiguousarray(x[:n * hop], dtype=np.float32).reshape(n, hop)
    onsets, f0 = [], np.zeros(n)
    for k in range(n):
        block = frames[k]
        if onset(block)[0]:
            onsets.append(onset.get_last_s())
        tempo(block)
        hz = pitch(block)[0]
        f0[k] = hz if pitch.get_confidence() >= AUBIO_CONF else 0.0
    # A pitch window ends at the newest sample: it describes its centre.
    times = ((np.arange(n) + 1) * hop - 2048 / 2) / SR
    return dict(onsets=np.array(onsets), tempo=float(tempo.get_bpm()),
                pitch_times=times, pitch=f0)


# ---------------------------------------------------------------- librosa

def librosa_rhythm(x: np.ndarray) -> dict:
    env = librosa.onset.onset_strength(y=x, sr=SR, hop_length=LIBROSA_HOP)
    onsets = librosa.onset.onset_detect(onset_envelope=env, sr=SR, hop_length=LIBROSA_HOP,
                                        units="time")
    tempo, _ = librosa.beat.beat_track(onset_envelope=env, sr=SR, hop_length=LIBROSA_HOP)
    return dict(onsets=onsets, tempo=float(np.atleast_1d(tempo)[0]))


def librosa_pitch(x: np.ndarray) -> dict:
    f0, voiced, _ = librosa.pyin(x, sr=SR, **PYIN)
    times = librosa.times_like(f0, sr=SR, hop_length=PYIN["hop_length"])
    return dict(pitch_times=times, pitch=np.where(voiced, np.nan_to_num(f0), 0.0))


def librosa_run(x: np.ndarray) -> dict:
    return {**librosa_rhythm(x), **librosa_pitch(x)}


# ---------------------------------------------------------------- scoring

def onset_f(ref: np.ndarray, est: np.ndarray) -> float:
    return mir_eval.onset.f_measure(ref, np.sort(np.asarray(est, float)), window=0.05)[0]


def tempo_ok(est: float, targets) -> bool:
    return any(abs(est - t) <= TEMPO_TOL * t for t in targets)


def rpa(ref_times, ref_hz, est_times, est_hz) -> float:
    """Raw pitch accuracy, the estimate resampled (nearest) to the reference times."""
    est_times = np.asarray(est_times, float)
    i = np.clip(np.searchsorted(est_times, ref_times), 1, est_times.size - 1)
    i -= (ref_times - est_times[i - 1]) < (est_times[i] - ref_times)
    est = np.asarray(est_hz, float)[i]
    ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(
        ref_times, ref_hz, ref_times, est)
    return mir_eval.melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c, cent_tolerance=50)
