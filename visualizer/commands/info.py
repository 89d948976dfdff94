"""``visualizer devices``, ``scenes`` and ``uniforms``: what there is to use."""


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
    for i, s in enumerate(scenes_mod.discover(args.scenes), start=1):
        key = str(i) if i <= 9 else " "
        params = ", ".join(f"{p.name}={p.default:g}" for p in s.params.values())
        print(f"[{key}] {s.key:12s} {s.title}: {s.description}" + (f"  ({params})" if params else ""))
    return 0


def cmd_uniforms(args) -> int:
    from visualizer.scenes.uniforms import markdown_table
    print(markdown_table())
    return 0
