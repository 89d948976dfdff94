"""``visualizer render``: an audio file (or the demo) to a video with its sound."""

import sys
import tempfile
from pathlib import Path

from visualizer.commands.options import (DEFAULT_SIZE, add_fx, add_scenes, add_sensitivity,
                                         analyzer_settings, bounded, demo_wav, fx_and_params,
                                         scale_arg, show_warnings, size_arg)
from visualizer.commands.files import analyze_track
from visualizer.errors import VisualizerError


# The demo's cues follow the tune (120 BPM, bars of 2 s): the steppe for the
# intro, the smoky club as the groove starts, the vortex (entered through
# itself) as it builds to the climax, and the crowd erupting after it. Each
# switch waits for the beat.
DEMO_CUES = ((0.0, "steppe", "", 0.0), (4.0, "club", "dissolve", 2.0),
             (11.5, "vortex", "vortex_zoom", 2.0), (16.8, "crowd", "flash", 1.0))


def add_render(sub) -> None:
    render = sub.add_parser("render", help="render an audio file to a video with its sound")
    add_scenes(render)
    render.add_argument("audio", nargs="?", type=Path, help="audio file (WAV, FLAC, OGG, MP3...)")
    render.add_argument("--demo", action="store_true", help="render the built-in demo track")
    render.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    render.add_argument("--scene", help="scene (default: the first; the demo visits every scene)")
    render.add_argument("--size", type=size_arg, default=DEFAULT_SIZE, help="video size WxH")
    render.add_argument("--fps", type=bounded(int, 24, 120, "fps"), default=30,
                        help="frames per second, 24..120 (default 30)")
    add_sensitivity(render)
    add_fx(render)
    render.add_argument("--render-scale", type=scale_arg, default=1.0,
                        help="draw every scene at this fraction of the video (x the scene's own)")
    render.add_argument("--timeline", type=Path, help="TOML: scene changes, transitions, ramps")
    render.add_argument("--auto", action="store_true",
                        help="change scenes by the music's structure (bars, the climax)")
    render.add_argument("--start", type=bounded(float, 0, 1e6, "--start"), default=0.0,
                        help="render from this time (s)")
    render.add_argument("--duration", type=bounded(float, 0.01, 1e6, "--duration"),
                        help="render this many seconds")
    render.add_argument("--supersample", type=int, choices=(1, 2, 3, 4), default=1,
                        help="draw at N x the size and average down: smoother edges")
    render.add_argument("--codec", choices=("h264", "hevc", "prores", "png"),
                        help="default from the extension: .mp4 h264, .mov prores, .png a PNG sequence")
    render.add_argument("--crf", type=bounded(int, 0, 51, "--crf"), default=18,
                        help="H.264/HEVC quality, lower is better (default 18)")
    render.add_argument("--preset", default="veryfast",
                        choices=("ultrafast", "superfast", "veryfast", "faster", "fast",
                                 "medium", "slow", "slower", "veryslow"),
                        help="H.264/HEVC speed preset (default veryfast)")
    render.add_argument("--chunk-seconds", type=bounded(float, 1, 86400, "--chunk-seconds"),
                        default=60.0, metavar="S",
                        help="render in chunks of S seconds, each a segment from a keyframe, "
                        "joined without re-encoding (default 60)")
    render.add_argument("--threads", type=bounded(int, 1, 64, "--threads"), default=2,
                        help="encoder threads (default 2); part of the plan, since the "
                        "encoded bytes depend on it: every machine of a cluster uses it")
    render.add_argument("--resume", action="store_true",
                        help="reuse the chunks a stopped render of the same plan finished")
    cluster = render.add_mutually_exclusive_group()
    cluster.add_argument("--workers", type=bounded(int, 1, 256, "--workers"), metavar="N",
                         help="render on a local Ray cluster of N worker processes "
                         "(needs the cluster extra: pip install 'visualizer[cluster]')")
    cluster.add_argument("--cluster", metavar="ADDRESS",
                         help="render on the Ray cluster at ADDRESS (HEAD:6379), or 'auto' "
                         "for RAY_ADDRESS")
    render.add_argument("--gpus-per-worker", type=bounded(float, 0, 8, "--gpus-per-worker"),
                        default=0.0, metavar="G",
                        help="with --workers/--cluster: each chunk takes G GPUs (1: one chunk "
                        "per GPU, rendered on that GPU)")


def cmd_render(args) -> int:
    from visualizer.engine.offline import RenderOptions, RenderStopped, plan_render, render_plan
    from visualizer.scenes import scene as scenes_mod
    from visualizer.scenes.cues import Cue
    from visualizer.scenes.timeline import auto_cues, load_timeline

    if args.demo == (args.audio is not None):
        raise VisualizerError("render: give either an AUDIO file or --demo")
    if sum(map(bool, (args.scene, args.timeline, args.auto))) > 1:
        raise VisualizerError("render: give at most one of --scene, --timeline and --auto")
    lib = scenes_mod.library(args.scenes)
    scenes = lib.scenes
    effects, fx, params = fx_and_params(args, lib)
    settings = analyzer_settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        audio = demo_wav(Path(tmp)) if args.demo else args.audio
        track = analyze_track(audio, settings)
        ramps = []
        if args.scene:
            cues = [Cue(0.0, scenes_mod.find(args.scene, scenes).key)]
        elif args.timeline:
            cues, ramps = load_timeline(args.timeline, scenes=scenes, track=track,
                                        effects=effects,
                                        isf_transitions=[t.key for t in lib.transitions])
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
                                threads=args.threads, chunk_seconds=args.chunk_seconds,
                                resume=args.resume, render_scale=args.render_scale,
                                settings=settings, ramps=ramps, effects=effects,
                                isf_transitions=lib.transitions, fx=fx, params=params)
        if args.gpus_per_worker and not (args.workers or args.cluster):
            raise VisualizerError("--gpus-per-worker: give --workers N or --cluster ADDRESS too")
        try:
            plan = plan_render(audio, scenes=scenes, cues=cues, options=options, track=track)
            show_warnings(plan.shaders)
            if args.workers or args.cluster:
                from visualizer.engine.cluster import render_on_cluster
                frames = render_on_cluster(plan, args.output, workers=args.workers or 0,
                                           address=args.cluster or "",
                                           gpus_per_worker=args.gpus_per_worker,
                                           resume=args.resume)
            else:
                frames = render_plan(plan, args.output, resume=args.resume)
        except RenderStopped as stop:
            print(f"visualizer: {stop}", file=sys.stderr)
            return 130
    print(f"wrote {args.output} ({frames} frames, {frames / args.fps:.2f} s)")
    return 0
