"""Two real Ableton Link peers: the show's LinkClock in the real live loop
(headless, EGL), and a second peer standing for the band's Ableton set.

Run by tests/test_link.py as ``python tests/link_rig.py SCENARIO [ARGS]``
inside a private network namespace that only has loopback (``unshare -n``):
it refuses to start otherwise, so no Link traffic ever reaches a real
interface. It prints one JSON line with what it measured.

Scenarios: ``follow LAG FRAMES`` (the peer sets 123 BPM; the display shows each
frame LAG seconds after it is drawn, as vsync and a projector would),
``lead`` (a click track at 131, then 131.8, then 136 BPM, fed to the
analyzer faster than real time), ``tap`` (taps at 100 BPM) and ``alone``
(no peer: the beat features are the tracker's own).
"""

import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np


SR = 48000
SIZE = (96, 54)


LOOPBACK_ONLY = ("ip link set lo up && ip link set lo multicast on && "
                 "ip route add 224.0.0.0/4 dev lo")


def in_private_network(script: Path, *args: str, timeout: float = 180) -> dict:
    """Run ``script ARGS`` in a network namespace of its own with loopback
    alone (multicast routed there); the JSON it printed last. Skips the
    calling test, saying why, where no such namespace can be made."""
    import shutil
    import subprocess
    import pytest
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare (util-linux) and ip (iproute2) are needed to keep Link on loopback")
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    if subprocess.run([*unshare, "true"], capture_output=True).returncode:
        pytest.skip(f"`{' '.join(unshare)}` is not permitted here: no private network namespace")
    command = [*unshare, "sh", "-c", LOOPBACK_ONLY + ' && exec "$0" "$@"',
               sys.executable, str(script), *args]
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    r = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=root, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def private_network() -> None:
    """Stop unless this process's network namespace has loopback alone."""
    interfaces = sorted(name for _, name in socket.if_nameindex())   # this namespace's own
    if interfaces != ["lo"]:
        sys.exit(f"link_rig: refusing to run Link outside a private network namespace "
                 f"(interfaces here: {', '.join(interfaces)})")


def click_track(segments) -> np.ndarray:
    """Clicks at each ``(bpm, seconds)`` segment's tempo, one segment after the other."""
    kernel = 0.25 * np.hanning(48) * np.sin(np.arange(48) * 0.9)
    parts, start = [], 0.13
    for bpm, seconds in segments:
        x = np.zeros(int(seconds * SR), np.float32)
        for t in np.arange(start, seconds, 60.0 / bpm):
            i = int(round(t * SR))
            m = min(len(kernel), len(x) - i)
            x[i:i + m] += kernel[:m]
        parts.append(x)
        start = (start - seconds) % (60.0 / bpm)   # the next segment's first click
    return np.concatenate(parts)


def fed_source(signal: np.ndarray, block: int, ready=lambda: True):
    """A live source the test feeds: each ``feed()`` writes the next block of
    ``signal`` (silence until ``ready()``)."""
    from visualizer.audio.ring import RingBuffer
    from visualizer.audio.source import LiveSource

    class Fed(LiveSource):
        def __init__(self):
            self.sample_rate = SR
            self.ring = RingBuffer(SR * 8)
            self.pos = 0

        def start(self):
            self.feed()

        def stop(self):
            pass

        def feed(self):
            if not ready():
                self.ring.write(np.zeros(block, np.float32), time.perf_counter())
                return
            part = signal[self.pos:self.pos + block]
            self.pos += block
            self.ring.write(np.pad(part, (0, block - len(part))), time.perf_counter())

    return Fed()


def lagged_display(lag: float, on_shown):
    """Headless, but each frame reaches the screen ``lag`` s after it is drawn."""
    from visualizer.output.display.headless import HeadlessDisplay

    class Late:
        def __init__(self, loop):
            self.loop = loop

        def frame(self):
            self.loop.frame()
            time.sleep(lag)

        def shown(self):
            self.loop.shown()
            on_shown()

        def __getattr__(self, name):   # fault, key
            return getattr(self.loop, name)

    class Lagged(HeadlessDisplay):
        def run(self, loop):
            return super().run(Late(loop))

    return Lagged(SIZE, refresh=60.0)


def peer(bpm: float):
    """The other peer (the band's Ableton set), in the session from now on."""
    from link import Link
    p = Link(bpm)
    p.enabled = True
    return p


def peer_now(p, quantum: float = 4.0) -> tuple[float, float, float]:
    """The peer's (tempo, beat phase, bar phase) now."""
    state, now = p.captureAppSessionState(), p.clock().micros()
    return state.tempo(), state.phaseAtTime(now, 1.0), state.phaseAtTime(now, quantum) / quantum


def run(clock, source, options, display):
    """The live show with ``clock`` as its beat clock, fed by ``source``; its LiveResult."""
    from visualizer.engine.live import run_live
    from visualizer.scenes.scene import discover
    options.link = clock
    options.controls.append(clock)
    options.adaptive = False
    then = options.on_frame

    def on_frame(show, frame):   # the next block arrives as a sound card's would
        source.feed()
        then(show, frame)

    options.on_frame = on_frame
    scenes = [s for s in discover() if s.key in ("steppe", "club")]
    return run_live(source, scenes, scene="steppe", display=display, options=options)


def follow(lag: float, frames: int) -> dict:
    """The peer at 123 BPM; our frames' beat against the peer's when each is shown."""
    from visualizer.control.bus import Command
    from visualizer.control.link import LinkClock
    from visualizer.control.setlist import Setlist
    from visualizer.engine.live_options import LiveOptions
    from visualizer.scenes.scene import TRANSITIONS_DIR

    band = peer(123.0)
    clock = LinkClock(quantum=4)
    rows, drawn, state = [], {}, {"joined": None, "cue": None}
    setlist = Path(tempfile.mkdtemp(prefix="link-rig-")) / "set.toml"
    setlist.write_text('[[song]]\nname = "one"\n[[song.cue]]\nscene = "steppe"\n'
                       '[[song.cue]]\nscene = "club"\nquantize = "bar"\nbeats = 1\n')
    options = LiveOptions(max_frames=frames)
    options.setlist = Setlist.load(setlist, ["steppe", "club"],
                                   sorted(p.stem for p in TRANSITIONS_DIR.glob("*.glsl")))

    def on_frame(show, frame):
        if clock.peers and state["joined"] is None:
            state["joined"] = time.perf_counter()
            s = band.captureAppSessionState()
            s.setTempo(123.0, band.clock().micros())   # the band counts in
            band.commitAppSessionState(s)
        settled = state["joined"] is not None and time.perf_counter() - state["joined"] > 0.5
        if settled and state["cue"] is None:
            options.bus.post(Command("next_cue", source="test"))   # on the next downbeat
            state["cue"] = len(rows)
        at = band.captureAppSessionState().phaseAtTime(clock.read_at, 1.0)   # the same Link time
        drawn.update(tempo=frame["tempo"], phase=frame["beat_phase"], bar=frame["bar_phase"],
                     session_phase=at,
                     count=frame["beat_count"], settled=settled, peers=clock.peers,
                     switching=len(show.engine.on_screen) > 1, hud=clock.hud_text())

    def on_shown():
        if drawn:
            tempo, phase, bar = peer_now(band)
            rows.append(dict(drawn, peer_tempo=tempo, peer_phase=phase, peer_bar=bar))
            drawn.clear()

    options.on_frame = on_frame
    run(clock, fed_source(np.zeros(0, np.float32), 800), options, lagged_display(lag, on_shown))
    setlist.unlink()
    setlist.parent.rmdir()
    return {"rows": rows, "lead": clock.lead, "cue_row": state["cue"]}


def lead() -> dict:
    """--link-lead: the click's tempo, heard, reaches the peer; a wobble within the band does not."""
    from visualizer.control.link import LinkClock
    from visualizer.engine.live_options import LiveOptions
    from visualizer.output.display.headless import HeadlessDisplay

    segments = [(131.0, 12.0), (131.8, 8.0), (136.0, 12.0)]
    signal = click_track(segments)
    band = peer(120.0)
    clock = LinkClock(quantum=4, lead=True)
    source = fed_source(signal, 6400, lambda: clock.peers > 0)   # 8x real time, once joined
    marks, seen = [s for _, s in segments], []
    options = LiveOptions(max_frames=len(signal) // 6400 + 2 + 60)   # a second to join

    def on_frame(show, frame):
        if source.pos:
            seen.append((source.pos / SR, peer_now(band)[0], clock.published, clock.hud_text()))

    options.on_frame = on_frame
    run(clock, source, options, HeadlessDisplay(SIZE, refresh=60.0))
    ends = np.cumsum(marks)
    at = [max((s for s in seen if s[0] <= end - 0.2), key=lambda s: s[0]) for end in ends]
    return {"segments": segments, "at_ends": at}


def tap() -> dict:
    """Taps at 100 BPM set the session's tempo, which the peer reads."""
    from visualizer.control.bus import Command
    from visualizer.control.link import LinkClock
    from visualizer.engine.live_options import LiveOptions
    from visualizer.output.display.headless import HeadlessDisplay

    band = peer(120.0)
    clock = LinkClock(quantum=4)
    options = LiveOptions(max_frames=int(4.5 * 60))
    state = {"next": None, "taps": 0, "seen": []}

    def on_frame(show, frame):
        if clock.peers and state["next"] is None:
            state["next"] = frame.time + 0.2
        if state["next"] is not None and frame.time >= state["next"] and state["taps"] < 4:
            options.bus.post(Command("tap", source="test"))
            state["taps"] += 1
            state["next"] += 0.6
        state["seen"].append((frame.time, peer_now(band)[0], clock.hud_text()))

    options.on_frame = on_frame
    run(clock, fed_source(np.zeros(0, np.float32), 800), options, HeadlessDisplay(SIZE, refresh=60.0))
    return {"taps": state["taps"], "peer_tempo": state["seen"][-1][1],
            "hud": state["seen"][-1][2], "published": clock.published}


def alone() -> dict:
    """No peer: apply leaves every feature as the tracker made it."""
    from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
    from visualizer.control.link import LinkClock

    signal = click_track([(131.0, 10.0)])
    ours, plain = Analyzer(AnalyzerSettings(sample_rate=SR)), Analyzer(AnalyzerSettings(sample_rate=SR))
    show = SimpleNamespace(engine=SimpleNamespace(analyzer=ours))
    differ = 0
    with LinkClock(quantum=4, lead=False) as clock:
        time.sleep(1.0)   # time enough to find a peer, were there one
        for i in range(0, len(signal), 800):
            frame = ours.process(signal[i:i + 800])
            clock.apply(frame, show, None)
            differ += int(not np.array_equal(frame.values, plain.process(signal[i:i + 800]).values))
        return {"frames": len(signal) // 800, "differ": differ, "peers": clock.peers,
                "tempo": float(ours.frame["tempo"]), "hud": clock.hud_text()}


def main() -> None:
    private_network()
    scenario = sys.argv[1]
    if scenario == "follow":
        result = follow(float(sys.argv[2]), int(sys.argv[3]))
    else:
        result = {"lead": lead, "tap": tap, "alone": alone}[scenario]()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
