"""``visualizer live``'s flags for the web remote (issue 13): ``--web``,
``--web-host``, ``--web-pin``. The server is ``control/web.py``, the page
``control/web_static/``, the state it shows ``engine/remote_state.py``, the
thumbnails ``engine/thumbnails.py`` and the live preview ``output/preview.py``."""

import argparse
import socket

from visualizer.commands.options import DEFAULT_SIZE, bounded
from visualizer.errors import VisualizerError

_LOOPBACK = "127.0.0.1"


def add_args(live) -> None:
    """The flags, on the ``live`` parser."""
    live.add_argument("--web", type=bounded(int, 1, 65535, "--web"), metavar="PORT",
                      help="serve the web remote on this port: a page for a phone or tablet "
                      "(scenes, setlist, parameters, blackout) and an HTTP API that speaks the "
                      "OSC addresses (POST /api/scene [\"club\"], GET /api/state)")
    live.add_argument("--web-host", default=_LOOPBACK, metavar="HOST",
                      help="address the web remote listens on (default 127.0.0.1: this "
                      "machine only; 0.0.0.0 for a phone on the venue's network, which then "
                      "needs the PIN printed here and shown on the HUD with a QR code)")
    live.add_argument("--web-pin", type=_pin_arg, metavar="DIGITS",
                      help="the web remote's PIN (6 to 12 digits; default: a new random one "
                      "at each start; a fixed one keeps phones joined across restarts)")


def wire(args, options, scenes, callbacks: list) -> None:
    """Add what the flags ask for to ``options`` (controls, sinks, link) and
    ``callbacks`` (each called as (show, frame) every frame)."""
    if args.web is None:
        if args.web_host != _LOOPBACK or args.web_pin:
            flag = "--web-pin" if args.web_pin else f"--web-host {args.web_host}"
            raise VisualizerError(f"{flag}: give --web PORT too")
        return
    from visualizer.control.web import WebRemote
    from visualizer.control.web_guard import is_loopback, new_pin
    from visualizer.engine.remote_state import StatePublisher, catalogue
    from visualizer.engine.thumbnails import Thumbnails
    from visualizer.output.preview import PreviewSink, preview_size

    loopback = is_loopback(args.web_host)
    pin = args.web_pin or (None if loopback else new_pin())
    remote = WebRemote(options.bus, host=args.web_host, port=args.web,
                       catalogue=catalogue(scenes), pin=pin,
                       effects={e.key: list(e.params) for e in options.effects})
    options.controls += [remote, Thumbnails(scenes, remote.thumbnail)]
    options.sinks.append(PreviewSink(preview_size(args.size or DEFAULT_SIZE), remote.preview))
    callbacks.append(StatePublisher([remote.publish], transpose=options.transpose))
    url = join_url(args.web_host, remote.address[1])
    print(f"web remote: {url}" + (f"  PIN {pin}" if pin else ""), flush=True)
    if not loopback:   # the HUD shows how a phone joins: the QR code opens the page, PIN and all
        callbacks.append(_badge(f"WEB REMOTE\n{url}\nPIN {pin}", qr_modules(f"{url}?pin={pin}")))


def join_url(host: str, port: int) -> str:
    """The address a phone opens: this machine's address on the network
    when listening on every address (0.0.0.0, ::)."""
    if host in ("0.0.0.0", "::", ""):
        host = _network_address()
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def qr_modules(text: str):
    """``text`` as a QR code: (n, n) bool modules, True dark, with a quiet zone."""
    import numpy as np
    import qrcode
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def _network_address() -> str:
    """This machine's address on the network its default route leads to;
    the host name where there is none. Connecting a UDP socket only picks a
    route: nothing is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))   # TEST-NET-1: never reached, only routed
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def _badge(text: str, modules):
    """A frame callback that puts the join badge into the HUD's figures once."""
    def on_frame(show, frame) -> None:
        stats = show.stats
        if stats is not None and not stats.remote:
            stats.remote, stats.remote_qr = text, modules
    return on_frame


def _pin_arg(text: str) -> str:
    if not (text.isascii() and text.isdigit() and 6 <= len(text) <= 12):
        raise argparse.ArgumentTypeError(f"'{text}' is not a PIN of 6 to 12 digits")
    return text
