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
thread or write to stderr. The mapping of an address to a command is
:mod:`visualizer.control.vocabulary`, which the web remote shares. A surface
that sends a command hears the current scene and cue back whenever they
change (:meth:`OscServer.publish`), so its buttons light up; what else goes
out by OSC (the features, the notes) is :mod:`visualizer.output.osc_out`.
"""

import socket
import sys
import threading
import traceback

from pythonosc.osc_message_builder import OscMessageBuilder

from visualizer.control.base import Control
from visualizer.control.bus import ControlBus
from visualizer.control.osc_packet import quiet_python_osc, read_messages
from visualizer.control.vocabulary import PREFIX, BadMessage, Names, command
from visualizer.errors import ControlError

_MAX_DATAGRAM = 65536   # more than any UDP payload: a datagram is never read cut short
_POLL = 0.05            # the server thread looks at the stop flag this often (s)
_RECEIVE_BUFFER = 4 << 20   # bytes the kernel may hold for us (default about 200 KB)
_STOP_WAIT = 0.5        # stop() waits this long for the thread, then leaves it (a daemon)
_SURFACES = 8           # the surfaces that hear the state back: the last ones that sent


def _format_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class OscServer(Control):
    """A UDP OSC server on a daemon thread that posts commands on ``bus``.

    Constructing it binds the socket (a busy port raises
    :class:`ControlError` at once); :meth:`start` serves, :meth:`stop` ends.
    ``scenes`` are the scene keys in key order (what ``/scene <index>``
    counts), ``params`` each scene's parameter names.
    """

    def __init__(self, bus: ControlBus, *, host: str = "127.0.0.1", port: int = 9000,
                 scenes: list[str], params: dict[str, list[str]],
                 effects: dict[str, list[str]] | None = None):
        self.bus = bus
        self._effects = dict(effects or {})
        self._names = Names(scenes, params, self._effects)
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
        self._state: dict | None = None   # the show's, as last published
        self._surfaces: list = []         # who hears it back, the latest sender first
        self._told: dict = {}             # surface -> the (scene, cue) it was last sent

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port when constructed with port 0."""
        return self._address

    def set_names(self, scenes: list[str], params: dict[str, list[str]]) -> None:
        """Replace the known scenes and parameters (after a scene reload)."""
        self._names = Names(scenes, params, self._effects)   # one assignment: old or new

    def publish(self, state: dict) -> None:
        """The show's state (``scene``, ``scenes``, ``cue``: see
        :mod:`visualizer.engine.remote_state`), from the render thread. The
        surfaces that sent us a command hear the scene and the cue whenever
        they change, and at once when they first send, so their buttons
        light up; the server thread sends, within ``_POLL`` seconds::

            /visualizer/scene  key (s) index (i)
            /visualizer/cue    song (i) cue (i) song name (s) scene (s)   (with a setlist)

        Only the last ``_SURFACES`` senders are remembered.
        """
        self._state = state   # one assignment: the thread sees the old or the new

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
            self._tell_surfaces()
            try:
                data, sender = sock.recvfrom(_MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError as e:
                if stopping.is_set():
                    return              # stop() closed the socket under us
                self.bus.reject(f"OSC: cannot receive ({e.strerror or e})")
                stopping.wait(_POLL)    # no hot loop on a socket error that repeats
                continue
            try:
                if self._packet(data):
                    self._heard_from(sender)
            except Exception:   # noqa: BLE001 -- a bug here, not a bad packet: count it, serve on
                self.bus.reject(f"OSC: error handling a packet: {sys.exc_info()[1]!r}")
                if not self._bug_shown:     # once: a flood of such packets must not flood stderr
                    self._bug_shown = True
                    traceback.print_exc()

    def _packet(self, data: bytes) -> bool:
        """Post the commands of one datagram; whether any was understood."""
        messages, why = read_messages(data)
        if why:
            self.bus.reject(why)
            return False
        understood = False
        for message in messages:
            address = message.address
            try:
                posted = command(address, tuple(message.params), self._names, source="osc")
            except BadMessage as e:
                self.bus.reject(f"OSC {address}: {e}")
                continue
            if posted is not None:
                self.bus.post(posted)
                understood = True
        return understood

    def _heard_from(self, sender) -> None:
        """Remember a surface that sent a command (it hears the state back)."""
        surfaces = self._surfaces
        if surfaces and surfaces[0] == sender:
            return
        if sender in surfaces:
            surfaces.remove(sender)
        surfaces.insert(0, sender)
        for gone in surfaces[_SURFACES:]:
            self._told.pop(gone, None)
        del surfaces[_SURFACES:]

    def _tell_surfaces(self) -> None:
        """Send the scene and cue to each surface that has not heard them."""
        state = self._state
        if state is None or not self._surfaces:
            return
        cue = state.get("cue")
        now = (state["scene"], (cue["song_index"], cue["index"]) if cue else None)
        data = None
        for surface in self._surfaces:
            if self._told.get(surface) == now:
                continue
            data = data or _state_datagrams(state)
            self._told[surface] = now
            for datagram in data:
                try:
                    self._socket.sendto(datagram, surface)
                except OSError:
                    pass   # a surface that went away: UDP does not wait for it


def _state_datagrams(state: dict) -> list[bytes]:
    """The OSC messages that tell a surface the scene and the cue."""
    scene = OscMessageBuilder(PREFIX + "/scene")
    scene.add_arg(state["scene"])
    scenes = state["scenes"]
    scene.add_arg(scenes.index(state["scene"]) if state["scene"] in scenes else -1)
    out = [scene.build().dgram]
    cue = state.get("cue")
    if cue:
        message = OscMessageBuilder(PREFIX + "/cue")
        for arg in (cue["song_index"], cue["index"], cue["song"], cue["scene"]):
            message.add_arg(arg)
        out.append(message.build().dgram)
    return out
