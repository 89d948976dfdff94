"""``visualizer live``'s flags for Ableton Link (issue 13): ``--link``,
``--link-lead``, ``--link-quantum``; the clock itself is ``control/link.py``."""

from visualizer.commands.options import bounded
from visualizer.errors import VisualizerError


def add_args(live) -> None:
    """The flags, on the ``live`` parser."""
    live.add_argument("--link", action="store_true",
                      help="join the Ableton Link session: with peers there, tempo, beat and "
                      "bar come from the session (scenes, quantised changes and the setlist "
                      "follow the band), read ahead by the output latency; taps (Space) set "
                      "the session's tempo")
    live.add_argument("--link-lead", action="store_true",
                      help="with Link (implies --link): publish the tempo heard in the input "
                      "to the session once the beat tracker is sure of it and it holds for 2 s; "
                      "changes within 1 %% are not published again")
    live.add_argument("--link-quantum", type=bounded(int, 1, 16, "--link-quantum"),
                      metavar="BEATS", help="beats in a bar of the Link session (default 4)")


def wire(args, options, scenes, callbacks: list) -> None:
    """Add what the flags ask for to ``options`` (controls, sinks, link) and
    ``callbacks`` (each called as (show, frame) every frame)."""
    if not (args.link or args.link_lead):
        if args.link_quantum is not None:
            raise VisualizerError("--link-quantum: give --link too")
        return
    from visualizer.control.link import LinkClock
    clock = LinkClock(quantum=args.link_quantum or 4, lead=args.link_lead,
                      av_offset=args.av_offset / 1000.0)
    options.link = clock
    options.controls.append(clock)
