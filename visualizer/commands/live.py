"""``visualizer live`` and ``visualizer latency``: the show, in a window or headless."""

import sys
import tempfile
from pathlib import Path

from visualizer.commands.options import (DEFAULT_SIZE, add_fx, add_live_input, add_scenes,
                                         add_sensitivity, analyzer_settings, bounded, demo_wav,
                                         frames_arg, fx_and_params, scale_arg, show_warnings,
                                         size_arg, transpose_arg)
from visualizer.commands import rig_link, rig_video_out, rig_web
from visualizer.errors import VisualizerError


def add_live(sub) -> None:
    live = sub.add_parser("live", help="live window from a microphone or a file")
    add_scenes(live)
    add_live_input(live)
    live.add_argument("--scene", help="scene to start with (default: the first)")
    live.add_argument("--size", type=size_arg, help="window size WxH (default 1280x720; "
                      "fullscreen: the monitor's own)")
    live.add_argument("--fullscreen", action="store_true")
    live.add_argument("--screen", type=bounded(int, 0, 15, "--screen"),
                      help="fullscreen on monitor N (`visualizer devices` lists them)")
    live.add_argument("--headless", action="store_true",
                      help="no window and no display server: the show runs at 60 fps to its "
                      "sinks (--record), controlled by MIDI and OSC; Ctrl-C or SIGTERM ends it")
    live.add_argument("--frames", type=frames_arg, default=0, help="quit after this many frames")
    live.add_argument("--screenshot", type=Path, help="with --frames: save the last frame as PNG")
    add_sensitivity(live)
    add_fx(live)
    live.add_argument("--render-scale", type=scale_arg, default=1.0,
                      help="draw every scene at this fraction of the window (x the scene's own)")
    live.add_argument("--fixed-scale", action="store_true",
                      help="never lower the render scale to hold the frame rate")
    live.add_argument("--av-offset", type=bounded(float, -500, 2000, "--av-offset"), default=0.0,
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
    live.add_argument("--osc-port", type=bounded(int, 1, 65535, "--osc-port"),
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
    live.add_argument("--transpose", type=transpose_arg, default=0, metavar="INSTRUMENT",
                      help="name notes as the player reads them: concert, soprano, alto, "
                      "tenor, baritone or semitones (the HUD; MIDI stays at concert pitch)")
    for part in (rig_link, rig_video_out, rig_web):   # the rest of the rig
        part.add_args(live)


def add_latency(sub) -> None:
    lat = sub.add_parser("latency", help="calibrate: flash the screen on every click the "
                         "microphone hears (film it with a click track)")
    add_live_input(lat)
    lat.add_argument("--size", type=size_arg, help="window size WxH (default 1280x720)")
    lat.add_argument("--fullscreen", action="store_true")
    lat.add_argument("--screen", type=bounded(int, 0, 15, "--screen"), help="monitor N")
    lat.add_argument("--frames", type=frames_arg, default=0, help="quit after this many frames")
    lat.add_argument("--av-offset", type=bounded(float, -500, 2000, "--av-offset"),
                     default=0.0, metavar="MS", help="as for live")
    add_sensitivity(lat)


def _display(args):
    """Where the show is seen: a window (fullscreen on --screen N), or none (--headless)."""
    if getattr(args, "headless", False):
        from visualizer.output.display.headless import HeadlessDisplay
        if args.fullscreen or args.screen is not None:
            raise VisualizerError("live --headless: no window, so no --fullscreen or --screen")
        return HeadlessDisplay(args.size or DEFAULT_SIZE)
    from visualizer.output.display.window import WindowDisplay
    return WindowDisplay(args.size or DEFAULT_SIZE, size_given=args.size is not None,
                         fullscreen=args.fullscreen, screen=args.screen)


def cmd_live(args) -> int:
    from visualizer.engine import live
    from visualizer.engine.live_options import LiveOptions
    from visualizer.scenes import scene as scenes_mod

    lib = scenes_mod.library(args.scenes)
    scenes = lib.scenes
    if not scenes:
        raise VisualizerError(f"no scenes in {scenes_mod.SCENES_DIR}")
    start = scenes_mod.find(args.scene, scenes).key if args.scene else scenes[0].key
    show_warnings(scenes + lib.effects + lib.transitions)
    keys = [s.key for s in scenes]
    params = {s.key: list(s.params) for s in scenes}
    effects, fx, param_settings = fx_and_params(args, lib)
    fx_params = lib.effect_params()
    if args.setlist and args.scene:
        raise VisualizerError("live: give --scene or --setlist (which opens on its first cue), "
                              "not both")
    if args.osc_host != "127.0.0.1" and not args.osc_port:
        raise VisualizerError(f"--osc-host {args.osc_host}: give --osc-port too")
    options = LiveOptions(max_frames=args.frames, screenshot=args.screenshot,
                          settings=analyzer_settings(args, args.rate), render_scale=args.render_scale,
                          adaptive=not args.fixed_scale, record=args.record, hud=args.hud,
                          effects=effects, isf_transitions=lib.transitions, fx=fx,
                          params=param_settings)
    if args.setlist:
        from visualizer.control.setlist import Setlist
        from visualizer.scenes.scene import TRANSITIONS_DIR
        options.setlist = Setlist.load(args.setlist, keys,
                                       sorted(p.stem for p in TRANSITIONS_DIR.glob("*.glsl"))
                                       + [t.key for t in lib.transitions],
                                       looks={s.key: list(s.looks) for s in scenes},
                                       effects={e.key: list(e.looks) for e in lib.effects})
    if options.setlist is not None and not args.scene:
        start = options.setlist.cue().scene   # the set opens on its first cue
    from visualizer.control.auto import AutoDirector
    options.director = AutoDirector(
        keys, start=start, transitions={s.key: (s.transition, s.transition_beats) for s in scenes})
    options.auto = args.auto
    osc = _controls(args, options, keys, params, fx_params)
    if args.midi_bend and not args.midi_out:
        raise VisualizerError("--midi-bend: give --midi-out PORT too")
    options.transpose = args.transpose
    notes, port = _notes_out(args)   # a port that cannot open stops us before the window
    options.on_record = notes.on_record   # every recording writes its notes as OUT.mid
    callbacks = [notes.on_frame]
    if osc is not None:   # surfaces hear the scene and the cue back
        from visualizer.engine.remote_state import StatePublisher
        callbacks.append(StatePublisher([osc.publish]))
    if args.osc_send:
        callbacks.append(_feature_sender(args.osc_send))
    for part in (rig_link, rig_video_out, rig_web):
        part.wire(args, options, scenes, callbacks)
    options.on_frame = _each(callbacks)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = _live_source(args, Path(tmp), options)
            result = live.run_live(source, scenes, scene=start, display=_display(args),
                                   options=options)
            if source.silent and args.play != "none":
                print("visualizer: no audio output device: the file was shown but not heard",
                      file=sys.stderr)
    finally:
        notes.close()   # the synth must not hang on the last note
        if port is not None:
            port.close()
    return _report_live(result, source)


def _controls(args, options, keys: list[str], params: dict, fx_params: dict):
    """The MIDI input and OSC server the flags ask for, added to ``options``;
    the OSC server (None without --osc-port)."""
    if args.midi_map and not args.midi:
        # A map without an input would leave every pedal dead on stage, and
        # opening every port unasked grabs devices meant for something else.
        raise VisualizerError(f"--midi-map {args.midi_map}: give --midi PORT too (part of the "
                              "input's name, or 'virtual'; `visualizer devices` lists them)")
    if args.midi:
        from visualizer.control.midi import MidiInput, MidiLearn, MidiMap
        mapping = (MidiMap.load(args.midi_map, keys, params, missing_ok=True, effects=fx_params)
                   if args.midi_map else MidiMap(keys, params, effects=fx_params))
        learn = MidiLearn(mapping, args.midi_map) if args.midi_map else None
        midi = MidiInput(options.bus, mapping, port=args.midi, learn=learn)
        options.controls.append(midi)
        options.learn = learn
    osc = None
    if args.osc_port:
        from visualizer.control.osc import OscServer
        osc = OscServer(options.bus, host=args.osc_host, port=args.osc_port, scenes=keys,
                        params=params, effects=fx_params)
        options.controls.append(osc)
    return osc


def cmd_latency(args) -> int:
    from visualizer.engine import live
    from visualizer.engine.live_options import LiveOptions
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover()
    options = LiveOptions(max_frames=args.frames, settings=analyzer_settings(args, args.rate),
                          calibrate=True, hud=True, adaptive=False)
    with tempfile.TemporaryDirectory() as tmp:
        source = _live_source(args, Path(tmp), options)
        result = live.run_live(source, scenes[:1], scene=scenes[0].key, display=_display(args),
                               options=options)
    status = _report_live(result, source)
    print(f"{result.flashes} clicks flashed")
    return status


def _live_source(args, tmp: Path, options):
    """The live input(s) the arguments name; fills in the backing input and gates."""
    from visualizer.audio.mic import MicChannel, MicSource
    from visualizer.audio.player import FilePlayer

    offset = args.av_offset / 1000.0
    if args.demo or args.input:
        if args.backing_channel or args.backing_device:
            raise VisualizerError("--backing-channel/--backing-device need a microphone input, "
                                  "not --input or --demo")
        path = demo_wav(tmp) if args.demo else args.input
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
            options.backing = MicChannel(source, 1)
    options.av_offset = offset
    if args.gate is not None or args.backing_gate is not None:
        from visualizer.audio.gate import NoiseGate
        if args.gate is not None:
            options.gate = NoiseGate(threshold_db=args.gate, sample_rate=args.rate)
        if args.backing_gate is not None:
            options.backing_gate = NoiseGate(threshold_db=args.backing_gate, sample_rate=args.rate)
    return source


def _osc_target(target: str) -> tuple[str, int]:
    """--osc-send HOST:PORT -> (host, port)."""
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise VisualizerError(f"--osc-send '{target}': expected HOST:PORT like 127.0.0.1:9001")
    return host, int(port)


def _feature_sender(target: str):
    from visualizer.output.osc_out import FeatureSender
    sender = FeatureSender(*_osc_target(target))
    return lambda show, frame: sender.send(frame.values)


def _notes_out(args):
    """The live note follower and its outputs (--midi-out, --osc-send); (NoteOut, port)."""
    from visualizer.output.notes_out import NoteFollower, NoteOut, NoteSender, all_notes_off, open_output
    from visualizer.output.osc_out import OscNoteSender
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
    if source.lost_count:
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
