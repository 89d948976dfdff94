"""``visualizer devices``, ``scenes`` and ``uniforms``: what there is to use."""

import sys

from visualizer.commands.options import add_scenes
from visualizer.errors import VisualizerError


def add_info(sub) -> None:
    sub.add_parser("devices", help="list audio devices")
    add_scenes(sub.add_parser("scenes", help="list scenes"))
    add_scenes(sub.add_parser("effects", help="list effects (ISF filters) and ISF transitions"))
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
        params = ", ".join(f"{p.name}={_shown(p.default)}" for p in s.params.values())
        looks = f"  looks: {', '.join(s.looks)}" if s.looks else ""
        print(f"[{key}] {s.key:12s} {s.title}: {s.description}"
              + (f"  ({params})" if params else "") + looks)
    if len(scenes) > BANK:
        # On stderr: standard output stays one scene per line for scripts.
        print(f"keys: 1-9 pick a scene in the bank shown; 0 moves to the next bank of {BANK} "
              "([0 1] = press 0, then 1)", file=sys.stderr)
    return 0


def cmd_effects(args) -> int:
    from visualizer.control.keys import FX_KEYS
    from visualizer.scenes import scene as scenes_mod
    lib = scenes_mod.library(args.scenes)
    for i, e in enumerate(lib.effects):
        key = FX_KEYS[i] if i < len(FX_KEYS) else ""
        params = ", ".join(f"{p.name}={_shown(p.default)}" for p in e.params.values())
        bound = ", ".join(f"{b.param}<-{b.feature}" for b in e.bindings)
        print(f"[{key:>3}] {e.key:12s} {e.title}: {e.description}"
              + (f"  ({params})" if params else "") + (f"  follows: {bound}" if bound else ""))
    for t in lib.transitions:
        print(f"[  -] {t.key:12s} transition: {t.description or t.title}")
    return 0


def cmd_uniforms(args) -> int:
    from visualizer.scenes.uniforms import markdown_table
    print(markdown_table())
    return 0


def _shown(value) -> str:
    """A parameter's value as a listing shows it: 0.5, true, (1,0.5,0.2)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "(" + ",".join(f"{v:g}" for v in value) + ")"
    return f"{value:g}"
