"""OSC out: the features and the notes, sent over UDP, never blocking.

:class:`FeatureSender` sends the analysis features out once a frame as one
OSC bundle holding one single-float message per feature,
``/visualizer/features/<name> f`` in the order of
:data:`~visualizer.analysis.features.SCALAR_FEATURES`: TouchDesigner's OSC
In CHOP turns each address into a channel (``visualizer/features/level``).

:class:`OscNoteSender` is a sink of the live note follower
(:mod:`visualizer.output.notes_out`): ``/visualizer/note midi velocity``,
a note-off being velocity 0.

Both send on a non-blocking connected socket and count what could not go
(nobody listening, a full buffer) in ``errors``: the show goes on.
"""

import socket

import numpy as np

from visualizer.analysis.features import SCALAR_FEATURES
from visualizer.errors import ControlError
from visualizer.output.notes_out import NoteEvent


def _osc_string(text: str) -> bytes:
    """An OSC string: UTF-8, NUL-terminated, padded to a multiple of 4 bytes."""
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def _format_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _connect(host: str, port: int, cannot: str) -> socket.socket:
    """A non-blocking UDP socket connected to ``host``:``port`` (resolved
    once, not per send); ControlError starting with ``cannot`` if not."""
    try:
        family, *_, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except OSError as e:   # socket.gaierror included
        raise ControlError(f"{cannot} ({e.strerror or e})") from None
    try:
        sock.setblocking(False)
        sock.connect(sockaddr)
    except OSError as e:
        sock.close()
        raise ControlError(f"{cannot} ({e.strerror or e})") from None
    return sock


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
        self._socket = _connect(host, port, f"OSC: cannot send features to {where}")

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


class OscNoteSender:
    """``/visualizer/note midi velocity`` (two ints; a note-off has velocity 0) over UDP.

    A sink of :class:`~visualizer.output.notes_out.NoteOut`: called with each
    :class:`~visualizer.output.notes_out.NoteEvent`. Never blocks; send
    failures are counted in ``errors`` like the features'.
    """

    def __init__(self, host: str, port: int, *, address: str = "/visualizer/note"):
        from pythonosc.osc_message_builder import OscMessageBuilder
        self._builder, self.address = OscMessageBuilder, address
        self.sent = self.errors = 0
        self._socket = _connect(host, port, f"OSC: cannot send notes to {host}:{port}")

    def __call__(self, event: NoteEvent) -> None:
        if event.kind == "bend":
            return
        msg = self._builder(self.address)
        msg.add_arg(event.note, "i")
        msg.add_arg(event.velocity if event.kind == "on" else 0, "i")
        try:
            self._socket.send(msg.build().dgram)
        except OSError:   # nobody listening, a full buffer: the show goes on
            self.errors += 1
            return
        self.sent += 1

    def close(self) -> None:
        self._socket.close()
