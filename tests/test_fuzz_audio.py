"""Fuzz: audio files at every command that reads one.

Generated WAV files in every sample format (8/16/24/32-bit integer, 32/64-bit
float), at rates from 8 kHz to 384 kHz and a few no audio has, with 1 to 8
channels, holding a tone, silence, DC, full-scale square waves, NaN, inf,
absurd magnitudes or random bytes, and then damaged: truncated anywhere,
a header that claims more or less than the file holds, zero-length, junk
after the data. Besides WAV: an empty file, random bytes, a RIFF header over
garbage, and an MP4 with only video. They go through the real command line
in-process (``cli.main``, which is what ``visualizer`` runs): ``analyze``
for most cases, being cheapest, and ``render``, ``snapshot`` and ``sheet``
for a handful.

Property: the command exits 0 or 2 within a time bound, with no traceback
and at most two ``visualizer:`` lines on stderr (a repair notice and an
error); exit 2 is one ``visualizer: error:`` line and leaves no output file;
exit 0 leaves a file that decodes.
"""

import csv
import time

import av
import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzzing import Case, budget
from visualizer import cli
from wavfile import FORMATS, wav_bytes

pytestmark = pytest.mark.fuzz

RATES = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000, 384000]
ODD_RATES = [0, 1, 999, 1000, 12345, 400000, 1_000_000]  # no audio has these; headers may say so
CONTENTS = ("tone", "silence", "dc", "full-scale", "nan", "inf", "huge", "random-bytes")
DAMAGE = ("none", "truncated", "claims-more", "claims-less", "zero-length", "junk-after")
TIME_LIMIT_S = 30.0   # per command, on a busy CI machine; a good case takes well under 1 s


@st.composite
def wav_cases(draw, *, max_frames: int = 12000):
    """(bytes of a WAV file, a short description for failures).

    Hypothesis draws only a seed; the file's parameters come from it with
    weights chosen so that most cases are files a user could have (a common
    rate, a few seconds or less, undamaged or one kind of damage) and the
    rest are absurd. Drawn directly, Hypothesis's integers favour 0 and 1,
    and a bounded pass would be mostly empty files.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**63 - 1)))
    fmt = str(rng.choice(sorted(FORMATS)))
    rate = int(rng.choice(RATES)) if rng.random() < 0.85 else int(rng.choice(ODD_RATES))
    channels = int(rng.integers(1, 9))
    n = (int(rng.choice([0, 1, 2, 255, 256, 257])) if rng.random() < 0.15
         else int(rng.integers(max_frames // 8, max_frames + 1)))
    content = str(rng.choice(CONTENTS))
    damage = "none" if rng.random() < 0.4 else str(rng.choice(DAMAGE[1:]))
    x = _content(content, n, channels, max(rate, 1), rng)
    data = None
    if content == "random-bytes":
        data = rng.integers(0, 256, n * channels * FORMATS[fmt][1] // 8, dtype=np.uint8).tobytes()
    raw = wav_bytes(x, rate=rate, fmt=fmt, data=data)
    where = rng.random()
    if damage == "truncated":
        raw = raw[:int(len(raw) * where)]
    elif damage == "claims-more":
        raw = wav_bytes(x, rate=rate, fmt=fmt, data=data, declared=int(len(raw) * (1 + 9 * where)))
    elif damage == "claims-less":
        raw = wav_bytes(x, rate=rate, fmt=fmt, data=data, declared=int(len(raw) * where))
    elif damage == "zero-length":
        raw = wav_bytes(x[:0], rate=rate, fmt=fmt)
    elif damage == "junk-after":
        raw += rng.integers(0, 256, int(4096 * where), dtype=np.uint8).tobytes()
    return raw, f"{fmt} {rate} Hz {channels} ch {n} frames {content} {damage}"


def _content(kind: str, n: int, channels: int, rate: int, rng) -> np.ndarray:
    t = np.arange(n)[:, None] / rate
    x = np.zeros((n, channels))
    if kind == "tone":
        x = 0.5 * np.sin(2 * np.pi * 440 * t * (1 + np.arange(channels)))
    elif kind == "dc":
        x += 0.7
    elif kind == "full-scale":
        x = np.sign(np.sin(2 * np.pi * 100 * t + np.arange(channels)))
    elif kind in ("nan", "inf", "huge"):
        x = 0.5 * np.sin(2 * np.pi * 220 * t) + np.zeros(channels)
        bad = {"nan": np.nan, "inf": np.inf, "huge": 1e30}[kind]
        x[rng.random(x.shape) < 0.05] = bad
        if kind == "inf":
            x[rng.random(x.shape) < 0.05] = -np.inf
    return x


def video_only_mp4(path) -> None:
    """An MP4 with three frames of video and no audio stream."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8),
                                                      format="rgb24")))
        c.mux(s.encode(None))


def run_main(capsys, *argv: str):
    """``visualizer ARGV`` in this process: (exit status, stderr, seconds)."""
    capsys.readouterr()
    t0 = time.monotonic()
    try:
        code = cli.main(list(argv))
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err, time.monotonic() - t0


def assert_survived(code, err: str, seconds: float, output, what: str) -> None:
    """The property every case must hold; ``output`` is the file the command writes."""
    assert code in (0, 2), f"{what}: exit {code}\n{err}"
    assert "Traceback" not in err, f"{what}\n{err}"
    said = [line for line in err.splitlines() if line.startswith("visualizer")]
    assert len(said) <= 2, f"{what}\n{err}"
    assert seconds < TIME_LIMIT_S, f"{what}: took {seconds:.1f} s"
    if code == 2:
        assert said and said[-1].startswith("visualizer: error: "), f"{what}\n{err}"
        assert sum(line.startswith("visualizer: error:") for line in said) == 1, f"{what}\n{err}"
        assert not output.exists(), f"{what}: exit 2 left {output}"


def assert_csv(path, what: str) -> None:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) >= 2 and rows[0][0] == "time_s", what
    assert all(len(r) == len(rows[0]) for r in rows), what
    assert np.isfinite(np.array(rows[1:], float)).all(), what


def assert_video(path, what: str) -> None:
    with av.open(str(path)) as c:
        assert c.streams.audio, f"{what}: no audio stream"
        frames = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        audio = [f.to_ndarray() for f in c.decode(audio=0)]
    assert frames >= 1, what
    assert audio and np.isfinite(np.concatenate(audio, axis=1)).all(), what


def assert_png(path, size: tuple[int, int], what: str) -> None:
    with av.open(str(path)) as c:
        picture = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert picture.shape[1] >= size[0] and picture.shape[0] >= size[1], what


def _fresh(tmp_path, name: str):
    path = tmp_path / name
    path.unlink(missing_ok=True)
    return path


@budget(80)
@given(case=wav_cases())
def test_analyze_survives_any_wav(case, tmp_path, capsys):
    raw, what = case
    song = _fresh(tmp_path, "fuzz.wav")
    song.write_bytes(raw)
    out = _fresh(tmp_path, "features.csv")
    with Case("audio-file"):
        code, err, seconds = run_main(capsys, "analyze", str(song), "-o", str(out))
        assert_survived(code, err, seconds, out, what)
        if code == 0:
            assert_csv(out, what)


@budget(5)
@given(case=wav_cases(max_frames=6000))
def test_render_survives_generated_wavs(case, tmp_path, capsys):
    raw, what = case
    song = _fresh(tmp_path, "fuzz.wav")
    song.write_bytes(raw)
    out = _fresh(tmp_path, "out.mp4")
    with Case("audio-file"):
        code, err, seconds = run_main(capsys, "render", str(song), "-o", str(out),
                                      "--size", "64x36", "--fps", "24", "--duration", "0.25")
        assert_survived(code, err, seconds, out, what)
        if code == 0:
            assert_video(out, what)


@budget(4)
@given(case=wav_cases(max_frames=6000), sheet=st.booleans())
def test_stills_survive_generated_wavs(case, sheet, tmp_path, capsys):
    raw, what = case
    song = _fresh(tmp_path, "fuzz.wav")
    song.write_bytes(raw)
    out = _fresh(tmp_path, "still.png")
    args = (["sheet", "--times", "0.01"] if sheet else ["snapshot", "--at", "0.01"])
    with Case("audio-file"):
        code, err, seconds = run_main(capsys, args[0], str(song), *args[1:], "-o", str(out),
                                      "--size", "64x36")
        assert_survived(code, err, seconds, out, f"{args[0]}: {what}")
        if code == 0:
            assert_png(out, (64, 36), what)


def _not_wav(kind: str, path) -> None:
    rng = np.random.default_rng(7)
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random-bytes":
        path.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    elif kind == "riff-over-garbage":
        path.write_bytes(b"RIFF\xff\xff\xff\x7fWAVEfmt " + rng.integers(0, 256, 3000,
                                                                           dtype=np.uint8).tobytes())
    elif kind == "header-only":
        path.write_bytes(wav_bytes(np.zeros((0, 2)), rate=48000, fmt="s16")[:44])
    elif kind == "streaming-size":   # a data size of 0xFFFFFFFF: "until the end"
        path.write_bytes(wav_bytes(0.3 * np.ones((4800, 2)), rate=48000, fmt="s16",
                                   declared=0xFFFFFFFF))
    elif kind == "video-only":
        video_only_mp4(path)
    elif kind == "text":
        path.write_text("a setlist, not a song\n" * 50)


@pytest.mark.parametrize("kind", ["empty", "random-bytes", "riff-over-garbage", "header-only",
                                  "streaming-size", "video-only", "text"])
@pytest.mark.parametrize("command", ["analyze", "render", "snapshot"])
def test_files_that_are_not_quite_audio(kind, command, tmp_path, capsys):
    song = tmp_path / ("fuzz.mp4" if kind == "video-only" else "fuzz.wav")
    _not_wav(kind, song)
    out = tmp_path / {"analyze": "f.csv", "render": "o.mp4", "snapshot": "o.png"}[command]
    args = {"analyze": [], "render": ["--size", "64x36", "--duration", "0.2"],
            "snapshot": ["--at", "0", "--size", "64x36"]}[command]
    with Case("audio-file"):
        code, err, seconds = run_main(capsys, command, str(song), "-o", str(out), *args)
        assert_survived(code, err, seconds, out, f"{command} {kind}")
        if code == 0:
            {"analyze": lambda: assert_csv(out, kind), "render": lambda: assert_video(out, kind),
             "snapshot": lambda: assert_png(out, (64, 36), kind)}[command]()
    if kind in ("empty", "random-bytes", "video-only", "text"):
        assert code == 2
