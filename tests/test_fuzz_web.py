"""Fuzz: the web remote. Generated HTTP requests -- every method and many
that are not, paths the server knows and junk, the Host, Origin,
Content-Type, Content-Length, Transfer-Encoding, PIN, Cookie and
Sec-Fetch-Site headers right, wrong, missing and hostile, bodies of every
JSON shape (deep, huge numbers, NaN, text that is not UTF-8) and none, and
bytes that are not HTTP at all -- and WebSocket messages (JSON of every
shape, text that is not JSON, binary) against a real server on 127.0.0.1.

Property, after every batch: every request was answered with a status line
and never a 5xx, every 4xx was counted (the server's ``malformed`` and
``refused``), every command posted is a valid one (source ``web``, finite,
naming known scenes and parameters), the server thread is alive and a valid
command next is acted on at once, and nothing reached stderr.
"""

import asyncio
import json
import socket

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzzing import Case, budget, valid_command
from web_rig import CATALOGUE, STATE, http, remote, wait_for, ws_talk
from visualizer.control.bus import Command
from visualizer.control.web import MAX_BODY

pytestmark = pytest.mark.fuzz

SCENES = [s["key"] for s in CATALOGUE]
PARAMS = {s["key"]: [p["name"] for p in s["params"]] for s in CATALOGUE}
EFFECTS = {"glow": ["amount", "threshold"], "trails": ["decay"]}   # as web_rig.remote() gives
ADDRESSES = ["/scene", "/look", "/scene/next", "/scene/prev", "/cue/next", "/cue/prev", "/song",
             "/param/tunnel/speed", "/param/club/haze", "/param/speed", "/param01/rings",
             "/param01/eyes/x", "/intensity", "/blackout", "/freeze", "/hud", "/record",
             "/auto", "/tap", "/visualizer/scene", "/visualizer/tap", "/nope", "/", "/param/",
             "/scene/*", "/visualizer", "/state", "/%00", "/%2e%2e/auth", "/fx/glow",
             "/fx/glow/amount", "/fx01/trails/decay", "/fx/", "/fx/nope", "/fx/glow/nope",
             "/fxlook/glow", "/fxlook/"]
PATHS = ["/", "/api/state", "/api/scenes", "/api/thumb/club", "/api/thumb/nope",
         "/api/preview.jpg", "/ws", "/auth", "/static/remote.js", "/static/nope",
         "/static/%2e%2e%2fweb.py", "/?pin=1", "/?pin=", "/favicon.ico", "/api/", "/api"]
METHODS = ["GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH",
           "BREW", "G\x7fET", "POST\x00", "get", "X" * 300]
ANSWER_S = 2.0
BATCH = 16


# -- generating (numpy's generator: fast, many per example) ---------------------------

def _text(rng) -> str:
    roll = rng.random()
    if roll < 0.5:
        return str(rng.choice(SCENES + ["speed", "haze", "Blue in Green", "", "nope"]))
    if roll < 0.9:
        return "".join(map(chr, rng.integers(1, 0x3000, rng.integers(0, 12))))
    return "x" * int(rng.choice([1000, 5000, 60000]))


def _json_value(rng, depth: int = 0):
    kind = rng.integers(0, 9 if depth < 3 else 6)
    if kind == 0:
        return int(rng.choice([0, 1, -1, 2, 7, 2**31, -2**63, 10**30]))
    if kind == 1:
        return float(rng.choice([0.0, 0.5, 1.0, -0.2, 1.5, 3.4e38, 1e-300, rng.normal() * 100]))
    if kind == 2:
        return _text(rng)
    if kind == 3:
        return bool(rng.integers(0, 2))
    if kind == 4:
        return None
    if kind == 5:
        return str(rng.choice(SCENES))
    if kind in (6, 7):
        return [_json_value(rng, depth + 1) for _ in range(rng.integers(0, 4))]
    return {_text(rng)[:20]: _json_value(rng, depth + 1) for _ in range(rng.integers(0, 3))}


def _json_body(rng) -> bytes:
    roll = rng.random()
    if roll < 0.55:
        return json.dumps([_json_value(rng) for _ in range(rng.choice([0, 1, 1, 1, 2]))]).encode()
    if roll < 0.7:
        return json.dumps(_json_value(rng)).encode()
    if roll < 0.8:   # what json.dumps will not write, but a client may
        return str(rng.choice(["[NaN]", "[Infinity]", "[-Infinity]", "[1e999]", "[" + "9" * 400 + "]",
                               "[" + "9" * 5000 + "]", "[" * 3000, "[" * 5000 + "]" * 5000,
                               '{"pin": "123456"}', "[1,]", "['club']", "\ufeff[]"])).encode()
    if roll < 0.9:
        return bytes(rng.integers(0, 256, rng.integers(0, 200), dtype=np.uint8))
    return b""


def _headers(rng, port: int, body: bytes) -> list[tuple[str, str]]:
    good = f"127.0.0.1:{port}"
    if rng.random() < 0.4:   # a well-formed request: what the body and path do, alone
        return [("Host", good), ("Content-Type", "application/json"),
                ("Content-Length", str(len(body)))]
    out = []
    host = rng.choice([good] * 6 + [f"localhost:{port}", "evil.example", f"evil.example:{port}",
                                    f"[::1]:{port}", "", "127.0.0.1", f"192.168.1.2:{port}",
                                    "\x01\x02", None])
    if host is not None:
        out.append(("Host", host))
    origin = rng.choice([None] * 5 + [f"http://{good}", "http://evil.example", "null", "",
                                      f"https://{good}", "http://127.0.0.1"])
    if origin is not None:
        out.append(("Origin", origin))
    content_type = rng.choice(["application/json"] * 5 + [None, "text/plain", "",
                                                          "application/json; charset=latin-1",
                                                          "multipart/form-data; boundary=x"])
    if content_type is not None:
        out.append(("Content-Type", content_type))
    length = rng.choice(["right"] * 8 + ["none", "less", "junk", "negative"])
    if length == "right":
        out.append(("Content-Length", str(len(body))))
    elif length == "less":
        out.append(("Content-Length", str(max(0, len(body) - 3))))
    elif length == "junk":
        out.append(("Content-Length", str(rng.choice(["abc", "1 2", "0x10", "+5", ""]))))
    elif length == "negative":
        out.append(("Content-Length", "-1"))
    for name, values in (("Sec-Fetch-Site", ["same-origin", "cross-site", "none", "same-site", "x"]),
                         ("X-Visualizer-Pin", ["123456", "", "\u00e9", "9" * 100]),
                         ("Cookie", ["visualizer_remote=x", "a=b; visualizer_remote=", ";;;"]),
                         ("Upgrade", ["websocket"]), ("Connection", ["Upgrade"]),
                         ("Transfer-Encoding", ["chunked", "gzip", "chunked, chunked"]),
                         ("X-Long", ["y" * 9000])):
        if rng.random() < 0.08:
            out.append((name, str(rng.choice(values))))
    return out


def _request(rng, port: int) -> bytes:
    """One HTTP request, more or less; always ends so the server can decide."""
    if rng.random() < 0.08:   # not HTTP at all
        return bytes(rng.integers(0, 256, rng.integers(1, 300), dtype=np.uint8)) + b"\r\n\r\n"
    method = str(rng.choice(METHODS))
    roll = rng.random()
    if roll < 0.5:
        path = "/api" + str(rng.choice(ADDRESSES))
    elif roll < 0.85:
        path = str(rng.choice(PATHS))
    else:
        path = "/" + "".join(map(chr, rng.integers(0x21, 0x3000, rng.integers(0, 40))))
    body = _json_body(rng) if method not in ("GET", "HEAD") or rng.random() < 0.1 else b""
    headers = _headers(rng, port, body) + [("Connection", "close")]
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + body


def _send(port: int, data: bytes) -> tuple[int | None, bytes]:
    """(status, response) for ``data`` sent raw; status None for no answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_S) as s:
        try:
            s.sendall(data)
        except OSError:
            pass   # the server answered and closed before it read everything: read it
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    if not out.startswith(b"HTTP/1."):
        return None, out
    return int(out[9:12]), out


# -- the properties -------------------------------------------------------------------

def _valid(command: Command) -> bool:
    return valid_command(command, source="web", scenes=SCENES, params=PARAMS, effects=EFFECTS)


def _alive(server) -> None:
    """A valid command after the batch is acted on at once."""
    server.bus.drain()
    status, _, _ = http(server.address[1], "POST", "/api/tap", [], timeout=ANSWER_S)
    assert status == 200 and server.bus.drain() == [Command("tap", source="web")]
    assert server._thread.is_alive()


@pytest.fixture
def server():
    with remote() as srv:
        srv.publish(STATE)
        srv.thumbnail("club", b"\xff\xd8jpeg")
        srv.thumbnail("tunnel", b"\xff\xd8jpeg")
        srv.thumbnail("eyes", b"\xff\xd8jpeg")   # a 404 for one not drawn yet is no mistake
        srv.preview(b"\xff\xd8jpeg")
        yield srv


@budget(30)
@given(seed=st.integers(0, 2**63 - 1))
def test_hostile_requests_are_answered_counted_and_never_stop_the_server(server, capfd, seed):
    rng = np.random.default_rng(seed)
    port = server.address[1]
    with Case("web-http"):
        before = server.malformed + server.refused
        counted = 0
        for _ in range(BATCH):
            data = _request(rng, port)
            status, response = _send(port, data)
            garbage = not data[:1].isalpha()
            assert status is not None or garbage or b"Transfer-Encoding" in data, (data[:200], response)
            assert status is None or status < 500, (data[:300], response[:300])
            if status is not None and 400 <= status < 500:
                counted += 1
        commands = server.bus.drain()
        assert all(map(_valid, commands)), [c for c in commands if not _valid(c)]
        assert server.malformed + server.refused - before >= counted
        _alive(server)
        assert capfd.readouterr().err == ""


def _ws_message(rng):
    roll = rng.random()
    if roll < 0.6:
        message = {"address": str(rng.choice(ADDRESSES)),
                   "args": [_json_value(rng) for _ in range(rng.choice([0, 1, 1, 2]))]}
        for key in ("address", "args"):
            if rng.random() < 0.1:
                message[key] = _json_value(rng)
        if rng.random() < 0.5:
            message["id"] = _json_value(rng)
        return json.dumps(message)
    if roll < 0.8:
        return _json_body(rng).decode("utf-8", "replace")
    if roll < 0.9:
        return _text(rng)
    return bytes(rng.integers(0, 256, rng.integers(0, 100), dtype=np.uint8))


@budget(25)
@given(seed=st.integers(0, 2**63 - 1))
def test_hostile_websocket_messages_are_answered_counted_and_never_stop_the_server(
        server, capfd, seed):
    rng = np.random.default_rng(seed)
    messages = [_ws_message(rng) for _ in range(BATCH)]
    size = lambda m: len(m if isinstance(m, bytes) else m.encode("utf-8", "surrogatepass"))
    big = [m for m in messages if size(m) > MAX_BODY]   # these close the socket (1009)
    messages = [m for m in messages if size(m) <= MAX_BODY]
    with Case("web-ws"):
        before = server.malformed
        got = asyncio.run(ws_talk(server.address[1], messages, timeout=ANSWER_S * 2))
        replies = [m for m in got if m["type"] == "reply"]
        assert len(replies) == len(messages)
        errors = sum("error" in r for r in replies)
        assert all(("error" in r) != ("ok" in r) for r in replies), replies
        assert server.malformed - before == errors
        commands = server.bus.drain()
        assert all(map(_valid, commands)), [c for c in commands if not _valid(c)]
        assert len(commands) <= len(replies) - errors
        if big:
            got = asyncio.run(ws_talk(server.address[1], big[:1], timeout=ANSWER_S * 2,
                                      until=lambda got: got and got[-1]["type"] == "closed"))
            assert got[-1] == {"type": "closed", "code": 1009}
            wait_for(lambda: server.malformed - before == errors + 1, timeout=ANSWER_S)
        _alive(server)
        assert capfd.readouterr().err == ""
