"""The web remote's command round trip: from a page sending a command to the
page seeing the show act on it.

    .venv/bin/python benchmarks/web.py [--commands 200] [--window]

A live show (``visualizer live --demo --web PORT``, headless at 60 fps
unless ``--window`` puts it in a window on $DISPLAY) and a WebSocket client
on 127.0.0.1, as the page is. Each command sets the current scene's first
parameter to a new value (``/param/SCENE/NAME``) and is timed twice:

- **reply**: until the server's reply (it has checked the command and
  posted it on the show's bus);
- **round trip**: until a state message shows the new value: the render
  thread applied it at the start of a frame, published the state at the end
  of that frame, and the server pushed it to the page. This is what a
  person on the phone waits for to see a button light up or a slider hold.

Commands go out at random moments (every 40-120 ms), so the wait for the
next frame is sampled across the frame. Also timed: ``POST /api/...`` as a
script sends it (reply only). The figures are printed; the show's own frame
rate is printed with them, since a frame is most of the round trip.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_show(port: int, window: bool) -> subprocess.Popen:
    where = [] if window else ["--headless"]
    return subprocess.Popen([sys.executable, "-m", "visualizer", "live", *where, "--demo",
                             "--play", "none", "--size", "640x360", "--web", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_state(port: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the show did not start")


async def round_trips(port: int, commands: int) -> tuple[list[float], list[float], float]:
    import aiohttp
    replies, trips, fps = [], [], 0.0
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
            state = None
            while state is None:   # hello, then the state
                message = json.loads((await ws.receive()).data)
                state = message.get("state")
            scene, param = state["scene"], state["params"][0]
            address = f"/param/{scene}/{param['name']}"
            for i in range(commands):
                value = round(param["low"] + (param["high"] - param["low"]) * ((i * 0.37) % 1), 4)
                if value == param["value"]:
                    value = param["low"] if value != param["low"] else param["high"]
                await asyncio.sleep(random.uniform(0.04, 0.12))
                sent = time.perf_counter()
                await ws.send_str(json.dumps({"address": address, "args": [value], "id": i}))
                replied = None
                while True:
                    message = json.loads((await ws.receive(timeout=5)).data)
                    now = time.perf_counter()
                    if message["type"] == "reply" and message["id"] == i:
                        replied = now - sent
                    if message["type"] == "state":
                        fps = message["state"]["fps"]
                        current = {p["name"]: p["value"] for p in message["state"]["params"]}
                        if abs(current.get(param["name"], float("nan")) - value) < 1e-6:
                            trips.append(now - sent)
                            param["value"] = value
                            break
                replies.append(replied if replied is not None else float("nan"))
    return replies, trips, fps


def posts(port: int, count: int) -> list[float]:
    out = []
    for _ in range(count):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/intensity", method="POST",
                                         data=b"[0.5]", headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=5) as r:
            r.read()
        out.append(time.perf_counter() - started)
        time.sleep(random.uniform(0.02, 0.06))
    return out


def summary(name: str, seconds: list[float]) -> str:
    ms = np.array([s for s in seconds if s == s]) * 1000
    return (f"{name}: median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
            f"max {ms.max():.1f} ms ({ms.size} commands)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--window", action="store_true", help="the show in a window ($DISPLAY)")
    args = parser.parse_args()
    if args.window and not os.environ.get("DISPLAY"):
        raise SystemExit("--window: no DISPLAY")
    random.seed(1)
    port = free_port()
    show = start_show(port, args.window)
    try:
        wait_for_state(port)
        time.sleep(3.0)   # past the start: thumbnails drawn, the frame rate settled
        replies, trips, fps = asyncio.run(round_trips(port, args.commands))
        script = posts(port, max(20, args.commands // 4))
    finally:
        show.terminate()
        show.wait(30)
    print(f"show: {'window' if args.window else 'headless'}, {fps:.1f} fps "
          f"(a frame every {1000 / fps:.1f} ms)" if fps else "show: frame rate unknown")
    print(summary("web remote round trip (WebSocket command -> state showing it)", trips))
    print(summary("web remote reply (WebSocket command -> posted on the bus)", replies))
    print(summary("HTTP POST /api/... (request -> reply)", script))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
