"""Live note-on delay: from a note's start in the audio to its MIDI note-on.

    .venv/bin/python benchmarks/note_latency.py [--frame-hz 60] [--audio FILE --notes CSV]

A paced thread stands in for the PortAudio input callback: every 256 samples
(5.3 ms at 48 kHz) it copies a block and its perf_counter() time into a ring
buffer, as MicSource's callback does. The loop the live window runs drains
the ring ``--frame-hz`` times a second (0: on every block) and analyses;
the note follower (NoteOut, as live) follows each analysed hop, and each
note-on is timestamped where it is handed to the MIDI port's send function
(NoteSender's ``send``: here a function that records the time, since no
port can be opened without an ALSA sequencer).
A note's true start is the wall time at which its first sample was captured:
its block's capture time less the samples after it in the block. The delay
is the difference. A sound card adds its converter and driver buffers on top
(2-5 ms at 256 frames), and a synth its own response after the port.

The input is a synthesised phrase (default: legato steps, tongued repeats,
scoops, vibrato, rests, soft and loud notes, all with known starts) or a
recording with its notes (``--audio`` WAV and ``--notes`` CSV of onset_s,
offset_s, midi: the shared tenor scale has one).
"""

import argparse
import csv
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from sax_signals import horn  # noqa: E402

from visualizer.analysis.analyzer import Analyzer  # noqa: E402
from visualizer.audio.ring import RingBuffer  # noqa: E402
from visualizer.output.notes_out import NoteFollower, NoteOut, NoteSender  # noqa: E402

SR, BLOCK = 48000, 256
TENOR = Path(__file__).resolve().parents[2] / "shared/data/sax/359500__mtg__sax-tenor-e-major"

# (start s, length s, MIDI, vibrato cents, scoop cents, amplitude)
PHRASE = ((0.5, 0.4, 62, 0, 0, .3), (0.9, 0.4, 64, 0, 0, .3), (1.3, 0.8, 65, 45, 0, .3),
          (2.2, 0.3, 67, 0, 90, .2), (2.55, 0.3, 67, 0, 0, .3), (2.9, 0.3, 67, 0, 0, .15),
          (3.4, 1.0, 70, 50, 90, .3), (4.4, 0.25, 69, 0, 0, .3), (4.65, 0.25, 67, 0, 0, .3),
          (4.9, 0.6, 65, 30, 0, .25), (5.8, 0.2, 60, 0, 0, .3), (6.0, 0.2, 62, 0, 0, .3),
          (6.2, 0.2, 63, 0, 0, .3), (6.4, 0.6, 65, 40, 60, .3), (7.3, 0.5, 58, 0, 0, .1))


def phrase(repeats: int = 4) -> tuple[np.ndarray, list[tuple[float, int]]]:
    """The phrase ``repeats`` times: samples (n,) and the true (start s, MIDI) of each note."""
    length = 8.2
    x = np.random.default_rng(0).standard_normal(int(length * repeats * SR)).astype(np.float32)
    x *= 1e-4   # a quiet room
    truth = []
    for r in range(repeats):
        for start, dur, midi, vib, scoop, amp in PHRASE:
            y = horn(midi, dur, vibrato=vib, scoop=scoop, amp=amp)
            i = int((r * length + start) * SR)
            x[i:i + y.size] += y
            truth.append((r * length + start, midi))
    return x, truth


def recording(audio: Path, notes: Path) -> tuple[np.ndarray, list[tuple[float, int]]]:
    from visualizer.audio.file_source import FileSource, mono
    with FileSource(audio, sample_rate=SR) as source:
        x = mono(source.read(SR * 600)).copy()
    with open(notes) as f:
        truth = [(float(r["onset_s"]), int(r["midi"])) for r in csv.DictReader(f)]
    return x, truth


class Paced:
    """Blocks of 256 samples into a ring buffer at real-time pace, each with its capture time."""

    def __init__(self, x: np.ndarray):
        self.x, self.ring = x, RingBuffer(SR)
        self.captured: list[float] = []   # capture time of block k's last sample
        self.done = False

    def run(self) -> None:
        due = time.perf_counter()
        for k in range(self.x.shape[0] // BLOCK):
            due += BLOCK / SR
            while (wait := due - time.perf_counter()) > 0:
                time.sleep(min(wait, 0.001))
            now = time.perf_counter()
            self.ring.write(self.x[k * BLOCK:(k + 1) * BLOCK], now)
            self.captured.append(now)
        self.done = True

    def wall_time_of(self, sample: int) -> float:
        """When sample ``sample`` was captured (its block's time less the samples after it)."""
        k = sample // BLOCK
        return self.captured[k] - ((k + 1) * BLOCK - 1 - sample) / SR


def measure(x: np.ndarray, truth: list[tuple[float, int]], frame_hz: float) -> dict:
    analyzer = Analyzer()
    handed: list[tuple[float, object]] = []
    sender = NoteSender(lambda msg: handed.append((time.perf_counter(), msg)))
    notes = NoteOut(NoteFollower(), [sender])
    notes.follow(analyzer)   # as live: hop by hop, events out while the frame is analysed
    paced = Paced(x)
    thread = threading.Thread(target=paced.run, daemon=True)
    thread.start()
    period = 1.0 / frame_hz if frame_hz > 0 else 0.0
    due = time.perf_counter()
    while not (paced.done and paced.ring.available == 0):
        if period:
            due += period
            while (wait := due - time.perf_counter()) > 0:
                time.sleep(min(wait, 0.001))
        else:
            time.sleep(0.0005)
        block = paced.ring.drain()
        if block.shape[0] == 0:
            continue
        analyzer.process(block)
    thread.join()
    ons = [(t, m.note) for t, m in handed if m.type == "note_on"]
    delays, missed, used = [], 0, set()
    for start, midi in truth:
        t0 = paced.wall_time_of(round(start * SR))
        hits = [i for i, (t, n) in enumerate(ons)
                if n == midi and i not in used and 0 <= t - t0 < 0.25]
        if not hits:
            missed += 1
            continue
        used.add(hits[0])
        delays.append(ons[hits[0]][0] - t0)
    d = np.array(delays) * 1000
    return dict(notes=len(truth), found=len(delays), missed=missed, extra=len(ons) - len(used),
                median=float(np.median(d)), p95=float(np.percentile(d, 95)),
                min=float(d.min()), max=float(d.max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame-hz", type=float, default=60.0,
                        help="how often the loop drains, analyses and follows (0: every block)")
    parser.add_argument("--audio", type=Path, help="a recording (default: the synthesised phrase)")
    parser.add_argument("--notes", type=Path, help="its notes: CSV onset_s,offset_s,midi")
    parser.add_argument("--tenor", action="store_true", help="the shared tenor scale recording")
    args = parser.parse_args()
    if args.tenor:
        args.audio, args.notes = TENOR.with_suffix(".wav"), TENOR.with_suffix(".notes.csv")
    x, truth = recording(args.audio, args.notes) if args.audio else phrase()
    r = measure(x, truth, args.frame_hz)
    what = args.audio.name if args.audio else "synthesised phrase"
    cadence = f"{args.frame_hz:g} Hz frames" if args.frame_hz > 0 else "every 256-sample block"
    print(f"{what}, followed at {cadence}: {r['found']}/{r['notes']} notes on, "
          f"{r['missed']} missed, {r['extra']} extra note-ons")
    print(f"note-on delay: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms "
          f"(min {r['min']:.1f}, max {r['max']:.1f})")


if __name__ == "__main__":
    main()
