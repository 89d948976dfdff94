"""Writing a FeatureTrack for people: a CSV table and a picture."""

import csv
from pathlib import Path

import numpy as np

from visualizer.analysis.features import SCALAR_FEATURES
from visualizer.analysis.track import FeatureTrack
from visualizer.errors import OutputError


def write_csv(track: FeatureTrack, path: Path, *, rate: float = 100.0) -> int:
    """Every feature at ``rate`` rows per second; returns the number of rows."""
    duration = track.rows.shape[0] * track.hop_seconds
    times = np.arange(0.0, duration, 1.0 / rate)
    try:
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["time_s"] + [feat.name for feat in SCALAR_FEATURES])
            for t in times:
                row = track.rows[track.index_at(t)]
                out.writerow([f"{t:.3f}"] + [f"{v:.5g}" for v in row])
    except OSError as e:
        raise OutputError(f"{path}: cannot write CSV ({e.strerror or e})") from None
    return times.size


# The musician's chart: the pitch panel first and largest, then the beats
# apart from the onsets (both drawn by their own functions), then these:
# (key, series, unit, height in inches).
_PANELS = (
    ("loudness", ("loudness_momentary", "loudness_short"), "LUFS", 1.5),
    ("expression", ("brightness", "breath"), "0..1", 1.3),
    ("vibrato", ("vibrato_depth",), "cents", 1.2),  # the rate on its own axis
    ("shape", ("intensity", "dynamics", "climax"), "0..1", 1.3),
    ("level and bands", ("level", "bass", "mid", "high"), "0..1", 1.3),
)
_PITCH_HEIGHT, _BEATS_HEIGHT = 3.6, 1.2
_MAX_NOTE_LABELS = 16  # about 20 px apart on the pitch panel at 90 dpi

# Major keys by tonic pitch class: how many accidentals, and flat keys by name.
_ACCIDENTALS = (0, 5, 2, 3, 4, 1, 6, 1, 4, 3, 2, 5)
_FLAT_KEYS = frozenset((1, 3, 5, 6, 8, 10))  # Db Eb F Gb Ab Bb
_MAJOR = np.array((0, 2, 4, 5, 7, 9, 11))
_SHARP_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")
_FLAT_NAMES = ("C", "D♭", "D", "E♭", "E", "F", "G♭", "G", "A♭", "A", "B♭", "B")


def key_of(notes: np.ndarray) -> int:
    """The major key (tonic pitch class, 0 = C) whose scale holds most of ``notes``.

    ``notes``: (n,) MIDI numbers, one per analysed hop, so a long note weighs
    more than a passing one. Ties go to the key with fewer accidentals. Only
    the key signature matters here (a mode shares its major key's), for
    spelling the notes as a chart would: E♭, not D♯, in a flat key.
    """
    counts = np.bincount(np.asarray(notes, int) % 12, minlength=12)
    return max(range(12), key=lambda t: (counts[(t + _MAJOR) % 12].sum(), -_ACCIDENTALS[t]))


def spell(midi: int, key: int = 0) -> str:
    """'E♭4' for MIDI 63 in a flat key, 'D♯4' in a sharp one (60 = C4)."""
    names = _FLAT_NAMES if key in _FLAT_KEYS else _SHARP_NAMES
    return f"{names[midi % 12]}{midi // 12 - 1}"


def _flat(y: np.ndarray) -> bool:
    """True when a series says nothing: no finite value, or one value throughout."""
    y = y[np.isfinite(y)]
    return y.size == 0 or float(np.ptp(y)) <= 1e-6 * (1.0 + float(np.abs(y).max()))


def _series(track: FeatureTrack, name: str) -> np.ndarray:
    y = track.column(name).astype(float)
    if name.startswith("loudness"):
        y = np.where(y > -70, y, np.nan)  # silence is -120: leave a gap, not a cliff
    return y


def _pitch(track: FeatureTrack, transpose: int) -> np.ndarray:
    """(n_hops,) fractional MIDI note as read (note + cents), NaN when unvoiced."""
    voiced = track.column("voiced") > 0.5
    y = track.column("note").astype(float) + track.column("cents") / 100.0 + transpose
    return np.where(voiced, y, np.nan)


def figure(track: FeatureTrack, *, title: str = "", transpose: int = 0,
           reading: str = "concert", notes=None):
    """The chart of ``track`` as a matplotlib Figure (drawn, not saved).

    Panels top to bottom: pitch (notes named as the player reads them,
    ``transpose`` semitones above concert, with the onsets as ticks along its
    foot and, given ``notes`` (objects with ``onset``, ``offset`` in s and
    ``midi``), each transcribed note as a bar), beats and tempo, then
    loudness, expression, vibrato, the intensity arc and the bands. A panel
    or a line that is flat for the whole file is left out. Each axes' label
    (``Axes.get_label()``) is its panel's key: "pitch", "beats", "loudness", ...
    """
    from matplotlib.figure import Figure

    pitch = _pitch(track, transpose)
    drawn = []
    if np.isfinite(pitch).any():  # one held note is still a note
        drawn.append(("pitch", _PITCH_HEIGHT))
    if track.beat_times.size >= 2:
        drawn.append(("beats", _BEATS_HEIGHT))
    kept = {}
    for key, names, unit, height in _PANELS:
        series = [(n, _series(track, n)) for n in names]
        series = [(n, y) for n, y in series if not _flat(y)]
        if series:
            kept[key] = (series, unit)
            drawn.append((key, height))
    if not drawn:
        drawn.append(("level and bands", _PANELS[-1][3]))
        kept["level and bands"] = ([("level", _series(track, "level"))], "0..1")
    heights = [h for _, h in drawn]
    fig = Figure(figsize=(14, sum(heights) + 0.9))
    axes = fig.subplots(len(drawn), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    t = track.times
    for ax, (key, _) in zip(axes, drawn):
        ax.set_label(key)
        if key == "pitch":
            _draw_pitch(ax, track, pitch, transpose, reading, notes)
        elif key == "beats":
            _draw_beats(ax, track)
        elif key == "vibrato":
            _draw_vibrato(ax, track, kept[key][0])
        else:
            series, unit = kept[key]
            for name, y in series:
                ax.plot(t, y, lw=0.9, label=name.replace("_", " "))
            ax.set_ylabel(f"{key}\n({unit})", fontsize=8)
            ax.legend(loc="upper right", fontsize=7, ncol=len(series))
            ax.grid(alpha=0.25)
        ax.tick_params(labelsize=8)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0.0, track.rows.shape[0] * track.hop_seconds)
    fig.suptitle(title or "features", fontsize=11)
    fig.tight_layout()
    return fig


def _draw_pitch(ax, track: FeatureTrack, pitch: np.ndarray, transpose: int, reading: str,
                notes) -> None:
    """Pitch line over note bars, note names on the axis, onsets as ticks at the foot."""
    voiced = np.isfinite(pitch)
    key = key_of(np.round(pitch[voiced]).astype(int))
    for i, n in enumerate(notes or ()):
        ax.plot((n.onset, n.offset), (n.midi + transpose,) * 2, color="C0", lw=6, alpha=0.3,
                solid_capstyle="butt", label="_nolegend_" if i else "notes")
    # A new note starts a new stroke (no vertical joins); scoops and vibrato,
    # which move less than half a semitone a hop, stay one line.
    jumps = np.abs(np.diff(pitch, prepend=pitch[:1])) > 0.5
    ax.plot(track.times, np.where(jumps, np.nan, pitch), color="C0", lw=1.0, label="pitch")
    ax.vlines(track.onset_times, 0.0, 0.07, transform=ax.get_xaxis_transform(), color="0.15",
              lw=1.0, label="onsets")
    lo, hi = int(np.floor(np.nanmin(pitch))) - 1, int(np.ceil(np.nanmax(pitch))) + 1
    lo -= 2  # room at the foot for the onset ticks
    ax.set_ylim(lo - 0.5, hi + 0.5)
    semitones = np.arange(lo, hi + 1)
    # Name the key's scale notes; over a wide range only its triad, then its tonic.
    for degrees in (_MAJOR, _MAJOR[[0, 2, 4]], _MAJOR[:1]):
        in_key = semitones[np.isin((semitones - key) % 12, degrees)]
        if in_key.size <= _MAX_NOTE_LABELS:
            break
    ax.set_yticks(semitones, minor=True)
    ax.set_yticks(in_key, labels=[spell(int(m), key) for m in in_key])
    ax.grid(axis="y", which="major", alpha=0.35)
    ax.grid(axis="y", which="minor", alpha=0.1)
    ax.grid(axis="x", alpha=0.25)
    ax.set_ylabel("pitch\n(concert)" if transpose == 0 and reading == "concert"
                  else f"pitch\n(as read: {reading})", fontsize=8)
    # Above the panel: the top notes are where a legend inside would sit.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncol=3, frameon=False,
              borderaxespad=0.1)


def _draw_vibrato(ax, track: FeatureTrack, series) -> None:
    """Vibrato depth (cents) on the left, its rate (Hz) on a second axis on the right."""
    ax.plot(track.times, series[0][1], color="C4", lw=0.9, label="depth (cents)")
    ax.set_ylabel("vibrato\n(cents)", fontsize=8)
    ax.grid(alpha=0.25)
    rate = track.column("vibrato_rate").astype(float)
    rate_ax = ax.twinx()
    rate_ax.set_label("vibrato rate")
    rate_ax.plot(track.times, np.where(rate > 0, rate, np.nan), color="C5", lw=0.9,
                 label="rate (Hz)")
    rate_ax.set_ylabel("rate (Hz)", fontsize=8)
    rate_ax.tick_params(labelsize=8)
    lines = ax.get_lines() + rate_ax.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper right", fontsize=7, ncol=2)


def _draw_beats(ax, track: FeatureTrack) -> None:
    """The local tempo as a line, every beat as a line, bars numbered at their downbeats."""
    beats = np.asarray(track.beat_times, float)
    ax.plot(track.times, track.column("tempo"), color="C1", lw=1.0, label="tempo")
    ax.vlines(beats, 0.0, 1.0, transform=ax.get_xaxis_transform(), color="0.75", lw=0.6,
              zorder=0)
    downbeats = beats[::4]  # the beat count starts a bar on the first beat
    ax.vlines(downbeats, 0.0, 1.0, transform=ax.get_xaxis_transform(), color="0.35", lw=1.0,
              zorder=0)
    for bar, b in enumerate(downbeats, 1):
        ax.text(b, 0.97, f" {bar}", transform=ax.get_xaxis_transform(), fontsize=7,
                va="top", color="0.25")
    tempo = track.column("tempo")
    ax.set_ylim(tempo.min() - 5, tempo.max() + 5)
    ax.set_ylabel("tempo (BPM)\nbeats, bars", fontsize=8)


def plot(track: FeatureTrack, path: Path, *, title: str = "", transpose: int = 0,
         reading: str = "concert", notes=None) -> None:
    """The chart of :func:`figure`, saved as PNG."""
    fig = figure(track, title=title, transpose=transpose, reading=reading, notes=notes)
    try:
        fig.savefig(path, dpi=90)
    except OSError as e:
        raise OutputError(f"{path}: cannot write plot ({e.strerror or e})") from None
