"""``visualizer live``'s flags for video out (issue 13): none yet."""


def add_args(live) -> None:
    """The flags, on the ``live`` parser."""


def wire(args, options, scenes, callbacks: list) -> None:
    """Add what the flags ask for to ``options`` (controls, sinks, link) and
    ``callbacks`` (each called as (show, frame) every frame)."""
