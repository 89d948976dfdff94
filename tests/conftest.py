"""Shared fixtures: a headless GL renderer, an ALSA file microphone, Xvfb.

Nothing here is mocked: rendering runs on a real EGL context (Mesa's
llvmpipe on CI), capture on a real PortAudio stream reading an ALSA `file`
PCM, windows on a real X server (Xvfb).
"""

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

# A test run started in the background by a script inherits SIGINT ignored,
# and so would every show it starts: the Ctrl-C tests need Ctrl-C as a
# terminal delivers it. (Children get the default: exec resets a handler.)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

SHARED_DATA = ROOT.parent / "shared" / "data"

# PortAudio reads the ALSA configuration once, when it initialises, so the
# test microphone is defined before anything can import PyAudio.
MIC_DIR = Path(tempfile.mkdtemp(prefix="visualizer-test-"))
MIC_RAW = MIC_DIR / "mic.raw"
_ASOUND = MIC_DIR / "asound.conf"
_ASOUND.write_text(f"""</usr/share/alsa/alsa.conf>
pcm.testmic {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{MIC_RAW}"
  format "raw"
}}
""")
os.environ["ALSA_CONFIG_PATH"] = str(_ASOUND)
MIC_RAW.write_bytes(b"")


def tone(freq: float, seconds: float, *, sr: int = 48000, amp: float = 0.5) -> np.ndarray:
    """A sine of ``freq`` Hz, shape (n,), float32."""
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sr: int = 48000) -> Path:
    """Write mono or (n, 2) float samples as 16-bit WAV."""
    from visualizer.audio.demo import write_wav as _write
    _write(path, samples, sr)
    return path


@pytest.fixture(scope="session")
def renderer():
    from visualizer.render.renderer import Renderer
    r = Renderer.headless()
    yield r
    r.release()


@pytest.fixture(scope="session")
def scenes():
    from visualizer.scenes.scene import discover
    return discover()


@pytest.fixture
def mic_file():
    """Write samples (float, mono) as the test microphone's raw input.

    The file plugin hands the file over in whatever sample format the stream
    asks for; MicSource asks for float32, so the file holds float32. It is not
    paced: a live run, whose frames take as long as the machine makes them,
    wants paced_mic.PacedMic (a microphone that keeps real time) instead.
    """
    def _write(samples: np.ndarray) -> None:
        np.asarray(samples, "<f4").tofile(MIC_RAW)
    return _write


@pytest.fixture(scope="session")
def xdisplay():
    """A real X server (Xvfb) with GLX, this session's own; yields its DISPLAY string.

    Xvfb picks a free display number itself (-displayfd) and writes it once it
    accepts connections, however long a busy machine makes that take. Sessions
    started side by side on a shared machine so never end up on one server,
    where one's key presses would reach the other's windows.
    """
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (make test installs it)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24",
                             "+extension", "GLX", "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number, deadline = b"", time.monotonic() + 60
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        if select.select([read], [], [], 1.0)[0]:
            chunk = os.read(read, 16)
            if not chunk:
                break   # Xvfb exited
            number += chunk
    os.close(read)
    if not number.strip().isdigit():
        proc.kill()
        pytest.fail(f"Xvfb did not start (it wrote {number!r} for its display number)")
    display = f":{int(number)}"
    yield display
    proc.terminate()
    proc.wait(timeout=5)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m visualizer ARGS`` as a user would, capturing output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "visualizer", *args], capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=ROOT)


def wait_for_window(display: str, name: str = "^visualizer$", timeout: float = 30.0) -> str:
    """The X window id of the live window once it is up (xdotool), or ''."""
    env = dict(os.environ, DISPLAY=display)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", name], env=env,
                               capture_output=True, text=True)
        if found.stdout.strip():
            return found.stdout.split()[0]
        time.sleep(0.1)
    return ""


def pytest_terminal_summary(terminalreporter):
    """The fuzz suite's tally: cases tried and survived per boundary."""
    from fuzzing import CAMPAIGN, tally
    counts = tally()
    if not counts:
        return
    kind = "campaign" if CAMPAIGN else "bounded pass"
    terminalreporter.section(f"fuzz ({kind}): cases tried / survived per boundary")
    for boundary, (tried, survived) in counts.items():
        terminalreporter.write_line(f"{boundary:24s} {tried:7d} tried {survived:7d} survived")
