"""The web remote's plumbing: its listening socket, one writer per page,
and aiohttp's own log lines counted rather than printed."""

import asyncio
import errno
import json
import logging
import socket

from aiohttp import web

from visualizer.errors import ControlError


class Client:
    """One page's WebSocket and the one task that writes to it: replies and
    events in order, then the latest state only (a slow phone skips states,
    it never makes the others wait)."""

    _OUTBOX = 256   # replies and events queued for a page that does not read

    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
        self._outbox: list[str] = []
        self._state = ""
        self._ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._write())

    def send(self, message: dict) -> None:
        """Queue a reply or an event (dropped if the page reads nothing)."""
        if len(self._outbox) < self._OUTBOX:
            self._outbox.append(json.dumps(message, separators=(",", ":")))
            self._ready.set()

    def state(self, text: str) -> None:
        """The latest state (JSON text): it replaces one not yet sent."""
        self._state = text
        self._ready.set()

    async def close(self) -> None:
        """Stop writing and close the socket as going away (1001)."""
        self._task.cancel()
        if not self.ws.closed:   # going away: the page reconnects to the next show
            await self.ws.close(code=1001, message=b"the show has ended")

    async def _write(self) -> None:
        try:
            while not self.ws.closed:
                await self._ready.wait()
                self._ready.clear()
                while self._outbox:
                    await self.ws.send_str(self._outbox.pop(0))
                if self._state:
                    text, self._state = self._state, ""
                    await self.ws.send_str('{"type":"state","state":' + text + "}")
        except (ConnectionError, RuntimeError):
            pass   # the page went away while we wrote: its reader ends the connection


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``, or a one-line ControlError."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not 0 <= port <= 65535:
        raise ControlError(f"web remote: cannot listen on {where} (port must be 0..65535)")
    try:
        family, *_, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:   # socket.gaierror included
        raise ControlError(f"web remote: cannot listen on {where} ({e.strerror or e})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # a restart reuses the port
        sock.bind(sockaddr)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        hint = "; --web PORT picks another" if e.errno == errno.EADDRINUSE else ""
        raise ControlError(f"web remote: cannot listen on {where} "
                           f"({e.strerror or e}{hint})") from None
    return sock


class _Counted(logging.Handler):
    """aiohttp's own complaints (a request it could not parse, which it
    answers 400 itself) counted instead of printed: a flood of garbage must
    not flood stderr."""

    def __init__(self, count):
        super().__init__(logging.DEBUG)
        self.count = count

    def emit(self, record: logging.LogRecord) -> None:
        # Not HTTP at all is logged at the debug level; count it too.
        if record.levelno >= logging.WARNING or str(record.msg).startswith("Error handling"):
            self.count(record.getMessage()[:120])


def count_aiohttp_logs(count) -> None:
    """Send aiohttp's warnings and errors to ``count(text)``, not to stderr
    (the last server started counts them all)."""
    logger = logging.getLogger("aiohttp")
    logger.handlers = [h for h in logger.handlers if not isinstance(h, _Counted)]
    logger.addHandler(_Counted(count))
    logger.propagate = False
    logging.getLogger("aiohttp.server").setLevel(logging.DEBUG)
