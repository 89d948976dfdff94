"""Fuzz: the --stream URL, a door to the outside world. Generated URLs (any
scheme, user names and passwords, keys, queries, fragments, control
characters, unicode, garbage ports) through :func:`redact` and
:func:`check_url`, and opened for real by a StreamSink when they point at
127.0.0.1 (nothing generated here is ever sent anywhere else).

Properties: ``redact`` never raises and gives one printable line without
the secret; ``check_url`` gives a container or one line of OutputError
without the secret; opening gives a working sink (closed again) or one line
of OutputError without the secret, never another exception.
"""

import socket
import string
from urllib.parse import urlsplit

import pytest
from fuzzing import Case, budget
from hypothesis import given
from hypothesis import strategies as st
from stream_rig import free_port

from visualizer.errors import OutputError
from visualizer.output.stream import FORMATS, StreamSink, check_url, redact

pytestmark = pytest.mark.fuzz

_SAFE = string.ascii_letters + string.digits + "-_."
_secret = st.text(_SAFE, min_size=6, max_size=24).map(lambda s: "Zq9" + s)
_junk = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_schemes = st.sampled_from(["rtmp", "rtmps", "udp", "RTMP", "Udp", "srt", "http", "file", "",
                            "rtmp:", "udp:/"])
_hosts = st.sampled_from(["127.0.0.1", "localhost", "", "[::1]", "[::1", "host name", "a" * 300])


@st.composite
def urls(draw, host=None):
    """(url, secret): a URL with ``secret`` in the places a key hides. With
    ``host`` given, no junk: the host stays that one host."""
    secret = draw(_secret)
    scheme = draw(_schemes)
    host = host or draw(_hosts)
    port = draw(st.sampled_from(["", ":1935", ":0", ":99999", ":x", ":", f":{free_port()}"]))
    user = draw(st.sampled_from(["", f"{secret}@", f"dj:{secret}@", f":{secret}@"]))
    path = draw(st.sampled_from(["", "/", "/live", f"/live/{secret}", f"/a/b/{secret}/c",
                                 f"//{secret}"]))
    query = draw(st.sampled_from(["", f"?key={secret}", f"?{secret}", "?pkt_size=1316", "?"]))
    fragment = draw(st.sampled_from(["", f"#{secret}"]))
    junk = draw(_junk) if host is None and draw(st.booleans()) else ""
    sep = draw(st.sampled_from(["://", "://", ":/", ""]))
    url = f"{scheme}{sep}{user}{host}{port}{path}{junk}{query}{fragment}"
    return url, (secret if secret in url else None)


def _clean(text: str, secret: str | None) -> None:
    assert "\n" not in text and "\r" not in text
    if secret is not None:
        assert secret not in text, text


@budget(300)
@given(case=urls(), raw=st.text(max_size=60))
def test_redact_and_check_url_never_show_a_secret(case, raw):
    url, secret = case
    with Case("stream-url"):
        for text in (url, raw):
            shown = redact(text)
            assert shown.isprintable(), shown
            _clean(shown, secret if text is url else None)
            try:
                assert check_url(text) in FORMATS.values()
            except OutputError as e:
                _clean(str(e), secret if text is url else None)


@budget(25, campaign=400)
@given(case=urls(host="127.0.0.1"))
def test_opening_a_generated_url_is_a_sink_or_one_line(case):
    url, secret = case
    try:
        loopback = urlsplit(url).hostname == "127.0.0.1"
    except ValueError:
        loopback = False
    with Case("stream-open"):
        if not loopback:   # never opened: it could name another machine
            with pytest.raises(OutputError) as e:
                check_url(url)
            _clean(str(e.value), secret)
            return
        try:
            sink = StreamSink(url, (64, 36), timeout=1.0)
        except OutputError as e:
            _clean(str(e), secret)
            return
        sink.close()   # it opened: UDP to 127.0.0.1, sent to nobody


def test_a_refused_port_is_one_line():
    url = f"rtmp://127.0.0.1:{free_port(socket.SOCK_STREAM)}/live/Zq9key"
    with pytest.raises(OutputError) as e:
        StreamSink(url, (64, 36))
    _clean(str(e.value), "Zq9key")
