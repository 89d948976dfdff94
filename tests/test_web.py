"""The web remote: its API and WebSocket over real loopback sockets, who may
use it (Host, Origin, the PIN), what it does with malformed input, the state
it shows, the preview and thumbnails, and `visualizer live --web` as a user
runs it. The page in a real browser is test_web_browser.py."""

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from web_rig import (CATALOGUE, ROOT, STATE, end_show, free_port, http, post, remote,
                     start_show, state, wait_for, ws_talk)
from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.control.web import WebRemote
from visualizer.control.web_guard import (ALL_REFILL_S, CLIENT_REFILL_S, TRIES_IN_ALL,
                                          TRIES_PER_CLIENT, Guard, Refused, is_loopback)
from visualizer.errors import ControlError


def _web(action, **kw):
    return Command(action, source="web", **kw)


# -- the API ------------------------------------------------------------------------

def test_state_is_what_the_show_published():
    with remote() as server:
        port = server.address[1]
        status, _, body = http(port, "GET", "/api/state")
        assert status == 503 and "first frame" in json.loads(body)["error"]
        server.publish(STATE)
        assert wait_for(lambda: state(port)) == STATE
        status, headers, body = http(port, "GET", "/api/scenes")
        assert status == 200 and json.loads(body) == CATALOGUE


COMMANDS = [
    ("/scene", ["club"], _web("scene", target="club")),
    ("/scene", [2], _web("scene_index", value=2.0)),
    ("/visualizer/scene/next", [], _web("next_scene")),
    ("/cue/prev", [], _web("prev_cue")),
    ("/song", ["Blue in Green"], _web("song", target="Blue in Green")),
    ("/param/tunnel/speed", [2.5], _web("param", target="speed", scene="tunnel", value=2.5)),
    ("/param01/haze", [0.25], _web("param", target="haze", value=0.25, normalized=True)),
    ("/intensity", [0.75], _web("intensity", value=0.75)),
    ("/blackout", [], _web("blackout", value=TOGGLE)),
    ("/blackout", [True], _web("blackout", value=1.0)),
    ("/freeze", [0], _web("freeze", value=0.0)),
    ("/record", [1], _web("record", value=1.0)),
    ("/auto", [], _web("auto", value=TOGGLE)),
    ("/hud", [1], _web("hud", value=1.0)),
    ("/tap", [], _web("tap")),
]


def test_post_runs_the_osc_vocabulary():
    with remote() as server:
        port = server.address[1]
        for address, args, expected in COMMANDS:
            assert post(port, address, args) == (200, {"ok": True}), address
            assert server.bus.drain() == [expected], address
        assert post(port, "/tap", [0]) == (200, {"ok": True})   # a button's release: nothing
        assert server.bus.drain() == []
        status, _, _ = http(port, "POST", "/api/tap", b"", {"Content-Type": "application/json"})
        assert status == 200 and server.bus.drain() == [_web("tap")]   # no body: no arguments
        assert server.commands == len(COMMANDS) + 1 and server.malformed == 0


def test_websocket_says_hello_runs_commands_and_pushes_state_and_thumbnails():
    async def talk(server, port):
        got = await ws_talk(port, [{"address": "/scene", "args": ["club"], "id": 7},
                                   {"address": "/scene", "args": ["nope"], "id": "x"}])
        assert got[0]["type"] == "hello" and got[0]["scenes"] == CATALOGUE
        replies = [m for m in got if m["type"] == "reply"]
        assert replies[0] == {"type": "reply", "id": 7, "ok": True}
        assert replies[1]["id"] == "x" and "unknown scene 'nope'" in replies[1]["error"]
        # Pushed: the state when published, a thumbnail when drawn.
        pushed = asyncio.ensure_future(ws_talk(port, [], until=lambda got: any(
            m["type"] == "thumb" for m in got) and any(m["type"] == "state" for m in got)))
        await asyncio.sleep(0.3)
        server.publish(dict(STATE, scene="club"))
        server.thumbnail("club", b"\xff\xd8jpeg")
        got = await pushed
        assert {"type": "thumb", "key": "club"} in got
        assert [m["state"]["scene"] for m in got if m["type"] == "state"][-1] == "club"

    with remote() as server:
        asyncio.run(talk(server, server.address[1]))
        assert server.bus.drain() == [_web("scene", target="club")]
        assert server.bus.rejected == 1
        status, headers, body = http(server.address[1], "GET", "/api/thumb/club")
        assert status == 200 and body == b"\xff\xd8jpeg" and headers["Content-Type"] == "image/jpeg"
        assert http(server.address[1], "GET", "/api/thumb/eyes")[0] == 404   # not drawn yet


def test_the_page_and_its_files_are_served():
    with remote() as server:
        port = server.address[1]
        status, headers, body = http(port, "GET", "/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b'id="blackout"' in body and b"/static/remote.js" in body
        for name, kind in (("remote.js", "text/javascript"), ("remote.css", "text/css")):
            status, headers, _ = http(port, "GET", f"/static/{name}")
            assert status == 200 and headers["Content-Type"].startswith(kind)
        assert http(port, "GET", "/static/..%2Fweb.py")[0] == 404
        assert http(port, "GET", "/static/../web.py")[0] == 404


# -- who may use it -------------------------------------------------------------------

def _site_cases(port):
    good = f"127.0.0.1:{port}"
    return [   # (method, path, headers): each refused with 403
        ("GET", "/api/state", {"Origin": "http://evil.example"}),
        ("GET", "/api/state", {"Origin": "null"}),
        ("GET", "/api/state", {"Origin": f"http://localhost:{port}"}),  # another origin than Host
        ("POST", "/api/blackout", {"Origin": "http://evil.example"}),
        ("POST", "/api/blackout", {"Sec-Fetch-Site": "cross-site"}),
        ("POST", "/api/blackout", {"Sec-Fetch-Site": "same-site"}),
        ("GET", "/api/state", {"Host": f"evil.example:{port}"}),        # DNS rebinding
        ("GET", "/api/state", {"Host": "evil.example"}),
        ("GET", "/api/state", {"Host": f"127.0.0.1:{port + 1}"}),
        ("GET", "/api/state", {"Host": f"192.168.1.20:{port}"}),        # loopback only
        ("GET", "/", {"Host": f"evil.example:{port}"}),                  # the page too
        ("POST", "/auth", {"Origin": "http://evil.example"}),
        ("GET", "/ws", {"Origin": "http://evil.example", "Host": good}),
    ]


def test_cross_site_requests_and_dns_rebinding_are_refused():
    with remote() as server:
        port = server.address[1]
        server.publish(STATE)
        for method, path, headers in _site_cases(port):
            body = b"[]" if method == "POST" else None
            headers = {**headers, "Content-Type": "application/json"}
            status, _, reply = http(port, method, path, body, headers)
            assert status == 403, (method, path, headers, status)
            assert "refused" in json.loads(reply)["error"] or "name" in json.loads(reply)["error"]
        assert server.bus.drain() == []   # nothing reached the show
        assert server.refused == len(_site_cases(port))
        # The same origin, any of this machine's names, passes.
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            same = {"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
            assert http(port, "GET", "/api/state", headers=same)[0] == 200, host
            assert post(port, "/tap", [], headers=same)[0] == 200


def test_websocket_from_another_site_is_refused():
    import aiohttp

    async def handshake(headers):
        try:
            await ws_talk(port, [], headers=headers, until=lambda got: True)
        except aiohttp.WSServerHandshakeError as e:
            return e.status
        return 101

    with remote() as server:
        port = server.address[1]
        assert asyncio.run(handshake({"Origin": "http://evil.example"})) == 403
        assert asyncio.run(handshake({"Host": f"evil.example:{port}"})) == 403
        assert asyncio.run(handshake({"Origin": f"http://127.0.0.1:{port}"})) == 101


def test_a_pin_is_needed_from_every_client_and_wrong_ones_are_limited():
    with remote(pin="482913") as server:
        port = server.address[1]
        server.publish(STATE)
        assert http(port, "GET", "/")[0] == 200   # the page itself holds no state
        status, _, body = http(port, "GET", "/api/state")
        assert status == 401 and "PIN" in json.loads(body)["error"]
        assert post(port, "/blackout", [1])[0] == 401
        assert http(port, "GET", "/api/preview.jpg")[0] == 401
        right = {"X-Visualizer-Pin": "482913"}
        assert http(port, "GET", "/api/state", headers=right)[0] == 200
        # The page's PIN pad: a cookie, then every request and the WebSocket with it.
        status, headers, _ = http(port, "POST", "/auth", {"pin": "482913"})
        cookie = headers["Set-Cookie"]
        assert status == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        cookie = {"Cookie": cookie.split(";")[0]}
        assert http(port, "GET", "/api/state", headers=cookie)[0] == 200
        assert asyncio.run(ws_talk(port, [{"address": "/tap"}], headers=cookie))[-1]["ok"]
        assert server.bus.drain() == [_web("tap")]
        # Wrong PINs: 401 each, then 429 (the right one too) with Retry-After.
        for _ in range(TRIES_PER_CLIENT):
            assert http(port, "GET", "/api/state", headers={"X-Visualizer-Pin": "000000"})[0] == 401
        status, headers, body = http(port, "GET", "/api/state", headers=right)
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert "too many wrong PINs" in json.loads(body)["error"]
        assert http(port, "POST", "/auth", {"pin": "482913"})[0] == 429
        assert server.guard.wrong == TRIES_PER_CLIENT and server.guard.limited == 2
        assert http(port, "GET", "/api/state", headers=cookie)[0] == 200   # joined before: in


def test_the_qr_code_address_logs_in_once_and_leaves_the_pin_off_the_address_bar():
    with remote(pin="482913") as server:
        port = server.address[1]
        server.publish(STATE)
        status, headers, _ = http(port, "GET", "/?pin=482913")
        assert status == 303 and headers["Location"] == "/"
        cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
        assert http(port, "GET", "/api/state", headers=cookie)[0] == 200
        status, headers, body = http(port, "GET", "/?pin=111111")
        assert status == 401 and b'id="pin"' in body and "Set-Cookie" not in headers
        assert http(port, "GET", "/api/state", headers={"Cookie": "visualizer_remote=forged"})[0] == 401


def test_guard_rate_limits_per_client_and_in_all():
    now = [0.0]
    guard = Guard("0.0.0.0", 8080, "482913", clock=lambda: now[0])
    for _ in range(TRIES_PER_CLIENT):
        with pytest.raises(Refused) as e:
            guard.admit("10.0.0.5", pin="1")
        assert e.value.status == 401
    with pytest.raises(Refused) as e:
        guard.admit("10.0.0.5", pin="482913")
    assert e.value.status == 429 and e.value.retry_after >= 1
    assert guard.admit("10.0.0.6", pin="482913") is True   # another phone is not held up
    now[0] += CLIENT_REFILL_S
    with pytest.raises(Refused) as e:
        guard.admit("10.0.0.5", pin="2")
    assert e.value.status == 401   # one more try after the refill
    # Many addresses together: the trickle for everyone.
    tried = 0
    with pytest.raises(Refused) as e:
        for i in range(1000):
            tried += 1
            try:
                guard.admit(f"10.1.{i // 250}.{i % 250}", pin="3")
            except Refused as r:
                if r.status == 429:
                    raise
    assert e.value.status == 429 and tried <= TRIES_IN_ALL + 1
    now[0] += ALL_REFILL_S
    with pytest.raises(Refused) as e:
        guard.admit("10.2.0.1", pin="4")
    assert e.value.status == 401


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("localhost", True),
                                           ("::1", True), ("127.0.0.2", True),
                                           ("0.0.0.0", False), ("::", False),
                                           ("192.168.1.20", False)])
def test_loopback_is_recognised(host, loopback):
    assert is_loopback(host) is loopback


def test_host_names_this_machine_answers_to():
    local, lan = Guard("127.0.0.1", 8080, None), Guard("0.0.0.0", 8080, "123456")
    for host in ("127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080"):
        assert local.host_ok(host) and lan.host_ok(host), host
    for host in ("192.168.1.20:8080", "[fe80::1]:8080", "10.0.0.1:8080"):
        assert not local.host_ok(host) and lan.host_ok(host), host
    for host in ("evil.example:8080", "127.0.0.1:80", "127.0.0.1", "127.0.0.1:8080:1",
                 "127.0.0.1:08080x", "", None, "[::1]x", "127.0.0.1.evil.example:8080",
                 "127.0.0.1:８０８０", "x" * 400):
        assert not local.host_ok(host) and not lan.host_ok(host), host
    assert Guard("127.0.0.1", 80, None).host_ok("127.0.0.1")   # port 80 may go unsaid
    with pytest.raises(ValueError):
        Guard("0.0.0.0", 8080, None)   # off this machine without a PIN: never


# -- malformed input --------------------------------------------------------------------

def _malformed_requests(port):
    json_type = {"Content-Type": "application/json"}
    return [   # (method, path, body, headers, status)
        ("POST", "/api/scene", b"not json", json_type, 400),
        ("POST", "/api/scene", b"[1,", json_type, 400),
        ("POST", "/api/scene", b"\xff\xfe", json_type, 400),
        ("POST", "/api/scene", b"[" * 100000 + b"]" * 10, json_type, 413),
        ("POST", "/api/scene", b"[" * 30000 + b"]" * 30000, json_type, 400),   # deep: Python's limit
        ("POST", "/api/scene", b'{"club": 1}', json_type, 400),
        ("POST", "/api/scene", b'"club"', json_type, 400),
        ("POST", "/api/scene", b'["nope"]', json_type, 400),
        ("POST", "/api/scene", b"[7]", json_type, 400),
        ("POST", "/api/intensity", b"[NaN]", json_type, 400),
        ("POST", "/api/intensity", b"[1e999]", json_type, 400),
        ("POST", "/api/intensity", b"[" + b"9" * 400 + b"]", json_type, 400),
        ("POST", "/api/intensity", b"[" + b"9" * 5000 + b"]", json_type, 400),
        ("POST", "/api/intensity", b'[[1]]', json_type, 400),
        ("POST", "/api/intensity", b'[null]', json_type, 400),
        ("POST", "/api/param/tunnel/nope", b"[1]", json_type, 400),
        ("POST", "/api/no/such/address", b"[]", json_type, 400),
        ("POST", "/api/state", b"[]", json_type, 400),
        ("POST", "/api/scene", b'["club"]', {"Content-Type": "text/plain"}, 415),
        ("POST", "/api/scene", b'["club"]', {}, 415),
        ("POST", "/api/scene", b"x" * 70000, json_type, 413),
        ("POST", "/auth", b'{"pin": 1}', json_type, 400),
        ("PUT", "/api/scene", b'["club"]', json_type, 405),
        ("DELETE", "/api/state", None, {}, 405),
        ("GET", "/api/nothing", None, {}, 405),   # POST only
        ("GET", "/nothing", None, {}, 404),
        ("GET", "/../../etc/passwd", None, {}, 404),
        ("GET", "/ws", None, {}, 400),   # not an upgrade
    ]


def test_malformed_requests_are_answered_counted_and_harmless(capfd):
    with remote() as server:
        port = server.address[1]
        server.publish(STATE)
        cases = _malformed_requests(port)
        for method, path, body, headers, expected in cases:
            status, _, reply = http(port, method, path, body, headers)
            assert status == expected, (method, path, body[:40] if body else body, status, reply)
            assert "error" in json.loads(reply)
        assert server.malformed == len(cases)
        assert server.bus.rejected >= len(cases) and server.bus.drain() == []
        assert post(port, "/scene", ["club"]) == (200, {"ok": True})   # it serves on
        assert server.bus.drain() == [_web("scene", target="club")]
    assert capfd.readouterr().err == ""


def test_malformed_websocket_messages_are_answered_counted_and_harmless(capfd):
    messages = ["not json", "[1, 2]", '"scene"', "{}", '{"address": 5}', '{"address": "/nope"}',
                '{"address": "/scene", "args": "club"}', '{"address": "/scene", "args": ["nope"]}',
                '{"address": "/intensity", "args": [NaN]}', "[" * 30000, b"\x00binary",
                '{"address": "/tap", "id": {"deep": []}}']
    with remote() as server:
        port = server.address[1]
        got = asyncio.run(ws_talk(port, messages + [{"address": "/tap", "id": 99}]))
        replies = [m for m in got if m["type"] == "reply"]
        assert all("error" in r for r in replies[:-2]), replies
        assert replies[-2] == {"type": "reply", "id": None, "ok": True}   # an id it cannot echo
        assert replies[-1] == {"type": "reply", "id": 99, "ok": True}
        assert server.malformed == len(messages) - 1
        assert server.bus.drain() == [_web("tap"), _web("tap")]
        # Over the size limit: the socket is closed (1009), counted; the server serves on.
        got = asyncio.run(ws_talk(port, ["x" * 70000], until=lambda got: bool(got) and
                                  got[-1]["type"] == "closed"))
        assert got[-1] == {"type": "closed", "code": 1009}
        assert wait_for(lambda: server.malformed == len(messages), timeout=5)
        assert post(port, "/tap", [])[0] == 200
    assert capfd.readouterr().err == ""


# -- its life as a control ----------------------------------------------------------------

def test_binds_loopback_by_default_and_a_busy_port_is_one_line():
    server = WebRemote(ControlBus(), port=0, catalogue=CATALOGUE)
    try:
        host, port = server.address
        assert host == "127.0.0.1" and port > 0
        with pytest.raises(ControlError) as e:
            WebRemote(ControlBus(), port=port, catalogue=CATALOGUE)
        assert str(e.value).startswith(f"web remote: cannot listen on 127.0.0.1:{port} (")
        assert "\n" not in str(e.value)
    finally:
        server.stop()
    with pytest.raises(ControlError, match="port must be"):
        WebRemote(ControlBus(), port=70000, catalogue=CATALOGUE)


def test_stop_closes_pages_going_away_frees_the_port_and_is_idempotent():
    async def watch(port):
        return await ws_talk(port, [], until=lambda got: bool(got) and got[-1]["type"] == "closed",
                             timeout=10)

    server = WebRemote(ControlBus(), port=0, catalogue=CATALOGUE)
    server.start()
    port = server.address[1]

    async def scenario():
        page = asyncio.ensure_future(watch(port))
        await asyncio.sleep(0.5)
        await asyncio.get_running_loop().run_in_executor(None, server.stop)
        return await page

    got = asyncio.run(scenario())
    assert got[-1] == {"type": "closed", "code": 1001}   # going away: the page reconnects
    server.stop()
    again = WebRemote(ControlBus(), port=port, catalogue=CATALOGUE)   # the port is free
    again.stop()


# -- the state a remote sees ---------------------------------------------------------------

def test_state_publisher_publishes_at_once_on_a_command_and_otherwise_a_few_times_a_second(
        renderer, scenes):
    from visualizer.engine.core import Engine
    from visualizer.engine.remote_state import StatePublisher
    from visualizer.engine.show import Show

    renderer.activate()
    show = Show(Engine(renderer, scenes, scene="vortex"), ControlBus())
    now = [0.0]
    got = []
    publisher = StatePublisher([got.append], period=0.2, transpose=2, clock=lambda: now[0])
    frame = show.engine.analyzer.frame
    frame.values[:] = 0.0
    publisher(show, frame)
    assert len(got) == 1
    for _ in range(5):            # a few frames later: nothing new, not due
        now[0] += 1 / 60
        publisher(show, frame)
    assert len(got) == 1
    show.bus.post(Command("blackout", value=1.0, source="web"))
    show.update(now[0], 1 / 60)
    publisher(show, frame)        # the frame that applied it publishes it
    assert len(got) == 2 and got[-1]["blackout"] is True and got[-1]["applied"] == {"web": 1}
    now[0] += 0.21
    publisher(show, frame)
    assert len(got) == 3
    s = got[-1]
    assert s["scene"] == "vortex" and s["scenes"] == [sc.key for sc in scenes]
    assert s["cue"] is None and s["note"] == "" and s["latency_ms"] is None
    assert [p["name"] for p in s["params"]] == [n for n, p in scenes[0].params.items()
                                                  if p.type != "color"]
    json.dumps(s, allow_nan=False)   # JSON as it is: no NaN, no numpy types
    frame.values[:] = np.nan         # features not known yet: still valid JSON
    now[0] += 0.21
    publisher(show, frame)
    json.dumps(got[-1], allow_nan=False)
    assert got[-1]["tempo"] == 0.0 and got[-1]["level_db"] == -120.0


def test_the_state_carries_the_setlist_position(renderer, scenes, tmp_path):
    from visualizer.control.setlist import Setlist
    from visualizer.engine.core import Engine
    from visualizer.engine.remote_state import snapshot
    from visualizer.engine.show import Show

    path = tmp_path / "set.toml"
    path.write_text('title = "Almaty"\n[[song]]\nname = "Steppe Blues"\n'
                    '[[song.cue]]\nscene = "steppe"\n[[song.cue]]\nscene = "club"\n'
                    '[[song]]\nname = "Night"\n[[song.cue]]\nscene = "night"\n')
    setlist = Setlist.load(path, [s.key for s in scenes], ["crossfade"])
    renderer.activate()
    show = Show(Engine(renderer, scenes, scene="steppe"), ControlBus(), setlist=setlist)
    setlist.next()
    cue = snapshot(show, show.engine.analyzer.frame.values)["cue"]
    assert cue == {"title": "Almaty", "song": "Steppe Blues", "song_index": 0, "songs": 2,
                   "index": 1, "count": 2, "scene": "club", "next": "night"}


# -- the preview and the thumbnails ----------------------------------------------------------

class _Pool:
    def __init__(self):
        self.back = []

    def put(self, pixels):
        self.back.append(pixels)


def test_preview_sink_encodes_a_few_a_second_off_the_render_thread():
    from visualizer.output.preview import PreviewSink, preview_size
    from visualizer.output.sink import Picture

    assert preview_size((1280, 720)) == (320, 180) and preview_size((1920, 1200)) == (320, 200)
    now = [0.0]
    got = []
    sink = PreviewSink((32, 18), got.append, rate=5, clock=lambda: now[0])
    pool = _Pool()
    pixels = np.zeros((18, 32, 3), np.uint8)
    pixels[:, :16] = (200, 40, 40)
    assert sink.wants(0.0)
    assert not sink.wants(0.0)          # not again within 1/5 s
    sink.picture(Picture(1, 0.0, pixels, pool, 1))
    wait_for(lambda: got, timeout=5)
    image = np.asarray(Image.open(io.BytesIO(got[0])))
    assert image.shape == (18, 32, 3) and image[:, :12, 0].mean() > 150 and image[:, 20:].max() < 40
    assert pool.back == [pixels]        # released after encoding
    now[0] += 0.2
    assert sink.wants(0.2)
    sink.close()
    assert sink.encoded == 1 and sink.errors == 0


def test_thumbnails_of_each_scene_arrive_as_they_are_drawn(scenes):
    from visualizer.engine.thumbnails import Thumbnails
    got = []
    thumbnails = Thumbnails(scenes[:2], lambda key, jpeg: got.append((key, jpeg)), size=(64, 36))
    thumbnails.start()
    try:
        assert thumbnails.done.wait(120)
    finally:
        thumbnails.stop()
    assert [key for key, _ in got] == [s.key for s in scenes[:2]] and thumbnails.failed == {}
    for _, jpeg in got:
        image = np.asarray(Image.open(io.BytesIO(jpeg)))
        assert image.shape == (36, 64, 3) and image.mean() > 3   # a picture, not black


# -- `visualizer live --web` ------------------------------------------------------------------

def test_live_web_remote_drives_a_headless_show():
    port = free_port()
    proc = start_show(port)
    try:
        first = wait_for(lambda: state(port), timeout=60)
        assert first["scene"] == "vortex" and first["fps"] >= 0 and "club" in first["scenes"]
        assert post(port, "/scene", ["club"]) == (200, {"ok": True})
        wait_for(lambda: state(port)["scene"] == "club", timeout=15)   # after its beat and fade
        assert post(port, "/param/club/smoke", [0.1]) == (200, {"ok": True})
        wait_for(lambda: {p["name"]: p["value"] for p in state(port)["params"]}["smoke"] == 0.1,
                 timeout=5)
        assert post(port, "/blackout", [1]) == (200, {"ok": True})
        wait_for(lambda: state(port)["blackout"], timeout=5)
        s = state(port)
        assert s["tempo"] > 0 and s["fps"] > 0 and s["latency_ms"] > 0
        status, _, jpeg = wait_for(lambda: (r := http(port, "GET", "/api/preview.jpg"))[0] == 200
                                   and r, timeout=15)
        assert Image.open(io.BytesIO(jpeg)).size == (320, 180)
        for key in first["scenes"]:   # every thumbnail, as it is drawn
            wait_for(lambda: http(port, "GET", f"/api/thumb/{key}")[0] == 200, timeout=120)
    finally:
        code, out, err = end_show(proc)
    assert code == 0, err
    assert f"web remote: http://127.0.0.1:{port}/" in out and "PIN" not in out
    assert "3 control commands applied (3 from web)" in out


def test_web_flags_are_checked_before_the_show():
    from conftest import run_cli
    r = run_cli("live", "--demo", "--web-host", "0.0.0.0")
    assert r.returncode == 2 and r.stderr.strip().endswith("--web-host 0.0.0.0: give --web PORT too")
    r = run_cli("live", "--demo", "--web", "8080", "--web-pin", "12")
    assert r.returncode == 2 and "not a PIN of 6 to 12 digits" in r.stderr
    r = run_cli("live", "--help")
    assert "--web PORT" in r.stdout and "--web-host HOST" in r.stdout


def test_off_loopback_the_pin_is_printed_and_needed_from_every_client():
    # Listening on every address happens inside a private network namespace
    # with loopback alone: nothing from this test reaches a real network.
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -n (a private network namespace: root, util-linux)")
    port = free_port()
    script = (f"ip link set lo up && exec {sys.executable} {ROOT / 'tests' / 'web_rig.py'} "
              f"off-loopback {port}")
    r = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True,
                       timeout=180, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert found["line"].startswith("web remote: http://") and "PIN " in found["line"], found
    assert found["no_pin"] == 401 and found["wrong_pin"] == 401 and found["right_pin"] == 200
    assert found["qr_address"] == 303 and found["cookie_state"] == 200
    assert found["cookie_command"] == 200 and found["ws_without_pin"] == 401
    assert found["rebinding"] == 403 and found["lan_address"] == 200
    assert found["exit"] == 0, found["stderr"]
    assert "1 control commands applied (1 from web)" in found["stdout"]


def test_off_loopback_the_hud_shows_the_pin_and_a_qr_code_of_the_address(xdisplay, tmp_path):
    from visualizer.commands.rig_web import qr_modules
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -n (a private network namespace: root, util-linux)")
    shot = tmp_path / "hud.png"
    script = (f"ip link set lo up && exec {sys.executable} -m visualizer live --demo --play none "
              f"--size 640x360 --hud --web {free_port()} --web-host 0.0.0.0 --frames 90 "
              f"--screenshot {shot}")
    r = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True,
                       timeout=180, cwd=ROOT, env={**os.environ, "DISPLAY": xdisplay})
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith("web remote:"))
    url, pin = line.split()[2], line.split()[-1]
    assert len(pin) == 6 and pin.isdigit()
    picture = np.asarray(Image.open(shot).convert("L")).astype(int)
    # The QR code, top right: its dark modules are pure black, and its three
    # finder squares mark the corners of the code inside its white border.
    corner = picture[:240, 320:]
    rows, cols = np.nonzero(corner == 0)
    modules = qr_modules(f"{url}?pin={pin}")
    n, border = modules.shape[0], 2
    scale = (cols.max() - cols.min() + 1) / (n - 2 * border)
    assert abs((rows.max() - rows.min() + 1) / (n - 2 * border) - scale) < 0.01
    centres = ((np.arange(n) - border + 0.5) * scale).astype(int)
    seen = corner[rows.min() + centres[:, None], cols.min() + centres[None, :]] == 0
    assert (seen == modules).all()   # the phone's camera reads this address and PIN
