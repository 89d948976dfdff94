"""Fuzz: OSC datagrams at the OSC server.

Batches of generated datagrams go over a real UDP socket on 127.0.0.1 to a
running :class:`OscServer` posting on a real :class:`ControlBus`: random
bytes (some dressed as a message or a bundle), and valid messages and
bundles, of every type tag python-osc reads, with NaN, infinities, extreme
integers, huge strings and blobs, text that is not UTF-8 and bundles nested
past the limit, then damaged: a 4-byte word (a size, a type tag, an
argument) overwritten with a hostile number (negative, zero, odd, past the
end, the datagram's own length), bytes flipped, cut short, misaligned, spliced.

Property, after every batch: a valid command sent next is acted on within a
second (the server thread is alive and not stuck), every command posted is a
valid one with finite values naming known scenes and parameters, each
malformed datagram was counted once on the bus, and nothing reached stderr.
In-process, without the socket: whatever python-osc's own builders make
passes :func:`check_packet` (no valid traffic is refused), and whatever
passes it python-osc parses quickly, raising at most a UnicodeDecodeError.
"""

import math
import socket
import struct
import time

import numpy as np
import pytest
from hypothesis import given, strategies as st
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from fuzzing import Case, budget, valid_command
from visualizer.control.bus import Command, ControlBus
from visualizer.control.osc import OscServer
from visualizer.control.osc_packet import MAX_DEPTH, check_packet

pytestmark = pytest.mark.fuzz

SCENES = ["tunnel", "vortex", "eyes"]
PARAMS = {"tunnel": ["speed", "twist"], "vortex": ["spin"], "eyes": []}
ANSWER_S = 1.0          # a valid command after a batch is acted on within this
BATCH_BYTES = 96_000    # per batch: well inside the socket's receive buffer, so none is dropped
ADDRESSES = ["/scene", "/look", "/scene/next", "/scene/prev", "/cue/next", "/cue/prev", "/song",
             "/param/tunnel/speed", "/param/vortex/spin", "/param/spin", "/param01/twist",
             "/param01/eyes/x", "/intensity", "/blackout", "/freeze", "/hud", "/record",
             "/auto", "/tap", "/visualizer/scene", "/visualizer/intensity", "/nope", "/",
             "/param/", "/scene/*", "/visualizer", "/fx/glow", "/fx/glow/amount",
             "/fx01/glow/amount", "/fx/", "/fx/nope", "/fx/glow/nope", "/visualizer/fx/trails",
             "/fxlook/glow", "/fxlook/nope", "/fxlook/"]
EFFECTS = {"glow": ["amount", "threshold"], "trails": ["decay"]}
HOSTILE_WORDS = [-2**31, -4, -1, 0, 1, 2, 3, 4, 5, 8, 12, 2**31 - 1, 65536]


@pytest.fixture
def server():
    srv = OscServer(ControlBus(), port=0, scenes=SCENES, params=PARAMS, effects=EFFECTS)
    srv.start()
    yield srv
    srv.stop()


# -- generating datagrams (numpy's generator: fast, many per example) -------------

def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _string(text: bytes) -> bytes:
    return _pad(text + b"\0")


def _text(rng) -> bytes:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(SCENES + ["speed", "spin", "Blue in Green", ""]).encode()
    if roll < 0.8:
        return "".join(map(chr, rng.integers(1, 0x3000, rng.integers(0, 12)))).encode(
            "utf-8", "replace").replace(b"\0", b"")
    if roll < 0.95:
        return bytes(rng.integers(1, 256, rng.integers(0, 12), dtype=np.uint8))   # not UTF-8
    return b"x" * int(rng.choice([1019, 1020, 1023, 1024, 5000]))                  # at the limit


def _argument(rng, depth: int = 0) -> tuple[bytes, bytes]:
    """(type tags, data) of one argument."""
    tag = rng.choice(list("iiffffsshdbrmtTFN["))
    if tag == "i":
        return b"i", struct.pack(">i", int(rng.choice([0, 1, -1, 2, 3, 2**31 - 1, -2**31])))
    if tag == "h":
        return b"h", struct.pack(">q", int(rng.integers(-2**63, 2**63 - 1)))
    if tag in "fd":
        value = float(rng.choice([0.0, 0.5, 1.0, -0.2, 1.5, math.nan, math.inf, -math.inf,
                                  3.4e38, 1e-45, float(rng.normal() * 100)]))
        return tag.encode(), struct.pack(">f" if tag == "f" else ">d", value)
    if tag == "s":
        return b"s", _string(_text(rng))
    if tag == "b":
        size = int(rng.choice([0, 1, 3, 4, 7, 100])) if rng.random() < 0.97 else 60_000
        return b"b", struct.pack(">i", size) + _pad(bytes(size))
    if tag in "rm":
        return tag.encode(), bytes(rng.integers(0, 256, 4, dtype=np.uint8))
    if tag == "t":
        return b"t", bytes(rng.integers(0, 256, 8, dtype=np.uint8))
    if tag == "[" and depth < 3:
        tags, data = b"[", b""
        for _ in range(rng.integers(0, 3)):
            t, d = _argument(rng, depth + 1)
            tags, data = tags + t, data + d
        return tags + b"]", data
    return str(tag if tag != "[" else "N").encode(), b""


def _message(rng) -> bytes:
    address = rng.choice(ADDRESSES).encode()
    if rng.random() < 0.1:
        address = b"/" + _text(rng)
    if rng.random() < 0.1:
        return _string(address)                              # no type tags at all
    tags, data = b",", b""
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        t, d = _argument(rng)
        tags, data = tags + t, data + d
    return _string(address) + _string(tags) + data


def _bundle(rng, depth: int = 0) -> bytes:
    elements = []
    for _ in range(rng.integers(0, 4)):
        nested = rng.random() < (0.45 if depth < MAX_DEPTH + 2 else 0.0)
        element = _bundle(rng, depth + 1) if nested else _message(rng)
        elements.append(struct.pack(">i", len(element)) + element)
    tag = bytes(8) if rng.random() < 0.5 else bytes(rng.integers(0, 256, 8, dtype=np.uint8))
    return b"#bundle\0" + tag + b"".join(elements)


def _damage(data: bytes, rng) -> bytes:
    """``data`` with up to three kinds of damage; undamaged a fifth of the time.
    Most damage keeps the size a multiple of 4, to get past the first check."""
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        kind = rng.integers(0, 6)
        step = 4 if rng.random() < 0.75 else 1
        data = bytearray(data)
        if kind == 0 and len(data) >= 4:                     # a word: sizes are words
            at = 4 * int(rng.integers(0, len(data) // 4))
            word = int(rng.choice(HOSTILE_WORDS + [len(data), len(data) - at, len(data) + 4]))
            data[at:at + 4] = struct.pack(">i", max(min(word, 2**31 - 1), -2**31))
        elif kind == 1 and data:                             # a byte: a tag, a NUL, a letter
            data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
        elif kind == 2:                                      # cut short
            data = data[:step * int(rng.integers(0, len(data) // step + 1))]
        elif kind == 3:                                      # junk after
            data += bytes(rng.integers(0, 256, step * rng.integers(1, 5), dtype=np.uint8))
        elif kind == 4 and len(data) >= 8:                   # a piece of itself spliced in
            a, b = sorted(step * rng.integers(0, len(data) // step, 2))
            at = step * int(rng.integers(0, len(data) // step))
            data[at:at] = data[a:b]
        elif kind == 5:                                      # one more level of bundle
            data = b"#bundle\0" + bytes(8) + struct.pack(">i", len(data)) + data
        data = bytes(data)
    return data


def _noise(rng) -> bytes:
    size = int(rng.choice([0, 1, 3, 4, 8, 16, 20, 64, 256, 1500]))
    data = bytes(rng.integers(0, 256, size, dtype=np.uint8))
    dress = rng.integers(0, 3)                               # past the first checks
    return data if dress == 0 else (b"/" if dress == 1 else b"#bundle\0") + data


def _batch(seed: int, make) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out, size = [], 0
    for _ in range(200):
        data = make(rng)
        if len(data) > 65_000:
            continue                 # more than a UDP datagram holds: sendto would refuse it
        if size + len(data) > BATCH_BYTES or len(out) == 60:
            break
        out.append(data)
        size += len(data) + 1024   # the kernel's own bookkeeping per datagram, roughly
    return out


# -- the properties --------------------------------------------------------------

_end = iter(range(10**9))


def _send_and_answer(srv: OscServer, batch: list[bytes]) -> list[Command]:
    """Send ``batch``, then a valid command; every command posted before it,
    asserting it came within ANSWER_S."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for data in batch:
            raw.sendto(data, srv.address)
        end = Command("song", target=f"__end__{next(_end)}", source="osc")
        marker = OscMessageBuilder("/song")
        marker.add_arg(end.target)
        marker = marker.build().dgram
        sent = time.monotonic()
        got: list[Command] = []
        while time.monotonic() - sent < ANSWER_S:
            raw.sendto(marker, srv.address)   # again every 50 ms: a lost datagram is no hang
            deadline = time.monotonic() + 0.05
            while time.monotonic() < deadline:
                got += srv.bus.drain()
                if end in got:
                    return [c for c in got[:got.index(end)] if c.target != end.target]
                time.sleep(0.001)
    raise AssertionError(f"no answer within {ANSWER_S} s after a batch of {len(batch)} "
                         f"(thread alive: {srv._thread.is_alive()})")


def _valid(command: Command) -> bool:
    return valid_command(command, source="osc", scenes=SCENES, params=PARAMS, effects=EFFECTS)


def _check_batch(srv: OscServer, capfd, batch: list[bytes]) -> None:
    before = srv.bus.rejected
    with Case("osc"):
        commands = _send_and_answer(srv, batch)
        assert srv._thread.is_alive()
        assert all(map(_valid, commands)), [c for c in commands if not _valid(c)]
        malformed = sum(1 for d in batch if check_packet(d))
        trivially = sum(1 for d in batch if len(d) % 4 or not d.startswith((b"/", b"#bundle\0")))
        assert srv.bus.rejected - before >= max(malformed, trivially)
        assert capfd.readouterr().err == ""


@budget(25)
@given(seed=st.integers(0, 2**63 - 1))
def test_random_bytes_never_stop_the_server(server, capfd, seed):
    _check_batch(server, capfd, _batch(seed, _noise))


@budget(40)
@given(seed=st.integers(0, 2**63 - 1))
def test_damaged_messages_and_bundles_never_stop_the_server(server, capfd, seed):
    make = lambda rng: _damage(_message(rng) if rng.random() < 0.4 else _bundle(rng), rng)
    _check_batch(server, capfd, _batch(seed, make))


# -- in-process: the check against python-osc itself --------------------------------

_ARG = st.one_of(st.integers(-2**31, 2**31 - 1), st.floats(width=32),
                 st.text(max_size=40).map(lambda s: s.replace("\0", "")),
                 st.binary(min_size=1, max_size=64), st.booleans(), st.none())


def _built_message(address: str, args: list) -> bytes:
    message = OscMessageBuilder(address)
    for arg in args:
        message.add_arg(arg)
    return message.build()


@st.composite
def _built(draw, depth: int = 0):
    """A message or a bundle as python-osc's builders make it."""
    address = "/" + draw(st.text(max_size=30).map(lambda s: s.replace("\0", "")))
    if depth >= MAX_DEPTH or draw(st.booleans()):
        return _built_message(address, draw(st.lists(_ARG, max_size=5)))
    bundle = OscBundleBuilder(draw(st.sampled_from([1, 0.0, 1e9, 2e9])))
    for _ in range(draw(st.integers(0, 3))):
        bundle.add_content(draw(_built(depth + 1)))
    return bundle.build()


@budget(100)
@given(packet=_built())
def test_everything_python_osc_builds_passes_the_check(packet):
    with Case("osc-check"):
        assert check_packet(packet.dgram) == ""
        OscPacket(packet.dgram)


@budget(60)
@given(seed=st.integers(0, 2**63 - 1))
def test_what_passes_the_check_python_osc_parses_quickly_and_quietly(capfd, seed):
    rng = np.random.default_rng(seed)
    with Case("osc-check"):
        for _ in range(40):
            data = _damage(_message(rng) if rng.random() < 0.4 else _bundle(rng), rng)
            started = time.perf_counter()
            if check_packet(data) == "":
                try:
                    OscPacket(data)
                except UnicodeDecodeError:
                    pass   # text that is not UTF-8: the server counts it as _UNPARSED
            assert time.perf_counter() - started < 0.5
        assert capfd.readouterr().err == ""
