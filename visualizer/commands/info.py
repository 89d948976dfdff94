"""``visualizer devices``, ``scenes`` and ``uniforms``: what there is to use."""

import sys

from visualizer.commands.options import add_scenes
from visualizer.errors import VisualizerError


def add_info(sub) -> None:
    sub.add_parser("devices", help="list audio devices")
    add_scenes(sub.add_parser("scenes", help="list scenes"))
    sub.add_parser("uniforms", help="print the shader uniforms as a Markdown table")


def cmd_devices(args) -> int:
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


def cmd_scenes(args) -> int:
    from visualizer.scenes import scene as scenes_mod
    from visualizer.control.keys import BANK
    scenes = scenes_mod.discover(args.scenes)
    for i, s in enumerate(scenes):
        bank, digit = divmod(i, BANK)
        key = f"{digit + 1}" if bank == 0 else f"{'0' * bank} {digit + 1}"   # 0 moves to the next bank
        params = ", ".join(f"{p.name}={p.default:g}" for p in s.params.values())
        looks = f"  looks: {', '.join(s.looks)}" if s.looks else ""
        print(f"[{key}] {s.key:12s} {s.title}: {s.description}"
              + (f"  ({params})" if params else "") + looks)
    if len(scenes) > BANK:
        # On stderr: standard output stays one scene per line for scripts.
        print(f"keys: 1-9 pick a scene in the bank shown; 0 moves to the next bank of {BANK} "
              "([0 1] = press 0, then 1)", file=sys.stderr)
    return 0


def cmd_uniforms(args) -> int:
    from visualizer.scenes.uniforms import markdown_table
    print(markdown_table())
    return 0
