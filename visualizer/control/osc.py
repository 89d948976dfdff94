"""OSC in: a control surface drives the show.

:class:`OscServer` listens on UDP (127.0.0.1:9000 unless asked otherwise)
for a VJ's surface (TouchOSC, Open Stage Control) and posts one
:class:`~visualizer.control.bus.Command` (source ``"osc"``) per valid
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

Every datagram is checked before python-osc parses it
(:mod:`visualizer.control.osc_packet`): no packet can stall the server
thread or write to stderr. What goes out by OSC (the features, the notes)
is :mod:`visualizer.output.osc_out`.
"""

import math
import socket
import sys
import threading
import traceback

from visualizer.control.base import Control
from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.control.osc_packet import quiet_python_osc, read_messages
from visualizer.errors import ControlError

PREFIX = "/visualizer"
"""Optional prefix of every address the server accepts."""
_MAX_DATAGRAM = 65536   # more than any UDP payload: a datagram is never read cut short
_POLL = 0.05            # the server thread looks at the stop flag this often (s)
_RECEIVE_BUFFER = 4 << 20   # bytes the kernel may hold for us (default about 200 KB)
_STOP_WAIT = 0.5        # stop() waits this long for the thread, then leaves it (a daemon)

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
        raise _Bad(f"expected a number, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise _Bad(f"value {value} is not finite")
    return value


def _describe(value) -> str:
    """A short account of an argument: a 60 KB blob is not quoted whole."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    if value is None:
        return "nil"
    return f"a {type(value).__name__}"


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


class OscServer(Control):
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
        quiet_python_osc()
        try:
            family, *_, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            self._socket = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as e:   # socket.gaierror included
            raise ControlError(f"OSC: cannot listen on {where} ({e.strerror or e})") from None
        try:
            self._socket.bind(sockaddr)
            self._socket.settimeout(_POLL)   # recv wakes up to look at the stop flag
            # Room for seconds of a surface's traffic while the thread waits for
            # the GIL on a busy machine: the kernel drops what does not fit
            # (it caps the size at net.core.rmem_max).
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        except OSError as e:
            self._socket.close()
            raise ControlError(f"OSC: cannot listen on {where} ({e.strerror or e})") from None
        self._address = self._socket.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closed = False
        self._bug_shown = False

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port when constructed with port 0."""
        return self._address

    def set_names(self, scenes: list[str], params: dict[str, list[str]]) -> None:
        """Replace the known scenes and parameters (after a scene reload)."""
        self._names = _Names(scenes, params)   # one assignment: the thread sees old or new

    def start(self) -> None:
        """Serve on a daemon thread until :meth:`stop`."""
        if self._thread is not None or self._closed:
            return
        self._thread = threading.Thread(target=self._serve, name="osc-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket; idempotent, and bounded: the
        thread is waited for at most half a second (it is a daemon)."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(_STOP_WAIT)
        self._socket.close()

    # The server thread from here on.

    def _serve(self) -> None:
        """Receive and handle datagrams one at a time, in the order they
        arrive (handled in parallel, a scene change could land after the
        parameter that followed it), until stop()."""
        sock, stopping = self._socket, self._stopping
        while not stopping.is_set():
            try:
                data = sock.recv(_MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError as e:
                if stopping.is_set():
                    return              # stop() closed the socket under us
                self.bus.reject(f"OSC: cannot receive ({e.strerror or e})")
                stopping.wait(_POLL)    # no hot loop on a socket error that repeats
                continue
            try:
                self._packet(data)
            except Exception:   # noqa: BLE001 -- a bug here, not a bad packet: count it, serve on
                self.bus.reject(f"OSC: error handling a packet: {sys.exc_info()[1]!r}")
                if not self._bug_shown:     # once: a flood of such packets must not flood stderr
                    self._bug_shown = True
                    traceback.print_exc()

    def _packet(self, data: bytes) -> None:
        messages, why = read_messages(data)
        if why:
            self.bus.reject(why)
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

