"""The command line: ``visualizer live | render | analyze | snapshot | sheet | devices | scenes | uniforms``.

Only the wiring: each command's flags and its work are in ``commands/``. A
user's mistake (a bad file, an unknown scene, a missing device) prints one
line naming the thing and what is wrong, and exits with status 2.
"""

import argparse
import sys

from visualizer.commands import files, info, live, render
from visualizer.commands.options import Parser
from visualizer.errors import VisualizerError

_COMMANDS = {"render": render.cmd_render, "live": live.cmd_live, "latency": live.cmd_latency,
             "analyze": files.cmd_analyze, "snapshot": files.cmd_snapshot,
             "sheet": files.cmd_sheet, "devices": info.cmd_devices, "scenes": info.cmd_scenes,
             "effects": info.cmd_effects, "uniforms": info.cmd_uniforms}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="visualizer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    live.add_live(sub)
    live.add_latency(sub)
    render.add_render(sub)
    files.add_files(sub)
    info.add_info(sub)
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
