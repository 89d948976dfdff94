"""OSC datagrams checked before python-osc parses them.

Every datagram the OSC server receives is walked here first
(:func:`check_packet`): sizes within the datagram and multiples of 4, known
type tags, bundles nested at most :data:`MAX_DEPTH` deep, strings at most
:data:`MAX_STRING` bytes. A datagram that fails is one rejection, whatever it
holds, with a constant reason, and costs the server thread microseconds: no
packet can stall the thread (python-osc loops forever on a bundle element of
negative size) or write to stderr (python-osc logs what it does not know:
:func:`quiet_python_osc`).
"""

import logging
import os

import pythonosc
from pythonosc.osc_packet import OscPacket, ParseError

MAX_DEPTH = 8
"""Bundles nested deeper than this are rejected (surfaces send one level)."""
MAX_STRING = 1024
"""Longest OSC string (address or argument) accepted, in bytes with padding:
no command takes longer text, and python-osc reads strings byte by byte."""

# A checked datagram can still hold text that is not UTF-8 (python-osc raises
# UnicodeDecodeError, a ValueError); the rest is defence in depth.
_PARSE_ERRORS = (ParseError, ValueError, IndexError, TypeError, RecursionError)

# Why a datagram was rejected: constant strings, so a flood allocates nothing.
_BAD = "OSC: bad datagram: "
_NOT_OSC = _BAD + "not a message (/...) or a bundle (#bundle)"
_SIZE = _BAD + "size not a multiple of 4"
_ELEMENT = _BAD + "bundle element size out of bounds"
_DEEP = _BAD + f"bundles nested over {MAX_DEPTH} deep"
_STRING = _BAD + "string without its NUL"
_LONG = _BAD + f"string over {MAX_STRING} bytes"
_NO_COMMA = _BAD + "type tags without their ','"
_TAG = _BAD + "unknown type tag (known: i h f d s b r m t T F N [ ])"
_BRACKETS = _BAD + "unbalanced [ ] in the type tags"
_BLOB = _BAD + "blob size out of bounds"
_ARGS = _BAD + "arguments do not fill the message"
_UNPARSED = _BAD + "text that is not UTF-8"

# Fixed argument sizes by type tag byte; "s" and "b" carry their own.
_SIZES = {ord(t): n for t, n in (("i", 4), ("f", 4), ("r", 4), ("m", 4), ("h", 8),
                                 ("d", 8), ("t", 8), ("T", 0), ("F", 0), ("N", 0),
                                 ("[", 0), ("]", 0))}
_S, _B, _OPEN, _CLOSE, _COMMA = ord("s"), ord("b"), ord("["), ord("]"), ord(",")
_BUNDLE = b"#bundle\0"


def read_messages(data: bytes) -> tuple[list | tuple, str]:
    """The messages of the datagram ``data`` (python-osc's ``OscMessage``,
    bundles flattened, time tags not waited for) and "", or no messages and
    why ``data`` is no OSC packet: a constant text, so a flood of bad
    datagrams builds none."""
    why = check_packet(data)
    if why:
        return (), why
    try:
        return [timed.message for timed in OscPacket(data).messages], ""
    except _PARSE_ERRORS:
        return (), _UNPARSED


def check_packet(data: bytes) -> str:
    """Why ``data`` is not an OSC packet python-osc parses safely, or "".

    Walks the datagram without copying it: every size within the datagram
    and a multiple of 4, type tags python-osc knows, bundles at most
    :data:`MAX_DEPTH` deep. The text of the reason is a constant.
    """
    if not data or len(data) % 4:
        return _SIZE
    return _check(data, 0, len(data), 0)


def _check(data: bytes, start: int, end: int, depth: int) -> str:
    """Check the packet in ``data[start:end]`` (both multiples of 4)."""
    if data.startswith(b"/", start, end):
        return _check_message(data, start, end)
    if not data.startswith(_BUNDLE, start, end):
        return _NOT_OSC
    if depth >= MAX_DEPTH:
        return _DEEP
    i = start + 16                      # "#bundle\0" and the time tag
    if i > end:
        return _ELEMENT
    while i < end:                      # end - i is a multiple of 4: a size fits
        size = int.from_bytes(data[i:i + 4], "big", signed=True)
        i += 4
        if size <= 0 or size % 4 or size > end - i:
            return _ELEMENT
        why = _check(data, i, i + size, depth + 1)
        if why:
            return why
        i += size
    return ""


def _string_end(data: bytes, start: int, end: int) -> int:
    """Where the padded OSC string at ``start`` ends; -1 without a NUL, -2 too long."""
    nul = data.find(0, start, min(end, start + MAX_STRING))
    if nul < 0:
        return -1 if end - start <= MAX_STRING else -2
    return nul - nul % 4 + 4            # start is a multiple of 4, and so is end


def _check_message(data: bytes, start: int, end: int) -> str:
    i = _string_end(data, start, end)
    if i < 0:
        return _STRING if i == -1 else _LONG
    if i == end:
        return ""                       # an address alone: no arguments
    if data[i] != _COMMA:
        return _NO_COMMA
    tags = i + 1
    i = _string_end(data, i, end)
    if i < 0:
        return _STRING if i == -1 else _LONG
    arrays = 0
    for tag in data[tags:data.index(0, tags)]:
        size = _SIZES.get(tag)
        if size is not None:
            i += size
            if tag == _OPEN:
                arrays += 1
                if arrays > MAX_DEPTH:
                    return _BRACKETS
            elif tag == _CLOSE:
                arrays -= 1
                if arrays < 0:
                    return _BRACKETS
        elif tag == _S:
            if i >= end:
                return _STRING
            i = _string_end(data, i, end)
            if i < 0:
                return _STRING if i == -1 else _LONG
        elif tag == _B:
            if i >= end:
                return _BLOB
            size = int.from_bytes(data[i:i + 4], "big", signed=True)
            i += 4
            if size < 0 or size > end - i:
                return _BLOB
            i += size + (-size % 4)
        else:
            return _TAG
        if i > end:
            return _ARGS
    if arrays:
        return _BRACKETS
    return "" if i == end else _ARGS


class _QuietPythonOsc(logging.Filter):
    """Drops python-osc's log records. It logs through the root logger
    (``logging.warning``, so no logger of its own can be silenced) for
    bundle elements and type tags it does not know: one line on stderr per
    bad datagram. check_packet() keeps such datagrams from it; this makes
    sure of it."""

    def __init__(self):
        super().__init__()
        self.folder = os.path.dirname(pythonosc.__file__) + os.sep

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(self.folder)


def quiet_python_osc() -> None:
    """Install the filter on the root logger once per process."""
    root = logging.getLogger()
    if not any(isinstance(f, _QuietPythonOsc) for f in root.filters):
        root.addFilter(_QuietPythonOsc())

