"""What the commands share: the argument types that give one-line errors, the
live input's flags, the analysis settings, the demo track."""

import argparse
from pathlib import Path

from visualizer.errors import VisualizerError

DEFAULT_SIZE = (1280, 720)


class Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line naming it and where to look,
    not the usage first (``--help`` still prints it all)."""

    def error(self, message: str):
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def size_arg(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 1280x720") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {text} is outside 16x16 .. 7680x4320")
    return w, h


def bounded(kind: type, low: float, high: float, what: str):
    """An argparse type: a number of ``kind`` within ``low..high``."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"'{text}' is not {noun}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} {value:g} is outside {low:g}..{high:g}")
        return value
    return parse


fps_arg = bounded(int, 1, 240, "fps")
_sensitivity = bounded(float, 0.1, 10, "sensitivity")
scale_arg = bounded(float, 0.1, 1.0, "render scale")
_channel = bounded(int, 1, 64, "channel")
frames_arg = bounded(int, 0, 10**9, "--frames")


def transpose_arg(text: str) -> int:
    """--transpose: an instrument (tenor) or semitones above concert pitch."""
    from visualizer.analysis.notes import parse_transpose
    try:
        return parse_transpose(text)
    except (ValueError, VisualizerError) as e:   # argparse names the flag itself
        raise argparse.ArgumentTypeError(str(e).removeprefix("--transpose ")) from None


def add_live_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="input device: index or part of its name (default: system default)")
    parser.add_argument("--channel", type=_channel, default=1, help="input channel, from 1 (default 1)")
    parser.add_argument("--backing-channel", type=_channel, metavar="N",
                        help="a backing track on channel N of the same device, analysed apart")
    parser.add_argument("--backing-device", metavar="DEVICE",
                        help="a backing track from another input device (its --backing-channel)")
    parser.add_argument("--gate", type=bounded(float, -100, 0, "--gate"), metavar="DB",
                        help="noise gate on the lead input at DB dBFS (keeps monitor bleed out)")
    parser.add_argument("--backing-gate", type=bounded(float, -100, 0, "--backing-gate"),
                        metavar="DB", help="noise gate on the backing input")
    parser.add_argument("--input", type=Path, help="play this audio file instead of the microphone")
    parser.add_argument("--demo", action="store_true", help="play the built-in demo track")
    parser.add_argument("--loop", action="store_true", help="loop the --input file")
    parser.add_argument("--play", metavar="DEVICE", help="output device for --input/--demo: index, "
                        "part of its name, or 'none' to show without sound (default: system default)")
    parser.add_argument("--rate", type=bounded(int, 8000, 384000, "--rate"), default=48000,
                        help="sample rate in Hz (default 48000)")
    parser.add_argument("--buffer", type=bounded(int, 16, 16384, "--buffer"), default=256,
                        help="audio buffer in frames (default 256)")


def add_sensitivity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sensitivity", type=_sensitivity, default=1.0,
                        help="onset sensitivity, 0.1..10: higher hears softer onsets (default 1)")


def analyzer_settings(args, rate: int = 48000):
    from visualizer.analysis.analyzer import AnalyzerSettings
    return AnalyzerSettings(sample_rate=rate, onset_sensitivity=args.sensitivity)


def demo_wav(folder: Path) -> Path:
    from visualizer.audio.demo import DEMO_SAMPLE_RATE, demo_track, write_wav
    path = folder / "demo.wav"
    write_wav(path, demo_track(), DEMO_SAMPLE_RATE)
    return path


def add_scenes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenes", type=Path, action="append", default=[], metavar="DIR",
                        help="a folder of your own scenes (TOML or ISF, their shaders beside "
                        "them), after the built-in ones; a scene of the same name replaces "
                        "the built-in one; give it again for more folders (the last wins)")


def add_fx(parser: argparse.ArgumentParser) -> None:
    """``--fx`` and ``--param``: effects on, and parameters set, from the first frame."""
    parser.add_argument("--fx", action="append", default=[], metavar="EFFECT",
                        help="turn this effect on from the first frame (`visualizer effects` "
                        "lists them; your --scenes folders add ISF filters); again for more")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="set a parameter before the first frame: NAME=VALUE (every scene "
                        "with it), SCENE/NAME=VALUE or fx/EFFECT/NAME=VALUE; again for more")


def fx_and_params(args, library) -> tuple[list, tuple[str, ...], list]:
    """The effects to load, the ones ``--fx`` turns on and the ``--param``
    settings, checked against ``library``; VisualizerError of one line."""
    from visualizer.engine.param_setting import parse_params
    known = {e.key for e in library.effects}
    for name in args.fx:
        if name not in known:
            raise VisualizerError(f"--fx {name}: unknown effect "
                                  f"(known: {', '.join(sorted(known)) or 'none'})")
    params = parse_params(args.param, library.scenes, library.effects)
    return library.effects, tuple(dict.fromkeys(args.fx)), params


def show_warnings(scenes) -> None:
    """Each scene's loader warnings (what runs, but not quite as written), once,
    on stderr: one line each, naming the file."""
    import sys
    seen = set()
    for scene in scenes:
        for warning in scene.warnings:
            if warning not in seen:
                seen.add(warning)
                print(f"visualizer: warning: {warning}", file=sys.stderr)
