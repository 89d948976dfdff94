"""``visualizer analyze``, ``snapshot`` and ``sheet``: what a recording holds, and stills of it."""

import tempfile
from pathlib import Path

from visualizer.commands.options import (DEFAULT_SIZE, add_fx, add_scenes, add_sensitivity,
                                         analyzer_settings, bounded, demo_wav, fx_and_params,
                                         show_warnings, size_arg, transpose_arg)
from visualizer.errors import VisualizerError


def add_files(sub) -> None:
    analyze = sub.add_parser("analyze", help="every feature of an audio file over time")
    analyze.add_argument("audio", type=Path, help="audio file")
    analyze.add_argument("-o", "--output", type=Path, help="write the features as CSV")
    analyze.add_argument("--plot", type=Path, help="draw the features as PNG")
    analyze.add_argument("--events", type=Path, metavar="EVENTS.csv",
                         help="write onsets, beats, downbeats, notes and climaxes as CSV")
    analyze.add_argument("--notes", type=Path, metavar="NOTES.mid|.csv",
                         help="write the lead's notes: a MIDI file with a tempo map from the "
                         "beats, or a CSV table (by the extension)")
    analyze.add_argument("--transpose", type=transpose_arg, default=0, metavar="INSTRUMENT",
                         help="name notes as the player reads them: concert, soprano, "
                         "alto, tenor, baritone or semitones")
    analyze.add_argument("--rate", type=bounded(float, 0.1, 1000, "--rate"), default=100.0,
                         help="CSV rows per second, 0.1..1000 (default 100)")
    add_sensitivity(analyze)

    snap = sub.add_parser("snapshot", help="one frame of a scene at a moment of a recording")
    add_scenes(snap)
    snap.add_argument("audio", nargs="?", type=Path, help="audio file")
    snap.add_argument("--demo", action="store_true", help="use the built-in demo track")
    snap.add_argument("--at", type=float, required=True, help="time in seconds")
    snap.add_argument("--scene", help="scene (default: the first)")
    snap.add_argument("--look", default="", metavar="NAME",
                      help="show the scene in one of its looks (`visualizer scenes` lists them)")
    snap.add_argument("--size", type=size_arg, default=DEFAULT_SIZE, help="picture size WxH")
    add_fx(snap)
    snap.add_argument("--warmup", type=bounded(float, 0, 86400, "--warmup"), metavar="S",
                      help="a scene or effect that feeds its picture back (trails) is drawn "
                      "for S seconds of frames before the still (default: from the start)")
    snap.add_argument("-o", "--output", type=Path, required=True, help="output .png")

    sheet = sub.add_parser("sheet", help="a labelled contact sheet of every scene")
    add_scenes(sheet)
    sheet.add_argument("audio", nargs="?", type=Path, help="audio file")
    sheet.add_argument("--demo", action="store_true", help="use the built-in demo track")
    sheet.add_argument("--times", help="comma-separated seconds (default: four moments)")
    sheet.add_argument("--size", type=size_arg, default=(384, 216), help="each still's size WxH")
    sheet.add_argument("-o", "--output", type=Path, required=True, help="output .png")


def cmd_analyze(args) -> int:
    import numpy as np
    from visualizer.analysis import notes as notes_mod, report
    from visualizer.analysis.tuning import note_name

    notes_format = notes_mod.notes_format(args.notes) if args.notes else None  # before the work
    track = analyze_track(args.audio, analyzer_settings(args))
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


def analyze_track(path: Path, settings):
    """The file's FeatureTrack; an AudioFileError if it holds not one analysis hop."""
    from visualizer.analysis.from_file import analyze_file
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


def audio_arg(args, folder: Path) -> Path:
    if args.demo == (args.audio is not None):
        raise VisualizerError(f"{args.command}: give either an AUDIO file or --demo")
    return demo_wav(folder) if args.demo else args.audio


def cmd_snapshot(args) -> int:
    from visualizer.engine.stills import load_audio, render_stills, warmup_seconds
    from visualizer.output.png import write_png
    from visualizer.scenes import scene as scenes_mod

    lib = scenes_mod.library(args.scenes)
    scenes = lib.scenes
    scene = scenes_mod.find(args.scene, scenes) if args.scene else scenes[0]
    effects, fx, params = fx_and_params(args, lib)
    effects = [e for name in fx for e in effects if e.key == name]   # in the order given
    show_warnings([scene, *effects])
    if args.look and args.look not in scene.looks:
        raise VisualizerError(f"--look '{args.look}': {scene.key} has no such look "
                              f"(its looks: {', '.join(scene.looks) or 'none'})")
    with tempfile.TemporaryDirectory() as tmp:
        audio = audio_arg(args, Path(tmp))
        samples = load_audio(audio)
    name = "the demo track" if args.demo else str(audio)
    still = render_stills(samples, [scene], [args.at], args.size, name=name,
                          looks={scene.key: args.look}, effects=effects, params=params,
                          warmup=args.warmup)[(scene.key, args.at)]
    write_png(args.output, still)
    said = [f"look {args.look}"] if args.look else []
    said += [f"effects {', '.join(fx)}"] if fx else []
    said += [f"{len(params)} parameter{'s' * (len(params) != 1)} set"] if params else []
    print(f"wrote {args.output} ({', '.join([f'{scene.key} at {args.at:g} s', *said])})")
    warm = warmup_seconds([scene, *effects], args.at, args.warmup)
    if warm > 0:
        print(f"  {scene.key}{' and its effects' if effects else ''} feed their picture back: "
              f"drew {warm:g} s of frames first ({max(0.0, args.at - warm):g} s to "
              f"{args.at:g} s), so the trails are as a show would have them")
    return 0


def cmd_sheet(args) -> int:
    from visualizer.engine.stills import default_times, load_audio, render_stills, write_sheet
    from visualizer.scenes import scene as scenes_mod

    scenes = scenes_mod.discover(args.scenes)
    show_warnings(scenes)
    with tempfile.TemporaryDirectory() as tmp:
        audio = audio_arg(args, Path(tmp))
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
