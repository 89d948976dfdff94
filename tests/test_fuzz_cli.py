"""Fuzz: the command line. Generated argv (every subcommand, its own flags
with garbage values, unknown flags, unicode, empty strings, huge, negative
and not-a-number values) through ``cli.main`` in this process.

Property: exit status 0 or 2, never an exception (a traceback), and a
mistake is exactly one line on stderr, naming the problem.

Nothing here may open a window, a sound device or a MIDI port, or render:
``live``, ``latency`` and ``devices`` always get one flag nobody knows, so
they stop at the parser; the commands that read audio get a file that does
not exist (and never ``--demo``), so they stop at the file.
"""

import argparse

import numpy as np
import pytest
from hypothesis import given, strategies as st

from conftest import tone, write_wav
from fuzzing import Case, budget
from visualizer import cli

pytestmark = pytest.mark.fuzz


def _flags() -> dict[str, list[tuple[str, bool]]]:
    """{command: [(option string, takes a value)]}, read from the real parser
    (argparse keeps its actions in private attributes; the test follows the
    parser as flags are added rather than a copy of the list)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [(opt, action.nargs != 0) for action in p._actions
                   for opt in action.option_strings]
            for name, p in sub.choices.items()}


FLAGS = _flags()
PARSE_ONLY = {"live", "latency", "devices"}       # would open windows or devices
READS_AUDIO = {"render", "analyze", "snapshot", "sheet"}
UNKNOWN = "--no-such-flag"

GARBAGE = [
    "0", "-1", "1", "24", "64x36", "1280x720", "16x16", "0x0", "-64x36", "64x-36", "64X36",
    "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e-400", "9" * 5000, "9" * 5000 + "x9",
    "0x10", "1_000", " 7 ", "3,8.5,12", ",", "1,,2", "nan,inf", "١٢", "١٢x٣٤", "½", "4294967296",
    "18446744073709551617", "-0", "+5", "1.5", "2e3", "127.0.0.1:9001", ":", "host:99999",
    "", "-", "--", "-h", "🎷", "é", "a\nb", "\t", "'", '"', "vortex", "none", "h264", "-o",
    "glow", "trails", "storm", "wind=2", "steppe/wind=2.5", "fx/glow/amount=1", "fx/glow=1",
    "=", "wind=", "=1", "steppe/wind=nan", "fx//=", "a/b/c/d=1",
]
UNKNOWN_FLAGS = [UNKNOWN, "-z", "---", "--=", "--size-x", "-o=", "--SIZE", "--fps=", "--s"]
COMMANDS = sorted(FLAGS) + ["", "renderr", "-x", "--version", "RENDER"]

# Real argv holds no NUL and no lone surrogate halves (Python decodes bytes
# that are not UTF-8 to those; pytest's capture cannot print them).
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)


@st.composite
def argvs(draw):
    """(argv, command) for one run of the command line.

    Hypothesis draws a seed and some text; the seed builds the argv. (Drawn
    directly, Hypothesis's choices favour the first of every list, and a
    bounded pass would try one command over and over.)
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**63 - 1)))
    texts = draw(st.lists(_text, min_size=4, max_size=4))

    def value() -> str:
        return texts[rng.integers(len(texts))] if rng.random() < 0.3 else str(rng.choice(GARBAGE))

    command = str(rng.choice(COMMANDS)) if rng.random() < 0.1 else str(rng.choice(sorted(FLAGS)))
    known = [f for f in FLAGS.get(command, []) if f[0] != "--demo"]
    argv = [command] if command else []
    for _ in range(rng.integers(0, 7)):
        kind = rng.choice(["known"] * 6 + ["value", "unknown"])
        if kind == "known" and known:
            flag, takes = known[rng.integers(len(known))]
            if flag in ("-h", "--help") and rng.random() < 0.8:
                continue   # help is one case, not a fifth of them
            argv.append(flag)
            if takes and rng.random() < 0.9:   # sometimes the value is missing
                if flag.startswith("--") and rng.random() < 0.3:
                    argv[-1] = f"{flag}={value()}"
                else:
                    argv.append(value())
        elif kind == "unknown":
            argv.append(str(rng.choice(UNKNOWN_FLAGS)))
        else:
            argv.append(value())
    if command in PARSE_ONLY:
        argv.insert(int(rng.integers(1, len(argv) + 1)), UNKNOWN)
    if command in READS_AUDIO:
        argv.insert(1, "missing/song.wav")   # never a real file: never a real render
    return argv, command


@budget(150)
@given(case=argvs())
def test_any_command_line_exits_0_or_2_with_one_line(case, tmp_path, monkeypatch, capsys):
    argv, command = case
    monkeypatch.chdir(tmp_path)   # a relative name lands in an empty folder
    monkeypatch.delenv("DISPLAY", raising=False)
    capsys.readouterr()
    with Case("command-line"):
        try:
            code = cli.main(argv)
        except SystemExit as e:   # the parser exits; --help exits 0
            code = e.code
        out, err = capsys.readouterr()
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err, (argv, err)
        if code == 2:
            lines = err.splitlines()
            assert len(lines) == 1, (argv, err)
            assert lines[0].startswith("visualizer") and ": error: " in lines[0], (argv, err)
        if command in PARSE_ONLY:
            assert code == 2 or "usage:" in out, (argv, out, err)
    assert not any(tmp_path.iterdir()), argv   # nothing was written


@pytest.mark.parametrize("argv, words", [
    (["render", "x.wav", "-o", "o.mp4", "--size", "banana"],
     "visualizer render: error: argument --size: 'banana' is not a size like 1280x720 "
     "(see visualizer render --help)"),
    (["render", "x.wav", "-o", "o.mp4", "--fps", "0"],
     "visualizer render: error: argument --fps: fps 0 is outside 24..120"),
    (["render", "x.wav", "-o", "o.mp4", "--size", "a\nb"], "'a b' is not a size"),
    (["live", "--rate", "0"], "visualizer live: error: argument --rate: --rate 0 is outside"),
    (["live", "--buffer", "-5"], "argument --buffer: --buffer -5 is outside"),
    (["latency", "--frames", "-1"], "argument --frames: --frames -1 is outside"),
    (["live", "--channel", "0"], "argument --channel: channel 0 is outside 1..64"),
    (["analyze", "x.wav", "--rate", "0"], "argument --rate: --rate 0 is outside 0.1..1000"),
    (["analyze", "x.wav", "--rate", "nan"], "argument --rate: --rate nan is outside"),
    (["bogus"], "visualizer: error: argument command: invalid choice: 'bogus'"),
    ([], "visualizer: error: the following arguments are required: command"),
])
def test_flag_mistakes_are_one_line(argv, words, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.count("\n") == 1 and words in err and err.rstrip().endswith("--help)"), err


def test_a_name_with_a_line_break_is_still_one_line(tmp_path, capsys):
    assert cli.main(["analyze", str(tmp_path / "two\nlines.wav")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "two\\nlines.wav: audio file not found" in err, err


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path, capsys):
    long = "a" * 300
    assert cli.main(["analyze", str(tmp_path / f"{long}.wav")]) == 2
    assert "File name too long" in capsys.readouterr().err
    song = write_wav(tmp_path / "s.wav", tone(440, 0.2))
    assert cli.main(["render", str(song), "-o", str(tmp_path / f"{long}.mp4"),
                     "--size", "64x36"]) == 2
    err = capsys.readouterr().err
    assert err.count("visualizer:") == 1 and "cannot write video (File name too long)" in err


@budget(150)
@given(address=st.one_of(_text, st.sampled_from(GARBAGE), st.builds(
    lambda h, p: f"{h}:{p}", st.sampled_from(["127.0.0.1", "[::1]", "localhost", "", "::1"]),
    st.integers(-5, 70000))))
def test_any_cluster_address_is_one_line_or_a_loopback_head(address, monkeypatch):
    """`render --cluster ADDRESS`: checked before Ray retries for minutes.
    Name lookups are refused here (a test sends nothing off this machine):
    a name then fails in one line, as an unknown host would."""
    import socket

    from visualizer.engine.cluster import _reachable
    from visualizer.errors import VisualizerError

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    with Case("cluster-address"):
        try:
            _reachable(address)
        except VisualizerError as e:
            text = str(e)
            assert "\n" not in text and text.startswith("--cluster "), text
