"""OSC control and feature output over real UDP loopback sockets."""

import math
import signal
import socket
import struct
import threading
import time

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from visualizer.analysis.features import SCALAR_FEATURES
from visualizer.control.bus import Command, ControlBus, TOGGLE
from visualizer.errors import ControlError
from conftest import wait_for_window
from visualizer.control import osc_packet
from visualizer.control.osc import OscServer
from visualizer.output.osc_out import FeatureSender

SCENES = ["tunnel", "vortex", "eyes"]
PARAMS = {"tunnel": ["speed", "twist"], "vortex": ["spin"], "eyes": []}
END = Command("song", target="__end__", source="osc")   # sent last; arrives last


@pytest.fixture
def server():
    bus = ControlBus()
    srv = OscServer(bus, port=0, scenes=SCENES, params=PARAMS)
    srv.start()
    yield srv
    srv.stop()


def _client(srv: OscServer) -> SimpleUDPClient:
    return SimpleUDPClient(*srv.address)


def _until_end(srv: OscServer, timeout: float = 5.0) -> list[Command]:
    """Send the END marker and return every command that came before it."""
    _client(srv).send_message("/song", "__end__")
    got: list[Command] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got += srv.bus.drain()
        if END in got:
            assert got[-1] == END
            return got[:-1]
        time.sleep(0.002)
    raise AssertionError(f"END never arrived: got {got}, rejected {srv.bus.rejected} "
                         f"({srv.bus.last_error})")


def _osc(action, **kw):
    return Command(action, source="osc", **kw)


VALID = [
    ("/scene", ["vortex"], _osc("scene", target="vortex")),
    ("/scene", [2], _osc("scene_index", value=2.0)),
    ("/scene", [1.0], _osc("scene_index", value=1.0)),       # TouchOSC sends floats
    ("/scene/next", [], _osc("next_scene")),
    ("/scene/next", [1.0], _osc("next_scene")),
    ("/scene/prev", [], _osc("prev_scene")),
    ("/cue/next", [], _osc("next_cue")),
    ("/cue/prev", [True], _osc("prev_cue")),
    ("/song", ["Blue in Green"], _osc("song", target="Blue in Green")),
    ("/song", [3], _osc("song", value=3.0)),
    ("/param/tunnel/speed", [2.5], _osc("param", target="speed", scene="tunnel", value=2.5)),
    ("/param/tunnel/twist", [-7], _osc("param", target="twist", scene="tunnel", value=-7.0)),
    ("/param/spin", [40.0], _osc("param", target="spin", value=40.0)),
    ("/param01/vortex/spin", [0.25],
     _osc("param", target="spin", scene="vortex", value=0.25, normalized=True)),
    ("/param01/speed", [1.5], _osc("param", target="speed", value=1.0, normalized=True)),
    ("/intensity", [0.5], _osc("intensity", value=0.5)),
    ("/intensity", [-0.2], _osc("intensity", value=0.0)),
    ("/blackout", [], _osc("blackout", value=TOGGLE)),
    ("/blackout", [1], _osc("blackout", value=1.0)),
    ("/blackout", [0.0], _osc("blackout", value=0.0)),
    ("/freeze", [], _osc("freeze", value=TOGGLE)),
    ("/freeze", [False], _osc("freeze", value=0.0)),
    ("/hud", [0.7], _osc("hud", value=1.0)),
    ("/record", [1], _osc("record", value=1.0)),
    ("/auto", [], _osc("auto", value=TOGGLE)),
    ("/auto", [0], _osc("auto", value=0.0)),
    ("/tap", [], _osc("tap")),
    ("/tap", [1.0], _osc("tap")),
    # The same with the /visualizer prefix.
    ("/visualizer/scene", ["eyes"], _osc("scene", target="eyes")),
    ("/visualizer/scene/prev", [], _osc("prev_scene")),
    ("/visualizer/param/tunnel/speed", [1.0],
     _osc("param", target="speed", scene="tunnel", value=1.0)),
    ("/visualizer/blackout", [], _osc("blackout", value=TOGGLE)),
]


@pytest.mark.parametrize("address,args,expected", VALID, ids=[
    f"{a} {' '.join(map(repr, v))}" for a, v, _ in VALID])
def test_address_posts_its_command(server, address, args, expected):
    _client(server).send_message(address, args)
    assert _until_end(server) == [expected]
    assert server.bus.rejected == 0


@pytest.mark.parametrize("address", ["/scene/next", "/cue/prev", "/tap"])
def test_button_release_is_ignored(server, address):
    client = _client(server)
    client.send_message(address, 1.0)   # a momentary button: press ...
    client.send_message(address, 0.0)   # ... and release: one step, not two
    assert len(_until_end(server)) == 1
    assert server.bus.rejected == 0


INVALID = [
    ("/nope", [1.0]),
    ("/scene/*", []),                    # patterns are not expanded
    ("/visualizer", []),
    ("/scene", ["nope"]),
    ("/scene", [3]),                     # three scenes: 0..2
    ("/scene", [-1]),
    ("/scene", [1.5]),
    ("/scene", []),
    ("/scene", ["tunnel", 1]),
    ("/song", [""]),
    ("/song", [-2]),
    ("/param/tunnel/nope", [1.0]),
    ("/param/nope/speed", [1.0]),
    ("/param/eyes/speed", [1.0]),        # eyes has no parameters
    ("/param/nope", [1.0]),              # no scene has it
    ("/param/tunnel/speed/x", [1.0]),
    ("/param/", [1.0]),
    ("/param/tunnel/speed", []),
    ("/param/tunnel/speed", [1.0, 2.0]),
    ("/param/tunnel/speed", ["fast"]),
    ("/param/tunnel/speed", [float("nan")]),
    ("/param01/tunnel/speed", [float("inf")]),
    ("/intensity", [float("nan")]),
    ("/intensity", ["loud"]),
    ("/intensity", [b"\x01\x02"]),
    ("/intensity", [None]),
    ("/blackout", ["on"]),
    ("/blackout", [1, 0]),
    ("/tap", ["now"]),
]


@pytest.mark.parametrize("address,args", INVALID, ids=[
    f"{a} {' '.join(map(repr, v))}" for a, v in INVALID])
def test_bad_message_is_counted_and_ignored(server, address, args):
    _client(server).send_message(address, args)
    assert _until_end(server) == []
    assert server.bus.rejected == 1
    assert address in server.bus.last_error


def _nested_bundles(depth: int) -> bytes:
    data = OscMessageBuilder("/tap").build().dgram
    for _ in range(depth):
        data = b"#bundle\0" + (1).to_bytes(8, "big") + len(data).to_bytes(4, "big") + data
    return data


def test_garbage_is_counted_and_the_server_lives_on(server):
    rng = np.random.default_rng(7)
    garbage = [
        rng.integers(0, 256, 200, np.uint8).tobytes(),
        b"",
        b"hello",
        b"/\xff\xfe\x00",                             # not UTF-8: python-osc raises
        b"/tap\0\0\0\0,i\0\0\x01\x02",                # truncated int
        b"/tap\0\0\0\0,s\0\0",                        # a string tag, no string
        b"/tap\0\0\0\0xyz\0",                         # type tags without a comma
        b"#bundle\0" + b"\x00" * 3,                   # truncated bundle header
        b"#bundle\0" + (1).to_bytes(8, "big") + (4).to_bytes(4, "big") + b"/\xff\0\0",
        _nested_bundles(3000),                        # recursion in python-osc
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for data in garbage:
            raw.sendto(data, server.address)
    assert _until_end(server) == []
    assert server.bus.rejected == len(garbage)
    assert server._thread.is_alive()
    # And it still understands a valid message.
    _client(server).send_message("/scene/next", [])
    assert _until_end(server) == [_osc("next_scene")]


def test_bundle_acts_in_order_and_does_not_wait_for_its_time_tag(server):
    builder = OscBundleBuilder(time.time() + 3600)   # an hour from now
    for address, args in [("/scene", ["vortex"]), ("/param/spin", [3.0]), ("/nope", [])]:
        message = OscMessageBuilder(address)
        for arg in args:
            message.add_arg(arg)
        builder.add_content(message.build())
    _client(server).send(builder.build())
    assert _until_end(server) == [_osc("scene", target="vortex"),
                                  _osc("param", target="spin", value=3.0)]
    assert server.bus.rejected == 1


def test_set_names_replaces_scenes_and_params(server):
    server.set_names(["tunnel", "aurora"], {"tunnel": [], "aurora": ["hue"]})
    client = _client(server)
    client.send_message("/scene", "aurora")
    client.send_message("/param/aurora/hue", 0.5)
    client.send_message("/scene", "vortex")   # gone
    assert _until_end(server) == [_osc("scene", target="aurora"),
                                  _osc("param", target="hue", scene="aurora", value=0.5)]
    assert server.bus.rejected == 1


def test_binds_loopback_by_default():
    srv = OscServer(ControlBus(), port=0, scenes=SCENES, params=PARAMS)
    try:
        host, port = srv.address
        assert host == "127.0.0.1"
        assert port > 0
    finally:
        srv.stop()


def test_stop_frees_the_port_and_is_idempotent():
    first = OscServer(ControlBus(), port=0, scenes=SCENES, params=PARAMS)
    first.start()
    port = first.address[1]
    first.stop()
    first.stop()
    assert not first._thread.is_alive()
    second = OscServer(ControlBus(), port=port, scenes=SCENES, params=PARAMS)
    with second:
        assert second.address == ("127.0.0.1", port)
        _client(second).send_message("/tap", [])
        assert _until_end(second) == [_osc("tap")]
    # Never started: stop still closes the socket.
    third = OscServer(ControlBus(), port=port, scenes=SCENES, params=PARAMS)
    third.stop()
    OscServer(ControlBus(), port=port, scenes=SCENES, params=PARAMS).stop()


def test_the_server_is_a_live_control_with_nothing_to_poll():
    from visualizer.control.base import Control
    bus = ControlBus()
    srv = OscServer(bus, port=0, scenes=SCENES, params=PARAMS)
    assert isinstance(srv, Control)
    with srv:                          # the live loop's three calls, in its order
        srv.poll()
        _client(srv).send_message("/tap", [])
        assert _until_end(srv) == [_osc("tap")]
        srv.poll()
    assert bus.rejected == 0


def test_port_in_use_is_one_line_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(ControlError) as info:
            OscServer(ControlBus(), port=port, scenes=SCENES, params=PARAMS)
    assert str(info.value) == f"OSC: cannot listen on 127.0.0.1:{port} (Address already in use)"


@pytest.mark.parametrize("host,port,why", [
    ("no-such-host.invalid", 9000, ""),
    ("127.0.0.1", 70000, "port must be 0..65535"),
])
def test_bad_host_or_port_is_one_line_error(host, port, why):
    with pytest.raises(ControlError) as info:
        OscServer(ControlBus(), host=host, port=port, scenes=SCENES, params=PARAMS)
    message = str(info.value)
    assert message.startswith(f"OSC: cannot listen on {host}:{port} (")
    assert why in message and "\n" not in message


class _Receiver:
    """A python-osc server recording every message it receives."""

    def __init__(self):
        self.messages: list[tuple[str, tuple]] = []
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(lambda address, *args: self.messages.append((address, args)))
        self.server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, tuple]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.002)
        return list(self.messages)

    def close(self):
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


def test_feature_sender_names_and_values_reach_a_python_osc_server():
    receiver = _Receiver()
    sender = FeatureSender("127.0.0.1", receiver.port)
    try:
        n = len(SCALAR_FEATURES)
        first = np.linspace(-120.0, 440.0, n).astype(np.float32)
        second = first[::-1] * 0.5
        sender.send(first)
        sender.send(second)
        got = receiver.wait_for(2 * n)
    finally:
        sender.close()
        receiver.close()
    names = [f"/visualizer/features/{f.name}" for f in SCALAR_FEATURES]
    assert [address for address, _ in got] == names * 2
    assert all(len(args) == 1 and isinstance(args[0], float) for _, args in got)
    np.testing.assert_array_equal([args[0] for _, args in got[:n]], first)
    np.testing.assert_array_equal([args[0] for _, args in got[n:]], second)
    assert sender.sent == 2 and sender.errors == 0


def test_feature_sender_sends_one_bundle_per_frame():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.bind(("127.0.0.1", 0))
        raw.settimeout(5.0)
        sender = FeatureSender("127.0.0.1", raw.getsockname()[1], prefix="/td")
        values = np.arange(len(SCALAR_FEATURES), dtype=np.float32) / 4
        sender.send(values)
        data = raw.recv(65536)
        sender.close()
    assert len(data) == sender.size <= 1472   # one Ethernet frame, no IP fragments
    assert OscBundle.dgram_is_bundle(data)
    messages = [timed.message for timed in OscPacket(data).messages]
    assert [m.address for m in messages] == [f"/td/{f.name}" for f in SCALAR_FEATURES]
    assert [m.params[0] for m in messages] == values.tolist()
    assert OscBundle(data).timestamp == IMMEDIATELY


def test_feature_sender_counts_errors_and_never_raises():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        port = gone.getsockname()[1]
    sender = FeatureSender("127.0.0.1", port)   # nobody listens: ICMP port unreachable
    values = np.zeros(len(SCALAR_FEATURES), np.float32)
    for _ in range(200):
        sender.send(values)
        if sender.errors:
            break
        time.sleep(0.005)
    sender.close()
    assert sender.errors > 0
    assert "refused" in sender.last_error.lower()


def test_feature_sender_does_not_block_on_a_receiver_that_never_reads():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as deaf:
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        deaf.bind(("127.0.0.1", 0))
        sender = FeatureSender("127.0.0.1", deaf.getsockname()[1])
        values = np.ones(len(SCALAR_FEATURES), np.float32)
        for _ in range(5000):
            sender.send(values)
        sender.close()
    assert sender.sent + sender.errors == 5000


@pytest.mark.parametrize("kwargs,why", [
    ({"host": "no-such-host.invalid", "port": 9001}, "cannot send features to no-such-host"),
    ({"host": "127.0.0.1", "port": 0}, "port must be 1..65535"),
    ({"host": "127.0.0.1", "port": 9001, "prefix": "features"}, "must start"),
])
def test_feature_sender_bad_target_is_one_line_error(kwargs, why):
    with pytest.raises(ControlError, match=why):
        FeatureSender(**kwargs)


def test_nan_features_are_sent_as_nan():
    # A feature going NaN is the analyzer's bug; the sender passes it on intact.
    receiver = _Receiver()
    sender = FeatureSender("127.0.0.1", receiver.port)
    values = np.zeros(len(SCALAR_FEATURES), np.float32)
    values[3] = np.nan
    sender.send(values)
    got = receiver.wait_for(len(SCALAR_FEATURES))
    sender.close()
    receiver.close()
    assert math.isnan(got[3][1][0]) and got[4][1][0] == 0.0


class _BrokenBus(ControlBus):
    """A bus whose post raises once: a bug in the handling, not a bad packet."""

    def __init__(self):
        super().__init__()
        self.broken = True

    def post(self, command):
        if self.broken:
            self.broken = False
            raise RuntimeError("bus on fire")
        super().post(command)


def test_an_error_while_handling_is_counted_and_survived(capfd):
    srv = OscServer(_BrokenBus(), port=0, scenes=SCENES, params=PARAMS)
    with srv:
        _client(srv).send_message("/tap", [])
        assert _until_end(srv) == []
        assert srv.bus.rejected == 1 and "bus on fire" in srv.bus.last_error
        _client(srv).send_message("/tap", [])
        assert _until_end(srv) == [_osc("tap")]
    assert "RuntimeError: bus on fire" in capfd.readouterr().err


# -- hostile datagrams: checked before python-osc sees them ------------------------

def _bundle(*elements: bytes, time_tag: bytes = (1).to_bytes(8, "big")) -> bytes:
    return b"#bundle\0" + time_tag + b"".join(len(e).to_bytes(4, "big") + e for e in elements)


def _sized(size: int, rest: bytes = b"") -> bytes:
    """A bundle whose one element claims ``size`` bytes and holds ``rest``."""
    return b"#bundle\0" + bytes(8) + struct.pack(">i", size) + rest


TAP = OscMessageBuilder("/tap").build().dgram
HOSTILE = b"#bundle\0" + bytes(8) + struct.pack(">i", -4)   # python-osc loops forever on it

MALFORMED = [
    (HOSTILE, "_ELEMENT"),
    (_sized(0), "_ELEMENT"),                              # python-osc logs, loops on nothing
    (_sized(64, TAP), "_ELEMENT"),                        # claims more than it holds
    (_sized(6, TAP + b"\0\0"), "_SIZE"),                  # not a multiple of 4
    (_sized(4, b"xyz\0"), "_NOT_OSC"),                    # python-osc logs "could not identify"
    (_sized(-2**31, TAP), "_ELEMENT"),
    (_nested_bundles(osc_packet.MAX_DEPTH + 1), "_DEEP"),
    (b"#bundle\0" + bytes(4), "_ELEMENT"),                # no time tag
    (b"/tap\0\0\0\0,c\0\0\0\0\0A", "_TAG"),               # python-osc logs "unhandled type"
    (b"/tap\0\0\0\0,I\0\0", "_TAG"),
    (b"/tap\0\0\0\0,\xff\0\0", "_TAG"),
    (b"/tap\0\0\0\0,i\0\0", "_ARGS"),                     # an int promised, none given
    (b"/tap\0\0\0\0,\0\0\0\0\0\0\0", "_ARGS"),            # trailing bytes
    (b"/tap\0\0\0\0,f\0\0\x3f\x80", "_SIZE"),             # a float cut short
    (b"/tap\0\0\0\0,s\0\0abcd", "_STRING"),               # no NUL
    (b"/tap\0\0\0\0,b\0\0" + struct.pack(">i", -8) + bytes(8), "_BLOB"),
    (b"/tap\0\0\0\0,b\0\0" + struct.pack(">i", 9) + bytes(8), "_BLOB"),
    (b"/tap\0\0\0\0,]\0\0", "_BRACKETS"),
    (b"/tap\0\0\0\0,[\0\0", "_BRACKETS"),
    (b"/tap\0\0\0\0,[[[[[[[[[" + b"]" * 9 + b"\0", "_BRACKETS"),
    (b"/tap\0\0\0\0i\0\0\0", "_NO_COMMA"),
    (b"/" + b"a" * 2000 + b"\0\0\0", "_LONG"),
    (b"/tap\0\0\0\0,s\0\0" + b"x" * 1100 + b"\0" * 4, "_LONG"),
    (b"/tap", "_STRING"),
    (b"", "_SIZE"),
    (b"tap\0", "_NOT_OSC"),
]


@pytest.mark.parametrize("data,why", MALFORMED, ids=[f"{i}-{w}" for i, (_, w) in enumerate(MALFORMED)])
def test_malformed_datagrams_are_one_rejection_each_with_a_constant_reason(server, capfd, data, why):
    assert osc_packet.check_packet(data) == getattr(osc_packet, why)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(data, server.address)
    assert _until_end(server) == []                       # and the server answers after it
    assert server.bus.rejected == 1
    assert server.bus.last_error is getattr(osc_packet, why)     # no text built per datagram
    assert capfd.readouterr().err == ""


def _every_type() -> bytes:
    message = OscMessageBuilder("/a")
    for value, tag in ((1, "i"), (2**40, "h"), (0.5, "f"), (0.25, "d"), ("s", "s"),
                       (b"12345", "b"), (7, "r"), ((0, 144, 60, 100), "m"),
                       (True, "T"), (False, "F"), (None, "N"), ([1, [2.0]], None)):
        message.add_arg(value, tag)
    return message.build().dgram


WELL_FORMED = [
    TAP,
    b"/tap\0\0\0\0,\0\0\0",                               # empty type tags
    _bundle(),                                            # an empty bundle
    _bundle(TAP, _bundle(TAP, _bundle(TAP))),
    _nested_bundles(osc_packet.MAX_DEPTH),
    _every_type(),
    b"/a\0\0,b\0\0" + bytes(4),                           # an empty blob
    b"/a\0\0,t\0\0" + (2**63).to_bytes(8, "big"),          # a time tag
]


@pytest.mark.parametrize("data", WELL_FORMED)
def test_well_formed_packets_pass_the_check_and_parse(data):
    assert osc_packet.check_packet(data) == ""
    OscPacket(data)   # and python-osc agrees


def test_the_hostile_bundle_neither_stalls_the_server_nor_writes_to_stderr(server, capfd):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for _ in range(100):
            raw.sendto(HOSTILE, server.address)
    started = time.monotonic()
    _client(server).send_message("/scene", "eyes")
    assert _until_end(server, timeout=2.0) == [_osc("scene", target="eyes")]
    assert time.monotonic() - started < 1.0
    assert server.bus.rejected == 100 and server._thread.is_alive()
    assert capfd.readouterr().err == ""


def test_python_osc_can_never_log_to_stderr(capfd):
    # python-osc logs through the root logger; an OscServer silences its records.
    OscServer(ControlBus(), port=0, scenes=SCENES, params=PARAMS).stop()
    OscPacket(_sized(4, b"xyz\0"))                     # "Could not identify content type"
    OscPacket(b"/tap\0\0\0\0,c\0\0\0\0\0A")            # "Unhandled parameter type"
    assert capfd.readouterr().err == ""


def test_a_datagram_larger_than_python_osc_reads_arrives_whole(server):
    taps = _bundle(*[TAP] * 1000)                          # 12 kB: socketserver reads 8 kB
    assert len(taps) > 8192
    _client(server).send(type("Raw", (), {"dgram": taps})())
    assert _until_end(server) == [_osc("tap")] * 1000
    assert server.bus.rejected == 0


class _StuckBus(ControlBus):
    """A bus whose post never returns: a handler stuck for good."""

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()

    def post(self, command):
        self.entered.set()
        threading.Event().wait()


def test_stop_is_bounded_even_when_the_handler_is_stuck():
    srv = OscServer(_StuckBus(), port=0, scenes=SCENES, params=PARAMS)
    srv.start()
    _client(srv).send_message("/tap", [])
    assert srv.bus.entered.wait(5.0)
    stopper = threading.Thread(target=srv.stop, daemon=True)
    started = time.monotonic()
    stopper.start()
    stopper.join(5.0)
    assert not stopper.is_alive(), "stop() waited for a stuck handler"
    assert time.monotonic() - started < 1.5


class _AlwaysBrokenBus(ControlBus):
    def post(self, command):
        raise RuntimeError("bus on fire")


def test_a_bug_prints_one_traceback_however_many_packets_hit_it(capfd):
    with OscServer(_AlwaysBrokenBus(), port=0, scenes=SCENES, params=PARAMS) as srv:
        client = _client(srv)
        for _ in range(20):
            client.send_message("/tap", [])
        deadline = time.monotonic() + 5.0
        while srv.bus.rejected < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert srv.bus.rejected == 20
    assert capfd.readouterr().err.count("Traceback") == 1


def test_a_long_argument_is_described_not_quoted_whole(server):
    message = OscMessageBuilder("/intensity")
    message.add_arg(b"\x01" * 60000)
    _client(server).send(message.build())
    assert _until_end(server) == []
    assert server.bus.last_error == "OSC /intensity: expected a number, got a blob of 60000 bytes"


# -- the live show under a hostile datagram ------------------------------------------

@pytest.mark.parametrize("stop", ["Escape", "SIGINT"])
def test_the_live_show_survives_the_hostile_bundle_and_still_quits_at_once(xdisplay, stop):
    from test_live import finish, free_udp_port, keys, start_live
    port = free_udp_port()
    proc = start_live(xdisplay, "--demo", "--osc-port", str(port), frames=0)
    try:
        assert wait_for_window(xdisplay), "the live window never appeared"
        time.sleep(1.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
            for data in (HOSTILE, _sized(64, TAP), _sized(4, b"xyz\0"), HOSTILE):
                raw.sendto(data, ("127.0.0.1", port))
        time.sleep(0.3)
        SimpleUDPClient("127.0.0.1", port).send_message("/scene", "night")
        time.sleep(3.0)   # the switch waits for a beat, then dissolves
        if stop == "Escape":
            keys(xdisplay, "Escape", pause=0)
        else:
            proc.send_signal(signal.SIGINT)
        asked = time.monotonic()
        proc.wait(timeout=10)
        took = time.monotonic() - asked
    finally:
        code, out, err = finish(proc)
    assert code == (0 if stop == "Escape" else 130), err
    assert took < 3.0, f"{stop} took {took:.1f} s to end the show"
    assert "ended on scene night" in out
    assert "4 control messages ignored (last: OSC: bad datagram: " in out
    assert len(err) < 300, err[:1000]


def test_the_bus_sums_up_what_went_wrong_in_one_line(server):
    assert server.bus.summary() == ""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for _ in range(3):
            raw.sendto(HOSTILE, server.address)
    assert _until_end(server) == []
    server.bus.failed += 1
    assert server.bus.summary() == (f"1 control commands failed, 3 control messages ignored "
                                    f"(last: {osc_packet._ELEMENT})")


# -- the state back to the surfaces -------------------------------------------------

def _heard(sock, timeout=5.0) -> list[tuple[str, list]]:
    from pythonosc.osc_message import OscMessage
    sock.settimeout(timeout)
    out = []
    try:
        while True:
            message = OscMessage(sock.recv(65536))
            out.append((message.address, message.params))
            sock.settimeout(0.3)   # whatever came with it
    except TimeoutError:
        return out


def test_surfaces_that_sent_a_command_hear_the_scene_and_cue_back(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as surface, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        surface.bind(("127.0.0.1", 0))
        stranger.bind(("127.0.0.1", 0))
        server.publish({"scene": "tunnel", "scenes": SCENES, "cue": None})
        surface.sendto(OscMessageBuilder("/scene/next").build().dgram, server.address)
        stranger.sendto(b"not osc", server.address)   # understood nothing: not told
        assert _heard(surface) == [("/visualizer/scene", ["tunnel", 0])]   # at once, when new
        server.publish({"scene": "tunnel", "scenes": SCENES, "cue": None})
        assert _heard(surface, timeout=0.3) == []   # nothing changed: nothing sent
        cue = {"song_index": 1, "index": 2, "song": "Blue in Green", "scene": "eyes"}
        server.publish({"scene": "eyes", "scenes": SCENES, "cue": cue})
        assert _heard(surface) == [("/visualizer/scene", ["eyes", 2]),
                                   ("/visualizer/cue", [1, 2, "Blue in Green", "eyes"])]
        assert _heard(stranger, timeout=0.3) == []
    assert server.bus.drain() == [_osc("next_scene")]
