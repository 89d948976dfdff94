"""OSC in and out: a control surface drives the show, the features go out.

:class:`OscServer` listens on UDP (127.0.0.1:9000 unless asked otherwise)
for a VJ's surface (TouchOSC, Open Stage Control) and posts one
:class:`~visualizer.live.control.Command` (source ``"osc"``) per valid
message on the control bus. Every address works with or without the
``/visualizer`` prefix (``/scene`` and ``/visualizer/scene`` are the same).

=============================  ===============  ===========================================
Address                        Arguments        Does
=============================  ===============  ===========================================
``/scene``                     name (s)         switch to the scene with that key
``/scene``                     index (i or f)   scene number index (0-based, in key order)
``/scene/next``                [trigger]        the next scene
``/scene/prev``                [trigger]        the previous scene
``/cue/next``                  [trigger]        the setlist's next cue
``/cue/prev``                  [trigger]        the setlist's previous cue
``/song``                      name (s)         jump to the setlist's song of that name
``/song``                      index (i or f)   jump to song number index (0-based)
``/param/<scene>/<name>``      value (f)        set a scene's parameter, in its own units
``/param/<name>``              value (f)        the same for the current scene
``/param01/<scene>/<name>``    0..1 (f)         set a parameter as a fraction of its range
``/param01/<name>``            0..1 (f)         the same for the current scene
``/intensity``                 0..1 (f)         master intensity
``/blackout``                  [flag]           fade to black (1), back (0), no argument toggles
``/freeze``                    [flag]           hold the picture (1), release (0), or toggle
``/hud``                       [flag]           show (1), hide (0) or toggle the HUD
``/record``                    [flag]           start (1), stop (0) or toggle recording
``/auto``                      [flag]           automatic scene changes on (1), off (0), toggle
``/tap``                       [trigger]        tap tempo
=============================  ===============  ===========================================

Numbers may be int, float or OSC true/false. A *trigger* fires with no
argument or a non-zero one; a zero is a momentary button's release and is
ignored, so a TouchOSC push button advances once, not twice. A *flag* is 1
at 0.5 and above, else 0. Values out of 0..1 are clamped. Unknown addresses,
unknown scenes or parameters, wrong argument types or counts, NaN or
infinity, and datagrams that are not OSC at all are counted on the bus
(``ControlBus.reject``) and ignored. Address patterns (``*``, ``[ab]``) are
not expanded, and bundle time tags are not waited for: a message acts when
it arrives.

:class:`FeatureSender` sends the analysis features out once a frame as one
OSC bundle holding one single-float message per feature,
``/visualizer/features/<name> f`` in the order of
:data:`~visualizer.analysis.features.SCALAR_FEATURES`: TouchDesigner's OSC
In CHOP turns each address into a channel (``visualizer/features/level``).
"""

import math
import socket
import sys
import threading
import traceback

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_packet import OscPacket, ParseError
from pythonosc.osc_server import BlockingOSCUDPServer

from visualizer.analysis.features import SCALAR_FEATURES
from visualizer.errors import ControlError
from visualizer.live.control import TOGGLE, Command, ControlBus

PREFIX = "/visualizer"
"""Optional prefix of every address the server accepts."""

# Malformed datagrams make python-osc raise more than its own ParseError: a
# non-UTF-8 address raises UnicodeDecodeError (a ValueError), deeply nested
# bundles recurse without limit.
_PARSE_ERRORS = (ParseError, ValueError, IndexError, TypeError, RecursionError)

_TRIGGERS = {"/scene/next": "next_scene", "/scene/prev": "prev_scene",
             "/cue/next": "next_cue", "/cue/prev": "prev_cue", "/tap": "tap"}
_FLAGS = {"/blackout": "blackout", "/freeze": "freeze", "/hud": "hud",
          "/record": "record", "/auto": "auto"}


class _Bad(Exception):
    """A message the server cannot act on; the text says why."""


def _format_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _number(args: tuple) -> float:
    """The single finite numeric argument of a message."""
    if len(args) != 1:
        raise _Bad(f"expected one number, got {len(args)} arguments")
    value = args[0]
    if isinstance(value, str) or not isinstance(value, (int, float)):
        raise _Bad(f"expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise _Bad(f"value {value} is not finite")
    return value


def _unit(args: tuple) -> float:
    return min(max(_number(args), 0.0), 1.0)


def _index(value: float, count: int, what: str) -> int:
    if value != int(value) or value < 0 or (count >= 0 and value >= count):
        limit = f" (0..{count - 1})" if count > 0 else ""
        raise _Bad(f"no {what} number {value:g}{limit}")
    return int(value)


class _Names:
    """An immutable snapshot of the scene keys and parameter names."""

    def __init__(self, scenes: list[str], params: dict[str, list[str]]):
        self.scenes = tuple(scenes)
        self.params = {scene: frozenset(names) for scene, names in params.items()}
        self.any_param = frozenset().union(*self.params.values())


class OscServer:
    """A UDP OSC server on a daemon thread that posts commands on ``bus``.

    Constructing it binds the socket (a busy port raises
    :class:`ControlError` at once); :meth:`start` serves, :meth:`stop` ends.
    ``scenes`` are the scene keys in key order (what ``/scene <index>``
    counts), ``params`` each scene's parameter names.
    """

    def __init__(self, bus: ControlBus, *, host: str = "127.0.0.1", port: int = 9000,
                 scenes: list[str], params: dict[str, list[str]]):
        self.bus = bus
        self._names = _Names(scenes, params)
        where = _format_host(host, port)
        if not 0 <= port <= 65535:
            raise ControlError(f"OSC: cannot listen on {where} (port must be 0..65535)")
        try:
            self._server = _Server(self, (host, port))
        except OSError as e:   # socket.gaierror included
            raise ControlError(f"OSC: cannot listen on {where} ({e.strerror or e})") from None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port when constructed with port 0."""
        host, port = self._server.server_address[:2]
        return host, port

    def set_names(self, scenes: list[str], params: dict[str, list[str]]) -> None:
        """Replace the known scenes and parameters (after a scene reload)."""
        self._names = _Names(scenes, params)   # one assignment: the thread sees old or new

    def start(self) -> None:
        """Serve on a daemon thread until :meth:`stop`."""
        if self._thread is not None or self._closed:
            return
        # A short poll keeps stop() prompt; the server sleeps in select() between.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="osc-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, join the thread and close the socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> "OscServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # The server thread from here on.

    def _packet(self, data: bytes) -> None:
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except _PARSE_ERRORS as e:
            self.bus.reject(f"OSC: not an OSC packet ({len(data)} bytes: {type(e).__name__})")
            return
        for message in messages:
            address = message.address
            try:
                command = self._command(address, tuple(message.params))
            except _Bad as e:
                self.bus.reject(f"OSC {address}: {e}")
                continue
            if command is not None:
                self.bus.post(command)

    def _command(self, address: str, args: tuple) -> Command | None:
        """The command a message asks for; None for a button's release."""
        if address.startswith(PREFIX + "/"):
            address = address[len(PREFIX):]
        if address in _TRIGGERS:
            if args and _number(args) == 0.0:
                return None
            return Command(_TRIGGERS[address], source="osc")
        if address in _FLAGS:
            value = TOGGLE if not args else (1.0 if _number(args) >= 0.5 else 0.0)
            return Command(_FLAGS[address], value=value, source="osc")
        if address == "/intensity":
            return Command("intensity", value=_unit(args), source="osc")
        if address == "/scene":
            return self._scene(args)
        if address == "/song":
            return self._song(args)
        if address.startswith(("/param/", "/param01/")):
            return self._param(address, args)
        raise _Bad("unknown address")

    def _scene(self, args: tuple) -> Command:
        names = self._names
        if len(args) == 1 and isinstance(args[0], str):
            if args[0] not in names.scenes:
                raise _Bad(f"unknown scene '{args[0]}' (known: {', '.join(names.scenes)})")
            return Command("scene", target=args[0], source="osc")
        index = _index(_number(args), len(names.scenes), "scene")
        return Command("scene_index", value=float(index), source="osc")

    def _song(self, args: tuple) -> Command:
        # The setlist is not known here: the show checks the name or number.
        if len(args) == 1 and isinstance(args[0], str):
            if not args[0]:
                raise _Bad("empty song name")
            return Command("song", target=args[0], source="osc")
        index = _index(_number(args), -1, "song")
        return Command("song", value=float(index), source="osc")

    def _param(self, address: str, args: tuple) -> Command:
        kind, *path = address[1:].split("/")
        names = self._names
        if len(path) == 2:
            scene, name = path
            if scene not in names.params:
                raise _Bad(f"unknown scene '{scene}'")
            if name not in names.params[scene]:
                known = ", ".join(sorted(names.params[scene])) or "none"
                raise _Bad(f"scene '{scene}' has no parameter '{name}' (known: {known})")
        elif len(path) == 1 and path[0]:
            scene, name = "", path[0]
            if name not in names.any_param:
                raise _Bad(f"no scene has a parameter '{name}'")
        else:
            raise _Bad(f"expected /{kind}/<scene>/<name> or /{kind}/<name>")
        normalized = kind == "param01"
        value = _unit(args) if normalized else _number(args)
        return Command("param", target=name, value=value, scene=scene,
                       normalized=normalized, source="osc")


class _Server(BlockingOSCUDPServer):
    """python-osc's UDP server, handing every datagram to the OscServer.

    One thread handles messages in the order they arrive (a threading server
    could apply a scene change after the parameter that followed it).
    """

    def __init__(self, owner: OscServer, address: tuple[str, int]):
        self._owner = owner
        # The dispatcher is unused: python-osc's drops malformed packets
        # without a trace, and waits (sleeps the thread) for future time tags.
        super().__init__(address, Dispatcher(strict_timing=False))

    def verify_request(self, request, client_address) -> bool:
        return True   # let _packet count what is not OSC

    def finish_request(self, request, client_address) -> None:
        self._owner._packet(request[0])

    def handle_error(self, request, client_address) -> None:
        # A bug in this module, not a bad packet: count it loudly, keep serving.
        self._owner.bus.reject(f"OSC: error handling a packet: {sys.exc_info()[1]!r}")
        traceback.print_exc()


def _osc_string(text: str) -> bytes:
    """An OSC string: UTF-8, NUL-terminated, padded to a multiple of 4 bytes."""
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


class FeatureSender:
    """Sends the scalar features as one OSC bundle per frame, never blocking.

    The bundle is laid out once; :meth:`send` writes the frame's floats into
    it in place and hands it to a non-blocking connected UDP socket. Send
    failures (nobody listening, a full buffer) are counted in ``errors``.
    """

    def __init__(self, host: str, port: int, *, prefix: str = "/visualizer/features"):
        where = _format_host(host, port)
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ControlError(f"OSC: feature prefix '{prefix}' must start and not end with '/'")
        if not 0 < port <= 65535:
            raise ControlError(f"OSC: cannot send features to {where} (port must be 1..65535)")
        self.addresses = tuple(f"{prefix}/{f.name}" for f in SCALAR_FEATURES)
        layout = bytearray(_osc_string("#bundle") + (1).to_bytes(8, "big"))   # time tag: now
        offsets = []
        for address in self.addresses:
            head = _osc_string(address) + _osc_string(",f")
            layout += (len(head) + 4).to_bytes(4, "big") + head
            offsets.append(len(layout))
            layout += bytes(4)
        self._datagram = np.frombuffer(layout, np.uint8).copy()
        self._float_bytes = (np.asarray(offsets)[:, None] + np.arange(4)).ravel()
        self._big_endian = np.zeros(len(self.addresses), ">f4")
        self.size = len(layout)
        """Bytes per bundle (one datagram)."""
        self.sent = 0
        self.errors = 0
        self.last_error = ""
        cannot = f"OSC: cannot send features to {where}"
        try:
            family, *_, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            self._socket = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as e:
            raise ControlError(f"{cannot} ({e.strerror or e})") from None
        try:
            self._socket.setblocking(False)
            self._socket.connect(sockaddr)   # resolve once, not per frame
        except OSError as e:
            self._socket.close()
            raise ControlError(f"{cannot} ({e.strerror or e})") from None

    def send(self, values: np.ndarray) -> None:
        """Send ``values``, (n_features,) in ``SCALAR_FEATURES`` order; no OSError escapes."""
        self._big_endian[:] = values
        self._datagram[self._float_bytes] = self._big_endian.view(np.uint8)
        try:
            self._socket.send(self._datagram)
        except OSError as e:   # refused (nobody listening), buffer full, network down
            self.errors += 1
            self.last_error = e.strerror or str(e)
            return
        self.sent += 1

    def close(self) -> None:
        """Close the socket; idempotent."""
        self._socket.close()
