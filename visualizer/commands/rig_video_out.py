"""``visualizer live``'s flags for video out (issue 13): the program picture
(no HUD) and the sound to other software, as a live stream (``--stream``)
and as an NDI source (``--ndi``)."""

import argparse

from visualizer.commands.options import DEFAULT_SIZE, bounded


def _stream_url(text: str) -> str:
    """--stream: a URL whose form is right (nothing is sent until the show starts)."""
    from visualizer.errors import OutputError
    from visualizer.output.stream import check_url
    try:
        check_url(text)
    except OutputError as e:   # argparse names the flag; the URL in it is redacted
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def add_args(live) -> None:
    """The flags, on the ``live`` parser."""
    live.add_argument("--stream", type=_stream_url, metavar="URL",
                      help="send the show (H.264 + AAC) as a live stream: rtmp://HOST/APP/KEY "
                      "or rtmps://... (a streaming service), or udp://HOST:PORT (MPEG-TS, for "
                      "OBS or another machine); the key never shows")
    live.add_argument("--stream-kbps", type=bounded(int, 300, 50000, "--stream-kbps"),
                      metavar="KBPS", help="the stream's video bit rate (default: 4000 at "
                      "1280x720 30 fps, more for larger or faster)")
    live.add_argument("--ndi", metavar="NAME",
                      help="send the picture and sound as the NDI source NAME (needs a running "
                      "avahi-daemon for receivers to find it)")
    live.add_argument("--out-fps", type=bounded(int, 10, 60, "--out-fps"), default=30,
                      metavar="FPS", help="frame rate of --stream and --ndi (default 30); their "
                      "size is the window's (--size)")


def wire(args, options, scenes, callbacks: list) -> None:
    """Add what the flags ask for to ``options`` (controls, sinks, link) and
    ``callbacks`` (each called as (show, frame) every frame)."""
    size = args.size or DEFAULT_SIZE
    if args.stream_kbps and not args.stream:
        from visualizer.errors import VisualizerError
        raise VisualizerError("--stream-kbps: give --stream URL too")
    if args.stream:   # connects now: a refused key stops us before the window opens
        from visualizer.output.stream import StreamSink
        options.sinks.append(StreamSink(args.stream, size, fps=args.out_fps,
                                        sample_rate=args.rate, kbps=args.stream_kbps))
    if args.ndi is not None:
        from visualizer.output.ndi import NdiSink
        options.sinks.append(NdiSink(args.ndi, size, fps=args.out_fps, sample_rate=args.rate))
