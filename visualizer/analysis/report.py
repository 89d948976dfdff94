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


_PANELS = (
    ("loudness", ("loudness_momentary", "loudness_short"), "LUFS"),
    ("level and bands", ("level", "bass", "mid", "high"), "0..1"),
    ("rhythm", ("onset", "beat"), "pulse"),
    ("tempo", ("tempo",), "BPM"),
    ("pitch", ("note",), "MIDI"),
    ("expression", ("brightness", "breath", "pitch_confidence"), "0..1"),
    ("vibrato", ("vibrato_rate", "vibrato_depth"), "Hz / cents"),
    ("shape", ("intensity", "dynamics", "climax"), "0..1"),
)


def plot(track: FeatureTrack, path: Path, *, title: str = "") -> None:
    """A stacked picture of the features over time, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    t = track.times
    fig, axes = plt.subplots(len(_PANELS), 1, figsize=(14, 2.0 * len(_PANELS)), sharex=True)
    for ax, (label, names, unit) in zip(axes, _PANELS):
        for name in names:
            y = track.column(name).astype(float)
            if name == "note":
                y = np.where(track.column("voiced") > 0.5, y, np.nan)
            if name.startswith("loudness"):
                y = np.where(y > -70, y, np.nan)
            ax.plot(t, y, lw=0.9, label=name)
        if label == "rhythm":
            for b in track.beat_times:
                ax.axvline(b, color="0.6", lw=0.5, zorder=0)
        ax.set_ylabel(f"{label}\n({unit})", fontsize=8)
        ax.legend(loc="upper right", fontsize=7, ncol=len(names))
        ax.grid(alpha=0.25)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(title or "features", fontsize=11)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=90)
    except OSError as e:
        raise OutputError(f"{path}: cannot write plot ({e.strerror or e})") from None
    finally:
        plt.close(fig)
