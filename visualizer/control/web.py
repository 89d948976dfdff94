"""The web remote: a page for a phone or a tablet on the music stand, and an
HTTP API for scripts, served by aiohttp on a thread of its own.

It speaks the OSC server's vocabulary (:mod:`visualizer.control.vocabulary`):

======================  ===========================================================
``GET /``               the page (``web_static/``): scenes, setlist, sliders, buttons
``GET /api/state``      the show's state as JSON (:mod:`visualizer.engine.remote_state`)
``GET /api/scenes``     every scene: key, title, description, parameters and ranges
``GET /api/thumb/KEY``  the scene's thumbnail (JPEG; 404 until it is drawn)
``GET /api/preview.jpg``  the program picture a moment ago (JPEG, a few a second)
``POST /api/ADDRESS``   an OSC address with a JSON list of arguments:
                        ``POST /api/scene`` with ``["club"]``
``GET /ws``             a WebSocket: ``{"address": "/scene", "args": ["club"], "id": 1}``
                        in; ``reply``, ``state``, ``thumb`` and ``hello`` messages out
``POST /auth``          ``{"pin": "123456"}``: sets the cookie the page then holds
======================  ===========================================================

Every request and WebSocket passes :class:`~visualizer.control.web_guard.Guard`
first (Host, Origin, the PIN). A malformed request or message (not JSON, an
unknown address, wrong arguments, too large) is answered with an error
(``{"error": "..."}``, status 4xx) and counted on the bus; nothing a client
sends can stop the server or reach the render loop. Like every control it
only posts :class:`~visualizer.control.bus.Command` objects (source
``"web"``). The show's state comes in through :meth:`WebRemote.publish`
(the render thread hands over a dict; this thread encodes and pushes it).
"""

import asyncio
import json
import sys
import threading
import traceback
from pathlib import Path

from aiohttp import WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError

from visualizer.control.base import Control
from visualizer.control.bus import ControlBus
from visualizer.control.vocabulary import BadMessage, Names, command, describe
from visualizer.control.web_guard import COOKIE, PIN_HEADER, Guard, Refused
from visualizer.control.web_io import Client, bind, count_aiohttp_logs

STATIC = Path(__file__).resolve().parent / "web_static"
"""The page and its script and style."""
MAX_BODY = 64 * 1024        # bytes in a request body or a WebSocket message
MAX_CLIENTS = 32            # WebSockets open at once
_STOP_WAIT = 1.0            # stop() waits this long for the thread, then leaves it (a daemon)
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
          ".svg": "image/svg+xml"}
_QUIET = {"Cache-Control": "no-store"}


def _error(status: int, why: str, **headers) -> web.Response:
    return web.json_response({"error": why}, status=status, headers={**_QUIET, **headers})


class WebRemote(Control):
    """An aiohttp server on a daemon thread that posts commands on ``bus``.

    Constructing it binds the socket (a busy port raises
    :class:`ControlError` at once). ``catalogue`` is every scene for the
    page (:func:`visualizer.engine.remote_state.catalogue`); ``pin`` None
    means no PIN, which only a server on this machine alone may do.
    """

    def __init__(self, bus: ControlBus, *, host: str = "127.0.0.1", port: int = 8080,
                 catalogue: list[dict], pin: str | None = None,
                 effects: dict[str, list[str]] | None = None):
        self.bus, self.catalogue = bus, catalogue
        self._names = Names([s["key"] for s in catalogue],
                            {s["key"]: [p["name"] for p in s["params"]] for s in catalogue},
                            effects)
        self._socket = bind(host, port)
        self.address = self._socket.getsockname()[:2]
        self.guard = Guard(host, self.address[1], pin)
        self._files = {p.name: (p.read_bytes(), _TYPES.get(p.suffix, "application/octet-stream"))
                       for p in STATIC.iterdir() if p.is_file()}
        self._thumbs: dict[str, bytes] = {}
        self._preview: bytes | None = None
        self._state: dict | None = None
        self._state_text = ""
        self._clients: set = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._closed = False
        self._bug_shown = False
        self.requests = self.commands = self.malformed = self.refused = 0

    # -- from other threads ------------------------------------------------------

    def publish(self, state: dict) -> None:
        """The show's state now (the render thread): pushed to every page."""
        self._state = state   # one assignment: the server thread sees the old or the new
        self._soon(self._push_state)

    def thumbnail(self, key: str, jpeg: bytes) -> None:
        """A scene's thumbnail is drawn (any thread): the pages load it."""
        self._thumbs[key] = jpeg
        self._soon(self._push, {"type": "thumb", "key": key})

    def preview(self, jpeg: bytes) -> None:
        """The latest picture of the program (any thread)."""
        self._preview = jpeg

    def _soon(self, callback, *args) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:   # closed between the check and the call: the show is ending
                pass

    # -- the Control contract ------------------------------------------------------

    def start(self) -> None:
        """Serve on a daemon thread until :meth:`stop`; returns once it serves."""
        if self._thread is not None or self._closed:
            return
        count_aiohttp_logs(self._protocol_error)
        self._thread = threading.Thread(target=self._run, name="web-remote", daemon=True)
        self._thread.start()
        self._started.wait(5.0)

    def stop(self) -> None:
        """Close every page's WebSocket (they reconnect to the next show) and
        the socket; idempotent, bounded in time."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and self._stopping is not None:
            self._soon(self._stopping.set)
        if self._thread is not None:
            self._thread.join(_STOP_WAIT)
        self._socket.close()

    # -- the server thread ------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)   # this thread's own
        try:
            loop.run_until_complete(self._serve(loop))
        except Exception:  # noqa: BLE001 -- a bug: say so once; the show goes on without it
            self.bus.reject(f"web: the server stopped: {sys.exc_info()[1]!r}")
            traceback.print_exc()
        finally:
            self._started.set()
            self._loop = None
            _finish(loop)

    async def _serve(self, loop) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._guarded], client_max_size=MAX_BODY)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/favicon.ico", self._no_icon)
        app.router.add_post("/auth", self._auth)
        app.router.add_get("/api/state", self._get_state)
        app.router.add_get("/api/scenes", self._scenes)
        app.router.add_get("/api/thumb/{key}", self._thumb)
        app.router.add_get("/api/preview.jpg", self._preview_jpeg)
        app.router.add_post("/api/{address:.+}", self._post_command)
        app.router.add_get("/ws", self._websocket)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await runner.setup()
        await web.SockSite(runner, self._socket).start()
        self._loop = loop
        self._started.set()
        await self._stopping.wait()
        closing = [asyncio.ensure_future(c.close()) for c in self._clients]
        if closing:   # going away (1001): the pages reconnect to the next show
            await asyncio.wait(closing, timeout=0.3)
        await asyncio.wait_for(runner.cleanup(), 0.5)

    @web.middleware
    async def _guarded(self, request: web.Request, handler):
        """Host, Origin and the PIN first; errors as JSON, counted, never raised."""
        self.requests += 1
        path = request.path
        headers = request.headers
        try:
            self.guard.check_site(headers.get("Host"), headers.get("Origin"),
                                  headers.get("Sec-Fetch-Site"),
                                  page=request.method == "GET" and not path.startswith(("/api/", "/ws")))
            if path.startswith(("/api/", "/ws")):
                self.guard.admit(request.remote or "", cookie=request.cookies.get(COOKIE),
                                 pin=headers.get(PIN_HEADER))
            return await handler(request)
        except Refused as e:
            self.refused += 1
            if not e.quiet:   # an attack shows on the HUD; a first visit does not
                self.bus.reject(f"web: {e}")
            extra = {"Retry-After": str(e.retry_after)} if e.retry_after else {}
            return _error(e.status, str(e), **extra)
        except web.HTTPException as e:
            if e.status >= 400:
                return self._malformed(e.status, f"{request.method} {describe(path)}: {e.reason}")
            raise
        except (HttpProcessingError, ConnectionError) as e:   # a body cut short or garbled
            return self._malformed(400, f"{request.method} {describe(path)}: "
                                   f"{type(e).__name__}: {str(e)[:80]}")
        except Exception:  # noqa: BLE001 -- a bug, not a bad request: count it, serve on
            self.bus.reject(f"web: error handling {request.method} {describe(path)}: "
                            f"{sys.exc_info()[1]!r}")
            if not self._bug_shown:   # once: a flood must not flood stderr
                self._bug_shown = True
                traceback.print_exc()
            return _error(500, "the remote failed to handle this request (a bug: it is logged)")

    def _protocol_error(self, why: str) -> None:
        """aiohttp could not read a request (it answered 400 itself)."""
        self.malformed += 1
        self.bus.reject(f"web: {why}")

    def _malformed(self, status: int, why: str) -> web.Response:
        self.malformed += 1
        self.bus.reject(f"web {why}")
        return _error(status, why)

    # -- the page and its login ------------------------------------------------------

    async def _page(self, request: web.Request) -> web.Response:
        pin = request.query.get("pin")
        page = web.Response(body=self._files["index.html"][0], content_type="text/html",
                            headers=_QUIET)
        if pin is None or self.guard.pin is None:
            return page
        try:   # the QR code's address: in once, then the cookie, and the PIN off the address bar
            self.guard.admit(request.remote or "", pin=pin)
        except Refused as e:
            self.refused += 1
            self.bus.reject(f"web: {e}")
            page.set_status(e.status)
            return page
        raise self._with_cookie(web.HTTPSeeOther("/"))

    async def _auth(self, request: web.Request) -> web.Response:
        body = await self._json(request, {"pin": "123456"})
        pin = body.get("pin") if isinstance(body, dict) else None
        if not isinstance(pin, str):
            return self._malformed(400, 'POST /auth: expected {"pin": "123456"}')
        self.guard.admit(request.remote or "", pin=pin)
        return self._with_cookie(web.json_response({"ok": True}, headers=_QUIET))

    def _with_cookie(self, response):
        if self.guard.pin is not None:
            response.set_cookie(COOKIE, self.guard.token, httponly=True, samesite="Strict",
                                max_age=30 * 24 * 3600)
        return response

    async def _no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _scenes(self, request: web.Request) -> web.Response:
        return web.json_response(self.catalogue, headers=_QUIET)

    async def _static(self, request: web.Request) -> web.Response:
        found = self._files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1], headers=_QUIET)

    # -- the API ------------------------------------------------------------------------

    async def _get_state(self, request: web.Request) -> web.Response:
        if not self._state_text:
            return _error(503, "the show has not drawn its first frame yet")
        return web.Response(text=self._state_text, content_type="application/json",
                            headers=_QUIET)

    async def _thumb(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key not in self._names.scenes:
            return self._malformed(404, f"GET /api/thumb/{describe(key)}: no such scene")
        jpeg = self._thumbs.get(key)
        if jpeg is None:
            return _error(404, "no thumbnail of that scene yet")
        return web.Response(body=jpeg, content_type="image/jpeg",
                            headers={"Cache-Control": "private, max-age=600"})

    async def _preview_jpeg(self, request: web.Request) -> web.Response:
        if self._preview is None:
            return _error(404, "no preview yet")
        return web.Response(body=self._preview, content_type="image/jpeg", headers=_QUIET)

    async def _post_command(self, request: web.Request) -> web.Response:
        address = "/" + request.match_info["address"]
        if request.content_type != "application/json":
            return self._malformed(415, f"POST /api{describe(address)}: send a JSON list of "
                                   "arguments as Content-Type: application/json")
        args = await self._json(request, [])
        reply = self._command(address, args)
        return web.json_response(reply, status=400 if "error" in reply else 200, headers=_QUIET)

    async def _json(self, request: web.Request, empty):
        """The body as JSON (``empty`` for no body); a malformed one is HTTP 400."""
        if (request.content_length or 0) > MAX_BODY:   # said at once, not after reading it
            raise web.HTTPRequestEntityTooLarge(MAX_BODY, request.content_length)
        raw = await request.read()   # a chunked body over MAX_BODY: aiohttp raises 413
        if not raw.strip():
            return empty
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):   # UnicodeDecodeError is a ValueError
            raise web.HTTPBadRequest(reason="the body is not JSON") from None

    def _command(self, address: str, args) -> dict:
        """Post what ``address`` with ``args`` asks for: ``{"ok": true}`` or
        ``{"error": why}`` (counted)."""
        if not isinstance(args, list):
            why = f"{describe(address)}: expected a JSON list of arguments, got {describe(args)}"
        else:
            try:
                posted = command(address, tuple(args), self._names, source="web")
            except BadMessage as e:
                why = f"{describe(address)}: {e}"
            else:
                if posted is not None:
                    self.bus.post(posted)
                    self.commands += 1
                return {"ok": True}
        self.malformed += 1
        self.bus.reject(f"web {why}")
        return {"error": why}

    # -- WebSockets ------------------------------------------------------------------------

    async def _websocket(self, request: web.Request):
        if len(self._clients) >= MAX_CLIENTS:
            return _error(503, f"already {MAX_CLIENTS} pages open")
        ws = web.WebSocketResponse(heartbeat=5.0, max_msg_size=MAX_BODY, compress=False)
        await ws.prepare(request)
        client = Client(ws)
        self._clients.add(client)
        client.send({"type": "hello", "scenes": self.catalogue, "thumbs": sorted(self._thumbs)})
        if self._state_text:
            client.state(self._state_text)
        try:
            async for message in ws:
                if message.type == WSMsgType.ERROR:   # over MAX_BODY, or not WebSocket at all
                    self._malformed(400, f"WebSocket: {ws.exception()}")
                    break
                client.send(self._ws_message(message))
        finally:
            self._clients.discard(client)
            await client.close()
        return ws

    def _ws_message(self, message) -> dict:
        """The reply to one WebSocket message."""
        if message.type != WSMsgType.TEXT:
            self.malformed += 1
            self.bus.reject("web WebSocket: a message that is not text")
            return {"type": "reply", "id": None, "error": "send JSON text"}
        try:
            data = json.loads(message.data)
        except (ValueError, RecursionError):
            data = None
        ident = data.get("id") if isinstance(data, dict) else None
        if not (ident is None or isinstance(ident, (int, str)) and len(str(ident)) <= 40):
            ident = None
        if not isinstance(data, dict) or not isinstance(data.get("address"), str):
            self.malformed += 1
            self.bus.reject("web WebSocket: not a command")
            return {"type": "reply", "id": ident,
                    "error": 'expected {"address": "/scene", "args": ["club"], "id": 1}'}
        return {"type": "reply", "id": ident, **self._command(data["address"], data.get("args", []))}

    def _push_state(self) -> None:
        state = self._state
        if state is None:
            return
        self._state_text = json.dumps(state, separators=(",", ":"))
        for client in self._clients:
            client.state(self._state_text)

    def _push(self, message: dict) -> None:
        for client in self._clients:
            client.send(message)


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still running (a connection waiting for a body that
    never comes) and close the loop, quietly."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
