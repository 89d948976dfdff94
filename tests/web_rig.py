"""The web remote's test rig: plain HTTP and WebSocket clients on loopback,
a remote in this process, and `visualizer live --web` as a user runs it.

Everything here listens and connects on 127.0.0.1 only. Run as a script
(``python tests/web_rig.py off-loopback``) it checks a show listening on
every address (``--web-host 0.0.0.0``): the test runs it inside a private
network namespace (``unshare -n``), where that means loopback alone.
"""

import contextlib
import http.client as httpclient
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATALOGUE = [
    {"key": "tunnel", "title": "Tunnel", "description": "", "params": [
        {"name": "speed", "type": "float", "low": 0.0, "high": 4.0, "description": ""},
        {"name": "rings", "type": "int", "low": 1.0, "high": 12.0, "description": ""}]},
    {"key": "club", "title": "Club", "description": "", "params": [
        {"name": "haze", "type": "float", "low": 0.0, "high": 1.0, "description": ""}]},
    {"key": "eyes", "title": "Eyes", "description": "", "params": []},
]
STATE = {"scene": "tunnel", "switching": "", "scenes": ["tunnel", "club", "eyes"], "cue": None,
         "tempo": 120.0, "fps": 60.0, "latency_ms": 21.5, "note": "F#4", "level_db": -18.0,
         "blackout": False, "freeze": False, "record": False, "auto": False, "hud": False,
         "intensity": 0.5, "params": [], "applied": {}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port: int, method: str, path: str, body=None, headers: dict | None = None,
         timeout: float = 5.0) -> tuple[int, dict, bytes]:
    """One request to 127.0.0.1:``port``; (status, headers, body). ``body``
    that is not bytes is sent as JSON. ``headers`` may set Host."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    connection = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def state(port: int, headers: dict | None = None) -> dict:
    status, _, body = http(port, "GET", "/api/state", headers=headers)
    assert status == 200, (status, body)
    return json.loads(body)


def post(port: int, address: str, args: list, headers: dict | None = None) -> tuple[int, dict]:
    status, _, body = http(port, "POST", "/api" + address, args, headers=headers)
    return status, json.loads(body)


def wait_for(check, timeout: float = 30.0, step: float = 0.1):
    """``check()``'s first true value within ``timeout`` seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, AssertionError, httpclient.HTTPException) as e:
            last = e
        else:
            if last:
                return last
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s (last: {last!r})")


async def ws_talk(port: int, messages: list, *, headers: dict | None = None,
                  until=None, timeout: float = 5.0) -> list[dict]:
    """Open /ws, send each of ``messages`` (dicts as JSON, str and bytes as
    they are), and collect what comes back until ``until(received)`` is true
    (default: a reply for each message sent)."""
    until = until or (lambda got: sum(m.get("type") == "reply" for m in got) >= len(messages))
    received: list[dict] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws", headers=headers,
                                      max_msg_size=0) as ws:
            for message in messages:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_str(message if isinstance(message, str) else json.dumps(message))
            deadline = time.monotonic() + timeout
            while not until(received):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no answer within {timeout} s: {received}")
                message = await ws.receive(timeout=left)
                if message.type != aiohttp.WSMsgType.TEXT:
                    received.append({"type": "closed", "code": ws.close_code})
                    break
                received.append(json.loads(message.data))
    return received


@contextlib.contextmanager
def remote(**kwargs):
    """A started WebRemote on 127.0.0.1 (port 0 unless given), with CATALOGUE."""
    from visualizer.control.bus import ControlBus
    from visualizer.control.web import WebRemote
    kwargs.setdefault("port", 0)
    kwargs.setdefault("effects", {"glow": ["amount", "threshold"], "trails": ["decay"]})
    server = WebRemote(ControlBus(), catalogue=CATALOGUE, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def start_show(port: int, *extra: str, display: str | None = None, size: str = "320x180",
               host_args: tuple = ()) -> subprocess.Popen:
    """`visualizer live --demo --web PORT` (headless unless ``display``)."""
    env = dict(os.environ)
    if display:
        env["DISPLAY"] = display
    where = ["--size", size] + ([] if display else ["--headless"])
    return subprocess.Popen([sys.executable, "-m", "visualizer", "live", *where, "--demo",
                             "--play", "none", "--web", str(port), *host_args, *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def end_show(proc: subprocess.Popen, timeout: float = 30.0) -> tuple[int, str, str]:
    """SIGTERM (the headless show ends as Esc ends a window); (status, stdout, stderr)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    return proc.returncode, out, err


def read_join_line(proc: subprocess.Popen, timeout: float = 60.0) -> str:
    """The show's 'web remote: URL  PIN NNNNNN' line (it prints it first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("web remote:"):
            return line.strip()
        if not line and proc.poll() is not None:
            break
    raise AssertionError("the show printed no 'web remote:' line")


def _scenes(body: bytes) -> tuple[str, str]:
    """The scene on screen and the one a switch goes to, from /api/state."""
    state = json.loads(body)
    return state.get("scene", ""), state.get("switching", "")


def off_loopback(port: int) -> dict:
    """Inside a private network namespace: a show on every address needs
    its PIN from every client; the findings as a dict (printed as JSON)."""
    proc = start_show(port, host_args=("--web-host", "0.0.0.0"))
    found = {}
    try:
        line = read_join_line(proc)
        found["line"] = line
        pin = re.search(r"PIN (\d{6})$", line).group(1)
        right = {"X-Visualizer-Pin": pin}
        wait_for(lambda: http(port, "GET", "/api/state", headers=right)[0] == 200, timeout=60)
        found["no_pin"] = http(port, "GET", "/api/state")[0]
        found["wrong_pin"] = http(port, "GET", "/api/state",
                                  headers={"X-Visualizer-Pin": "000000" if pin != "000000"
                                           else "111111"})[0]
        found["right_pin"] = http(port, "GET", "/api/state", headers={"X-Visualizer-Pin": pin})[0]
        status, headers, _ = http(port, "GET", f"/?pin={pin}")
        found["qr_address"] = status
        cookie = headers.get("Set-Cookie", "").split(";")[0]
        found["cookie_state"] = http(port, "GET", "/api/state", headers={"Cookie": cookie})[0]
        found["cookie_command"] = post(port, "/scene", ["club"], headers={"Cookie": cookie})[0]
        # The show applies it on its next frame: wait for that, not for a time.
        wait_for(lambda: "club" in _scenes(http(port, "GET", "/api/state", headers=right)[2]),
                 timeout=60)
        found["ws_without_pin"] = http(port, "GET", "/ws", headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})[0]
        found["rebinding"] = http(port, "GET", "/api/state", headers={
            "X-Visualizer-Pin": pin, "Host": f"attacker.example:{port}"})[0]
        found["lan_address"] = http(port, "GET", "/api/state", headers={
            "X-Visualizer-Pin": pin, "Host": f"192.168.1.20:{port}"})[0]
    finally:
        found["exit"], found["stdout"], found["stderr"] = end_show(proc)
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == ["off-loopback"]:
        print(json.dumps(off_loopback(int(sys.argv[2]))))
