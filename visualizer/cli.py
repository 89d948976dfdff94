"""The command line: ``visualizer live | render | analyze | devices | scenes | uniforms``.

A user's mistake (a bad file, an unknown scene, a missing device) prints one
line naming the thing and what is wrong, and exits with status 2.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from visualizer.errors import VisualizerError

DEFAULT_SIZE = (1280, 720)
# The demo's cues follow the tune (120 BPM, bars of 2 s): the steppe for the
# intro, the smoky club as the groove starts, the vortex (entered through
# itself) as it builds to the climax, and the crowd erupting after it. Each
# switch waits for the beat.
DEMO_CUES = ((0.0, "steppe", "", 0.0), (4.0, "club", "dissolve", 2.0),
             (11.5, "vortex", "vortex_zoom", 2.0), (16.8, "crowd", "flash", 1.0))


class _Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line naming it and where to look,
    not the usage first (``--help`` still prints it all)."""

    def error(self, message: str):
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 1280x720") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {text} is outside 16x16 .. 7680x4320")
    return w, h


def _bounded(kind: type, low: float, high: float, what: str):
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


_fps = _bounded(int, 1, 240, "fps")
_sensitivity = _bounded(float, 0.1, 10, "sensitivity")
_scale = _bounded(float, 0.1, 1.0, "render scale")
_channel = _bounded(int, 1, 64, "channel")
_frames = _bounded(int, 0, 10**9, "--frames")


def _transpose(text: str) -> int:
    """--transpose: an instrument (tenor) or semitones above concert pitch."""
    from visualizer.analysis.notes import parse_transpose
    try:
        return parse_transpose(text)
    except (ValueError, VisualizerError) as e:   # argparse names the flag itself
        raise argparse.ArgumentTypeError(str(e).removeprefix("--transpose ")) from None


def _add_live_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="input device: index or part of its name (default: system default)")
    parser.add_argument("--channel", type=_channel, default=1, help="input channel, from 1 (default 1)")
    parser.add_argument("--backing-channel", type=_channel, metavar="N",
                        help="a backing track on channel N of the same device, analysed apart")
    parser.add_argument("--backing-device", metavar="DEVICE",
                        help="a backing track from another input device (its --backing-channel)")
    parser.add_argument("--gate", type=_bounded(float, -100, 0, "--gate"), metavar="DB",
                        help="noise gate on the lead input at DB dBFS (keeps monitor bleed out)")
    parser.add_argument("--backing-gate", type=_bounded(float, -100, 0, "--backing-gate"),
                        metavar="DB", help="noise gate on the backing input")
    parser.add_argument("--input", type=Path, help="play this audio file instead of the microphone")
    parser.add_argument("--demo", action="store_true", help="play the built-in demo track")
    parser.add_argument("--loop", action="store_true", help="loop the --input file")
    parser.add_argument("--play", metavar="DEVICE", help="output device for --input/--demo: index, "
                        "part of its name, or 'none' to show without sound (default: system default)")
    parser.add_argument("--rate", type=_bounded(int, 8000, 384000, "--rate"), default=48000,
                        help="sample rate in Hz (default 48000)")
    parser.add_argument("--buffer", type=_bounded(int, 16, 16384, "--buffer"), default=256,
                        help="audio buffer in frames (default 256)")


def _add_sensitivity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sensitivity", type=_sensitivity, default=1.0,
                        help="onset sensitivity, 0.1..10: higher hears softer onsets (default 1)")


def _settings(args, rate: int = 48000):
    from visualizer.analysis.analyzer import AnalyzerSettings
    return AnalyzerSettings(sample_rate=rate, onset_sensitivity=args.sensitivity)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="visualizer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    live = sub.add_parser("live", help="live window from a microphone or a file")
    _add_live_input(live)
    live.add_argument("--scene", help="scene to start with (default: the first)")
    live.add_argument("--size", type=_size, help="window size WxH (default 1280x720; "
                      "fullscreen: the monitor's own)")
    live.add_argument("--fullscreen", action="store_true")
    live.add_argument("--screen", type=_bounded(int, 0, 15, "--screen"),
                      help="fullscreen on monitor N (`visualizer devices` lists them)")
    live.add_argument("--frames", type=_frames, default=0, help="quit after this many frames")
    live.add_argument("--screenshot", type=Path, help="with --frames: save the last frame as PNG")
    _add_sensitivity(live)
    live.add_argument("--render-scale", type=_scale, default=1.0,
                      help="draw every scene at this fraction of the window (x the scene's own)")
    live.add_argument("--fixed-scale", action="store_true",
                      help="never lower the render scale to hold the frame rate")
    live.add_argument("--av-offset", type=_bounded(float, -500, 2000, "--av-offset"), default=0.0,
                      metavar="MS", help="delay the picture by MS (a projector's lag is "
                      "negative: with --input/--demo the analysis then runs MS ahead)")
    live.add_argument("--record", type=Path, metavar="OUT.mp4",
                      help="record the picture with the input audio (R toggles; again: OUT-2.mp4)")
    live.add_argument("--hud", action="store_true", help="start with the heads-up display (H)")
    live.add_argument("--setlist", type=Path, help="TOML: songs, each a sequence of cues")
    live.add_argument("--auto", action="store_true",
                      help="change scenes by themselves on the music's structure (A toggles)")
    live.add_argument("--midi", metavar="PORT",
                      help="MIDI input: part of a port name, or 'virtual' to make a port")
    live.add_argument("--midi-map", type=Path, metavar="FILE",
                      help="TOML: notes, programs and controls to scenes, cues and parameters "
                      "(L then a key learns a control into it)")
    live.add_argument("--osc-port", type=_bounded(int, 1, 65535, "--osc-port"),
                      help="listen for OSC on this UDP port")
    live.add_argument("--osc-host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only)")
    live.add_argument("--osc-send", metavar="HOST:PORT",
                      help="send the analysis features by OSC every frame to HOST:PORT "
                      "(and the lead's notes as /visualizer/note)")
    live.add_argument("--midi-out", metavar="PORT",
                      help="play the lead's notes on a MIDI output: part of a port name, "
                      "or 'virtual' to make a port")
    live.add_argument("--midi-bend", action="store_true",
                      help="with --midi-out: pitch bend follows the horn (range 2 semitones)")
    live.add_argument("--transpose", type=_transpose, default=0, metavar="INSTRUMENT",
                      help="name notes as the player reads them: concert, soprano, alto, "
                      "tenor, baritone or semitones (the HUD; MIDI stays at concert pitch)")

    lat = sub.add_parser("latency", help="calibrate: flash the screen on every click the "
                         "microphone hears (film it with a click track)")
    _add_live_input(lat)
    lat.add_argument("--size", type=_size, help="window size WxH (default 1280x720)")
    lat.add_argument("--fullscreen", action="store_true")
    lat.add_argument("--screen", type=_bounded(int, 0, 15, "--screen"), help="monitor N")
    lat.add_argument("--frames", type=_frames, default=0, help="quit after this many frames")
    lat.add_argument("--av-offset", type=_bounded(float, -500, 2000, "--av-offset"),
                     default=0.0, metavar="MS", help="as for live")
    _add_sensitivity(lat)

    render = sub.add_parser("render", help="render an audio file to a video with its sound")
    render.add_argument("audio", nargs="?", type=Path, help="audio file (WAV, FLAC, OGG, MP3...)")
    render.add_argument("--demo", action="store_true", help="render the built-in demo track")
    render.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    render.add_argument("--scene", help="scene (default: the first; the demo visits every scene)")
    render.add_argument("--size", type=_size, default=DEFAULT_SIZE, help="video size WxH")
    render.add_argument("--fps", type=_bounded(int, 24, 120, "fps"), default=30,
                        help="frames per second, 24..120 (default 30)")
    _add_sensitivity(render)
    render.add_argument("--render-scale", type=_scale, default=1.0,
                        help="draw every scene at this fraction of the video (x the scene's own)")
    render.add_argument("--timeline", type=Path, help="TOML: scene changes, transitions, ramps")
    render.add_argument("--auto", action="store_true",
                        help="change scenes by the music's structure (bars, the climax)")
    render.add_argument("--start", type=_bounded(float, 0, 1e6, "--start"), default=0.0,
                        help="render from this time (s)")
    render.add_argument("--duration", type=_bounded(float, 0.01, 1e6, "--duration"),
                        help="render this many seconds")
    render.add_argument("--supersample", type=int, choices=(1, 2, 3, 4), default=1,
                        help="draw at N x the size and average down: smoother edges")
    render.add_argument("--codec", choices=("h264", "hevc", "prores", "png"),
                        help="default from the extension: .mp4 h264, .mov prores, .png a PNG sequence")
    render.add_argument("--crf", type=_bounded(int, 0, 51, "--crf"), default=18,
                        help="H.264/HEVC quality, lower is better (default 18)")
    render.add_argument("--preset", default="veryfast",
                        choices=("ultrafast", "superfast", "veryfast", "faster", "fast",
                                 "medium", "slow", "slower", "veryslow"),
                        help="H.264/HEVC speed preset (default veryfast)")

    analyze = sub.add_parser("analyze", help="every feature of an audio file over time")
    analyze.add_argument("audio", type=Path, help="audio file")
    analyze.add_argument("-o", "--output", type=Path, help="write the features as CSV")
    analyze.add_argument("--plot", type=Path, help="draw the features as PNG")
    analyze.add_argument("--events", type=Path, metavar="EVENTS.csv",
                         help="write onsets, beats, downbeats, notes and climaxes as CSV")
    analyze.add_argument("--notes", type=Path, metavar="NOTES.mid|.csv",
                         help="write the lead's notes: a MIDI file with a tempo map from the "
                         "beats, or a CSV table (by the extension)")
    analyze.add_argument("--transpose", type=_transpose, default=0, metavar="INSTRUMENT",
                         help="name notes as the player reads them: concert, soprano, "
                         "alto, tenor, baritone or semitones")
    analyze.add_argument("--rate", type=_bounded(float, 0.1, 1000, "--rate"), default=100.0,
                         help="CSV rows per second, 0.1..1000 (default 100)")
    _add_sensitivity(analyze)

    snap = sub.add_parser("snapshot", help="one frame of a scene at a moment of a recording")
    snap.add_argument("audio", nargs="?", type=Path, help="audio file")
    snap.add_argument("--demo", action="store_true", help="use the built-in demo track")
    snap.add_argument("--at", type=float, required=True, help="time in seconds")
    snap.add_argument("--scene", help="scene (default: the first)")
    snap.add_argument("--size", type=_size, default=DEFAULT_SIZE, help="picture size WxH")
    snap.add_argument("-o", "--output", type=Path, required=True, help="output .png")

    sheet = sub.add_parser("sheet", help="a labelled contact sheet of every scene")
    sheet.add_argument("audio", nargs="?", type=Path, help="audio file")
    sheet.add_argument("--demo", action="store_true", help="use the built-in demo track")
    sheet.add_argument("--times", help="comma-separated seconds (default: four moments)")
    sheet.add_argument("--size", type=_size, default=(384, 216), help="each still's size WxH")
    sheet.add_argument("-o", "--output", type=Path, required=True, help="output .png")

    sub.add_parser("devices", help="list audio devices")
    sub.add_parser("scenes", help="list scenes")
    sub.add_parser("uniforms", help="print the shader uniforms as a Markdown table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = _COMMANDS[args.command](args)
        if argv is None and args.command in _SHOWS:
            _leave_now(status)
        return status
    except VisualizerError as e:
        # One line even when a name the user gave holds a line break.
        text = str(e).replace("\r", "\\r").replace("\n", "\\n")
        print(f"visualizer: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("visualizer: interrupted", file=sys.stderr)
        return 130


_SHOWS = ("live", "latency")


def _leave_now(status: int) -> None:
    """End a show's process at once: Esc or Ctrl-C must quit within a second.

    Everything that needs an orderly end is done by now (streams stopped,
    recordings finished, temporary files removed); what is left is the
    interpreter's own tidying of every module, measured at 0.8 s on a busy
    2-core machine, which a performer waiting for the desktop should not pay.
    """
    import os
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _cmd_render(args) -> int:
    from visualizer.engine.offline import RenderOptions, RenderStopped, render_file
    from visualizer.scenes import scene as scenes_mod
    from visualizer.scenes.cues import Cue
    from visualizer.scenes.timeline import auto_cues, load_timeline

    if args.demo == (args.audio is not None):
        raise VisualizerError("render: give either an AUDIO file or --demo")
    if sum(map(bool, (args.scene, args.timeline, args.auto))) > 1:
        raise VisualizerError("render: give at most one of --scene, --timeline and --auto")
    scenes = scenes_mod.discover()
    settings = _settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        audio = _demo_wav(Path(tmp)) if args.demo else args.audio
        track = _analyze(audio, settings)
        ramps = []
        if args.scene:
            cues = [Cue(0.0, scenes_mod.find(args.scene, scenes).key)]
        elif args.timeline:
            cues, ramps = load_timeline(args.timeline, scenes=scenes, track=track)
        elif args.auto:
            cues = auto_cues(track, scenes)
        elif args.demo:
            cues = [Cue(t, scenes_mod.find(k, scenes).key, tr, beats=b,
                        quantize="beat" if t else "none") for t, k, tr, b in DEMO_CUES]
        else:
            cues = [Cue(0.0, scenes[0].key)]
        options = RenderOptions(size=args.size, fps=args.fps, start=args.start,
                                duration=args.duration, supersample=args.supersample,
                                codec=args.codec, crf=args.crf, preset=args.preset,
                                render_scale=args.render_scale, settings=settings, ramps=ramps)
        try:
            frames = render_file(audio, args.output, scenes=scenes, cues=cues, options=options,
                                 track=track)
        except RenderStopped as stop:
            print(f"visualizer: {stop}", file=sys.stderr)
            return 130
    print(f"wrote {args.output} ({frames} frames, {frames / args.fps:.2f} s)")
    return 0


def _cmd_live(args) -> int:
    from visualizer.output.display.window import LiveOptions, run_live
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover()
    if not scenes:
        raise VisualizerError(f"no scenes in {scenes_mod.SCENES_DIR}")
    start = scenes_mod.find(args.scene, scenes).key if args.scene else scenes[0].key
    keys = [s.key for s in scenes]
    params = {s.key: list(s.params) for s in scenes}
    if args.setlist and args.scene:
        raise VisualizerError("live: give --scene or --setlist (which opens on its first cue), "
                              "not both")
    if args.osc_host != "127.0.0.1" and not args.osc_port:
        raise VisualizerError(f"--osc-host {args.osc_host}: give --osc-port too")
    options = LiveOptions(size=args.size or DEFAULT_SIZE, size_given=args.size is not None,
                          fullscreen=args.fullscreen, screen=args.screen,
                          max_frames=args.frames, screenshot=args.screenshot,
                          settings=_settings(args, args.rate), render_scale=args.render_scale,
                          adaptive=not args.fixed_scale, record=args.record, hud=args.hud)
    if args.setlist:
        from visualizer.control.setlist import Setlist
        from visualizer.scenes.scene import TRANSITIONS_DIR
        options.setlist = Setlist.load(args.setlist, keys,
                                       sorted(p.stem for p in TRANSITIONS_DIR.glob("*.glsl")))
    if options.setlist is not None and not args.scene:
        start = options.setlist.cue().scene   # the set opens on its first cue
    from visualizer.control.auto import AutoDirector
    options.director = AutoDirector(
        keys, start=start, transitions={s.key: (s.transition, s.transition_beats) for s in scenes})
    options.auto = args.auto
    if args.midi_map and not args.midi:
        # A map without an input would leave every pedal dead on stage, and
        # opening every port unasked grabs devices meant for something else.
        raise VisualizerError(f"--midi-map {args.midi_map}: give --midi PORT too (part of the "
                              "input's name, or 'virtual'; `visualizer devices` lists them)")
    if args.midi:
        from visualizer.control.midi import MidiInput, MidiLearn, MidiMap
        mapping = (MidiMap.load(args.midi_map, keys, params, missing_ok=True) if args.midi_map
                   else MidiMap(keys, params))
        learn = MidiLearn(mapping, args.midi_map) if args.midi_map else None
        midi = MidiInput(options.bus, mapping, port=args.midi, learn=learn)
        options.controls.append(_VirtualMidi(midi) if args.midi == "virtual" else midi)
        options.learn = learn
    if args.osc_port:
        from visualizer.control.osc import OscServer
        options.controls.append(OscServer(options.bus, host=args.osc_host, port=args.osc_port,
                                          scenes=keys, params=params))
    if args.midi_bend and not args.midi_out:
        raise VisualizerError("--midi-bend: give --midi-out PORT too")
    options.transpose = args.transpose
    notes, port = _notes_out(args)   # a port that cannot open stops us before the window
    options.on_record = notes.on_record   # every recording writes its notes as OUT.mid
    callbacks = [notes.on_frame]
    if args.osc_send:
        callbacks.append(_feature_sender(args.osc_send))
    options.on_frame = _each(callbacks)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = _live_source(args, Path(tmp), options)
            result = run_live(source, scenes, scene=start, options=options)
            if getattr(source, "silent", False) and args.play != "none":
                print("visualizer: no audio output device: the file was shown but not heard",
                      file=sys.stderr)
    finally:
        notes.close()   # the synth must not hang on the last note
        if port is not None:
            port.close()
    return _report_live(result, source)


def _cmd_latency(args) -> int:
    from visualizer.output.display.window import LiveOptions, run_live
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover()
    options = LiveOptions(size=args.size or DEFAULT_SIZE, size_given=args.size is not None,
                          fullscreen=args.fullscreen, screen=args.screen,
                          max_frames=args.frames, settings=_settings(args, args.rate),
                          calibrate=True, hud=True, adaptive=False)
    with tempfile.TemporaryDirectory() as tmp:
        source = _live_source(args, Path(tmp), options)
        result = run_live(source, scenes[:1], scene=scenes[0].key, options=options)
    status = _report_live(result, source)
    print(f"{result.flashes} clicks flashed")
    return status


def _live_source(args, tmp: Path, options):
    """The live input(s) the arguments name; fills in the backing input and gates."""
    from visualizer.audio.live import FilePlayer, MicSource

    offset = args.av_offset / 1000.0
    if args.demo or args.input:
        if args.backing_channel or args.backing_device:
            raise VisualizerError("--backing-channel/--backing-device need a microphone input, "
                                  "not --input or --demo")
        path = _demo_wav(tmp) if args.demo else args.input
        source = FilePlayer(path, sample_rate=args.rate, loop=args.loop or args.demo,
                            output=args.play, **({"lead": -offset} if offset < 0 else {}))
    else:
        if offset < 0:
            raise VisualizerError(f"--av-offset {args.av_offset:g}: a microphone cannot be "
                                  "heard ahead of time; use a positive offset (delay the picture)")
        channels = [args.channel - 1]
        if args.backing_channel and not args.backing_device:
            channels.append(args.backing_channel - 1)
        source = MicSource(args.device, sample_rate=args.rate, buffer_size=args.buffer,
                           channels=channels)
        if args.backing_device:
            options.backing = MicSource(args.backing_device, sample_rate=args.rate,
                                        buffer_size=args.buffer,
                                        channels=[(args.backing_channel or 1) - 1])
        elif len(channels) == 2:
            options.backing = _SecondRing(source)
    options.av_offset = offset
    if args.gate is not None or args.backing_gate is not None:
        from visualizer.audio.gate import NoiseGate
        if args.gate is not None:
            options.gate = NoiseGate(threshold_db=args.gate, sample_rate=args.rate)
        if args.backing_gate is not None:
            options.backing_gate = NoiseGate(threshold_db=args.backing_gate, sample_rate=args.rate)
    return source


class _VirtualMidi:
    """``--midi virtual``: a port of our own for a DAW or another program to play into."""

    def __init__(self, midi):
        self.midi = midi

    def start(self) -> None:
        self.midi.open_virtual("visualizer")

    def poll(self) -> None:
        self.midi.poll()

    def stop(self) -> None:
        self.midi.close()


class _SecondRing:
    """The backing channel of the lead's own device, as a source of its own."""

    def __init__(self, source):
        self.ring, self.sample_rate = source.rings[1], source.sample_rate

    def start(self) -> None:
        pass   # the lead's stream fills it

    def stop(self) -> None:
        pass


def _osc_target(target: str) -> tuple[str, int]:
    """--osc-send HOST:PORT -> (host, port)."""
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise VisualizerError(f"--osc-send '{target}': expected HOST:PORT like 127.0.0.1:9001")
    return host, int(port)


def _feature_sender(target: str):
    from visualizer.control.osc import FeatureSender
    sender = FeatureSender(*_osc_target(target))
    return lambda show, frame: sender.send(frame.values)


def _notes_out(args):
    """The live note follower and its outputs (--midi-out, --osc-send); (NoteOut, port)."""
    from visualizer.output.notes_out import NoteFollower, NoteOut, NoteSender, OscNoteSender, all_notes_off, open_output
    sinks, port = [], None
    if args.osc_send:
        sinks.append(OscNoteSender(*_osc_target(args.osc_send)))
    if args.midi_out:
        port = open_output(args.midi_out)
        all_notes_off(port.send)   # a synth left hanging by an earlier run
        sinks.append(NoteSender(port.send, bend=args.midi_bend))
    return NoteOut(NoteFollower(bend=args.midi_bend), sinks, bend=args.midi_bend), port


def _each(callbacks):
    """One on_frame callback that calls each of ``callbacks`` in turn."""
    def on_frame(show, frame):
        for callback in callbacks:
            callback(show, frame)
    return on_frame


def _report_live(result, source) -> int:
    """Print the run's summary; the exit status (130 after Ctrl-C)."""
    print(f"{result.frames} frames shown, {source.overflows} input overflows, "
          f"{result.late} late frames, {result.dropped} recorded frames dropped")
    if getattr(source, "lost_count", 0):
        print(f"input lost {source.lost_count} times, recovered {source.recovered_count} times")
    if result.latency:
        print(result.latency)
    if result.scene:
        print(f"ended on scene {result.scene}")
    if result.applied:
        by = ", ".join(f"{n} from {source or 'other'}" for source, n in sorted(result.applied.items()))
        print(f"{sum(result.applied.values())} control commands applied ({by})")
    if result.failed_commands or result.rejected_messages:
        print(f"{result.failed_commands} control commands failed, "
              f"{result.rejected_messages} control messages ignored"
              + (f" (last: {result.last_error})" if result.last_error else ""))
    for path in result.recordings:
        print(f"recorded {path}")
    if result.interrupted:
        print("visualizer: interrupted", file=sys.stderr)
        return 130
    return 0


def _cmd_analyze(args) -> int:
    import numpy as np
    from visualizer.analysis import notes as notes_mod, report
    from visualizer.analysis.pitch import note_name

    notes_format = notes_mod.notes_format(args.notes) if args.notes else None  # before the work
    track = _analyze(args.audio, _settings(args))
    duration = track.rows.shape[0] * track.hop_seconds
    voiced = track.column("voiced") > 0.5
    notes = track.column("note")[voiced]
    print(f"{args.audio}: {duration:.1f} s, tempo {track.tempo:.1f} BPM, "
          f"{track.beat_times.size} beats, {track.onset_times.size} onsets, "
          f"integrated loudness {track.integrated_lufs:.1f} LUFS")
    if notes.size:
        lo, hi = (int(round(v)) + args.transpose for v in np.percentile(notes, [5, 95]))
        print(f"  pitched {voiced.mean() * 100:.0f}% of the time, notes {note_name(lo)} to "
              f"{note_name(hi)}{' as read' if args.transpose else ''}, "
              f"tuning {np.median(track.column('tuning')[voiced]):+.0f} cents")
    if args.output:
        rows = report.write_csv(track, args.output, rate=args.rate)
        print(f"wrote {args.output} ({rows} rows)")
    if args.plot:
        report.plot(track, args.plot, title=str(args.audio.name), transpose=args.transpose,
                    reading=_reading(args), notes=notes_mod.transcribe(track))
        print(f"wrote {args.plot}")
    if args.events or args.notes:
        lead = notes_mod.transcribe(track)
        if args.events:
            rows = notes_mod.write_events_csv(track, lead, args.events)
            print(f"wrote {args.events} ({rows} events)")
        if notes_format == "midi":
            notes_mod.write_notes_midi(lead, args.notes, beats=track.beat_times, tempo=track.tempo,
                                       transpose=args.transpose)
        elif notes_format == "csv":
            notes_mod.write_notes_csv(lead, args.notes, transpose=args.transpose)
        if args.notes:
            print(f"wrote {args.notes} ({len(lead)} notes, {_reading(args)})")
    return 0


def _analyze(path: Path, settings):
    """The file's FeatureTrack; an AudioFileError if it holds not one analysis hop."""
    from visualizer.analysis.track import analyze_file
    from visualizer.errors import AudioFileError
    track = analyze_file(path, settings=settings)
    if track.rows.shape[0] == 0:
        raise AudioFileError(f"{path}: too short to analyse: less than "
                             f"{track.hop_seconds * 1000:.1f} ms of audio")
    return track


def _reading(args) -> str:
    """How the plot says its notes are named: 'concert', 'tenor', '+3 semitones'."""
    if args.transpose == 0:
        return "concert"
    from visualizer.analysis.notes import TRANSPOSE
    names = [name for name, semitones in TRANSPOSE.items() if semitones == args.transpose]
    return names[0] if names else f"{args.transpose:+d} semitones"


def _audio_arg(args, folder: Path) -> Path:
    if args.demo == (args.audio is not None):
        raise VisualizerError(f"{args.command}: give either an AUDIO file or --demo")
    return _demo_wav(folder) if args.demo else args.audio


def _cmd_snapshot(args) -> int:
    from visualizer.engine.stills import load_audio, render_stills
    from visualizer.output.png import write_png
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover()
    scene = scenes_mod.find(args.scene, scenes) if args.scene else scenes[0]
    with tempfile.TemporaryDirectory() as tmp:
        audio = _audio_arg(args, Path(tmp))
        samples = load_audio(audio)
    name = "the demo track" if args.demo else str(audio)
    still = render_stills(samples, [scene], [args.at], args.size, name=name)[(scene.key, args.at)]
    write_png(args.output, still)
    print(f"wrote {args.output} ({scene.key} at {args.at:g} s)")
    return 0


def _cmd_sheet(args) -> int:
    from visualizer.engine.stills import default_times, load_audio, render_stills, write_sheet
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover()
    with tempfile.TemporaryDirectory() as tmp:
        audio = _audio_arg(args, Path(tmp))
        samples = load_audio(audio)
    duration = samples.shape[0] / 48000
    try:
        times = ([float(v) for v in args.times.split(",")] if args.times
                 else default_times(duration))
    except ValueError:
        raise VisualizerError(f"--times '{args.times}': expected seconds like 3,8.5,12") from None
    stills = render_stills(samples, scenes, times, args.size, flag="--times",
                           name="the demo track" if args.demo else str(audio))
    name = "the demo track" if args.demo else args.audio.name
    write_sheet(stills, scenes, times, args.output, title=f"visualizer scenes: {name}")
    print(f"wrote {args.output} ({len(scenes)} scenes x {len(times)} moments)")
    return 0


def _cmd_devices(args) -> int:
    from visualizer.audio.portaudio import list_devices
    devices = list_devices()
    print("audio devices:" if devices else "no audio devices")
    for d in devices:
        kind = "/".join(k for k, n in (("in", d.inputs), ("out", d.outputs)) if n)
        print(f"{d.index:3d}  {d.name}  ({kind}: {d.inputs} in, {d.outputs} out, "
              f"{d.default_rate:.0f} Hz, {d.host_api})")
    try:
        from visualizer.output.display.window import list_screens
        screens = list_screens()
        print("screens (--screen N):")
        for line in screens:
            print(line)
    except Exception as e:  # noqa: BLE001 -- no display is a normal state for this listing
        print(f"no screens ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
    try:
        from visualizer.control.midi import list_ports
        ports = list_ports()
        print("MIDI inputs (--midi):" if ports else "no MIDI inputs")
        for name in ports:
            print(f"     {name}")
    except VisualizerError as e:
        print(f"no MIDI inputs ({e})")
    return 0


def _cmd_scenes(args) -> int:
    from visualizer.scenes import scene as scenes_mod
    for i, s in enumerate(scenes_mod.discover(), start=1):
        key = str(i) if i <= 9 else " "
        params = ", ".join(f"{p.name}={p.default:g}" for p in s.params.values())
        print(f"[{key}] {s.key:12s} {s.title}: {s.description}" + (f"  ({params})" if params else ""))
    return 0


def _cmd_uniforms(args) -> int:
    from visualizer.scenes.uniforms import markdown_table
    print(markdown_table())
    return 0


def _demo_wav(folder: Path) -> Path:
    from visualizer.audio.demo import DEMO_SAMPLE_RATE, demo_track, write_wav
    path = folder / "demo.wav"
    write_wav(path, demo_track(), DEMO_SAMPLE_RATE)
    return path


_COMMANDS = {"render": _cmd_render, "live": _cmd_live, "latency": _cmd_latency, "analyze": _cmd_analyze,
             "snapshot": _cmd_snapshot, "sheet": _cmd_sheet,
             "devices": _cmd_devices,
             "scenes": _cmd_scenes, "uniforms": _cmd_uniforms}
