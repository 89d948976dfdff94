"""Fuzz the Ableton Link door: hostile datagrams at a show that follows a peer.

Run by tests/test_fuzz_link.py as ``python tests/link_fuzz_rig.py BATCHES
PER_BATCH SEED`` inside a private network namespace (link_rig.py's
``private_network`` refuses anything else). The show (the live loop,
headless, with a LinkClock) follows a real peer; each frame a batch of
datagrams goes to Link's discovery group and to the unicast endpoints the
peers announce: random bytes, and real discovery messages caught on the
group, damaged (bytes flipped, cut short, spliced, a word or a TLV length
overwritten with a hostile number) or forged (the session's own timeline with
a hostile beat length, from a real or a made-up node). Then the peer sets
123 BPM again. Prints one JSON line: per batch, whether every frame's beat
features stayed in range, and whether the show followed 123 BPM at the end.
"""

import json
import socket
import struct
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from link_rig import SIZE, fed_source, peer, private_network, run  # noqa: E402

GROUP = ("224.76.78.75", 20808)   # Link's discovery group and port
HOSTILE = [0, 1, -1, 2, 3, 7, 8, 255, 65535, 2**31 - 1, -2**31, 2**32, 2**63 - 1, -2**63]
KEYS = (b"tmln", b"sess", b"stst", b"mep4")


def listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(GROUP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 struct.pack("4s4s", socket.inet_aton(GROUP[0]), socket.inet_aton("127.0.0.1")))
    s.setblocking(False)
    return s


def endpoints(packet: bytes) -> list[tuple[str, int]]:
    """The unicast endpoint a discovery message announces (its mep4 entry)."""
    i = packet.find(b"mep4")
    if i < 0 or len(packet) < i + 14 or packet[i + 8] != 127:   # loopback only, ever
        return []
    return [(socket.inet_ntoa(packet[i + 8:i + 12]), struct.unpack(">H", packet[i + 12:i + 14])[0])]


def hostile(rng, size: int) -> bytes:
    value = int(HOSTILE[rng.integers(len(HOSTILE))])
    return (value % (1 << (8 * size))).to_bytes(size, "big")


def damaged(real: list[bytes], rng) -> bytes:
    """One datagram: random, or a real one damaged or forged."""
    kind = int(rng.integers(8))
    if kind == 0 or not real:
        return rng.bytes(int(rng.integers(0, 1500)))
    b = bytearray(real[rng.integers(len(real))])
    if kind == 1:
        for i in rng.integers(0, len(b), int(rng.integers(1, 8))):
            b[i] ^= int(rng.integers(1, 256))
    elif kind == 2:
        del b[int(rng.integers(0, len(b))):]
    elif kind in (3, 4):
        size = 4 if kind == 3 else 8
        at = int(rng.integers(0, max(1, len(b) - size)))
        b[at:at + size] = hostile(rng, size)
    elif kind == 5:   # a TLV entry's length
        i = bytes(b).find(KEYS[rng.integers(len(KEYS))])
        if i >= 0:
            b[i + 4:i + 8] = hostile(rng, 4)
    elif kind == 6:   # the session's timeline with a hostile beat length
        i = bytes(b).find(b"tmln")
        if i >= 0:
            b[i + 8:i + 16] = hostile(rng, 8)
            if rng.random() < 0.5:
                b[12:20] = rng.bytes(8)   # from a node nobody knows
    else:
        other = real[rng.integers(len(real))]
        b = b[:int(rng.integers(0, len(b)))] + other[int(rng.integers(0, len(other))):]
    return bytes(b)


def fuzz(batches: int, per_batch: int, seed: int) -> dict:
    from visualizer.control.link import LinkClock
    from visualizer.engine.live_options import LiveOptions
    from visualizer.output.display.headless import HeadlessDisplay

    rng = np.random.default_rng(seed)
    catch = listener()
    send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    send.bind(("127.0.0.1", 0))
    mine = send.getsockname()
    band = peer(123.0)
    clock = LinkClock(quantum=4)
    real, targets, results = [], set(), []
    state = {"start": None, "sent": 0, "end": None}
    options = LiveOptions(max_frames=batches + 200)

    def in_range(frame) -> bool:
        v = [frame["tempo"], frame["beat_phase"], frame["bar_phase"], frame["beat"],
             frame["beat_count"]]
        return (all(np.isfinite(v)) and 20 <= v[0] <= 999 and 0 <= v[1] < 1 and 0 <= v[2] < 1
                and 0 <= v[3] <= 1)

    def on_frame(show, frame):
        while True:
            try:
                packet, source = catch.recvfrom(2048)
            except BlockingIOError:
                break
            if source == mine or not packet.startswith(b"_asdp_v\x01") or len(packet) < 20:
                continue   # our own datagrams come back on the group
            real.append(packet)
            del real[:-16]   # the latest few
            targets.update(endpoints(packet))
        if state["start"] is None and clock.peers and len(real) >= 2:
            state["start"] = len(results)
        if state["start"] is not None and state["sent"] < batches:
            for _ in range(per_batch):
                to = GROUP if rng.random() < 0.7 or not targets else sorted(targets)[
                    rng.integers(len(targets))]
                try:
                    send.sendto(damaged(real, rng), to)
                except OSError:   # too long for a datagram: the door never sees it
                    pass
            state["sent"] += 1
            results.append(in_range(frame))
            if state["sent"] == batches:
                state["end"] = time.perf_counter()
        elif state["end"] is not None:
            if time.perf_counter() - state["end"] < 0.1:
                s = band.captureAppSessionState()
                s.setTempo(123.0, band.clock().micros())   # the band sets its tempo again
                band.commitAppSessionState(s)
            results.append(in_range(frame))
            state.setdefault("after", []).append((frame["tempo"], clock.peers,
                                                  band.captureAppSessionState().tempo(), band.numPeers()))

    options.on_frame = on_frame
    done = run(clock, fed_source(np.zeros(0, np.float32), 800), options, HeadlessDisplay(SIZE, 60.0))
    after = state.get("after", [])
    return {"batches": state["sent"], "in_range": results, "targets": len(targets),
            "end": after[-30:], "caught": len(real), "faults": done.faults}


if __name__ == "__main__":
    private_network()
    print(json.dumps(fuzz(*(int(a) for a in sys.argv[1:4]))))
