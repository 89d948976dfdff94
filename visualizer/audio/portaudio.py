"""PyAudio set-up: one quiet PortAudio instance, and device look-up.

ALSA and JACK print pages of "Unknown PCM cards..." and "cannot connect to
server" when PortAudio enumerates devices on a machine without them. Their
error handlers are replaced before PortAudio initialises; the program's own
errors are still reported through DeviceError.
"""

import ctypes
import ctypes.util
import os
from dataclasses import dataclass

from visualizer.errors import DeviceError

_ALSA_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                 ctypes.c_int, ctypes.c_char_p)
_JACK_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
_keep_alive: list = []  # ctypes callbacks must outlive the libraries' use of them


def silence_native_logs() -> None:
    """Silence ALSA's and JACK's stderr spew (idempotent). Call it before
    anything opens ALSA or JACK: PortAudio here, rtmidi in live/midi.py."""
    if _keep_alive:
        return
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    alsa_handler = _ALSA_HANDLER(lambda *args: None)
    jack_handler = _JACK_HANDLER(lambda msg: None)
    _keep_alive.extend([alsa_handler, jack_handler])
    for name, setter, handler in (("asound", "snd_lib_error_set_handler", alsa_handler),
                                  ("jack", "jack_set_error_function", jack_handler),
                                  ("jack", "jack_set_info_function", jack_handler)):
        path = ctypes.util.find_library(name)
        if not path:
            continue
        try:
            getattr(ctypes.CDLL(path), setter)(handler)
        except (OSError, AttributeError):
            pass  # an old library without the hook: the spew is cosmetic


_instance = None


def portaudio():
    """The process's one PyAudio instance, created quietly on first use."""
    global _instance
    if _instance is None:
        silence_native_logs()
        import pyaudio  # deferred: importing the package must not start PortAudio
        _instance = pyaudio.PyAudio()
    return _instance


@dataclass(frozen=True)
class Device:
    """An audio device as PortAudio lists it."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    host_api: str


def list_devices() -> list[Device]:
    """Every device PortAudio knows, inputs and outputs."""
    pa = portaudio()
    out = []
    for i in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(i)
        api = pa.get_host_api_info_by_index(info["hostApi"])["name"]
        out.append(Device(i, info["name"], int(info["maxInputChannels"]),
                          int(info["maxOutputChannels"]), float(info["defaultSampleRate"]), api))
    return out


def find_input(spec: str | int | None) -> Device:
    """The input device named by index, by part of its name, or the default."""
    return _find(spec, "input")


def find_output(spec: str | int | None) -> Device:
    """The output device named by index, by part of its name, or the default."""
    return _find(spec, "output")


def _find(spec: str | int | None, kind: str) -> Device:
    devices = list_devices()
    inputs = [d for d in devices if (d.inputs if kind == "input" else d.outputs) > 0]
    if spec is None:
        try:
            info = (portaudio().get_default_input_device_info() if kind == "input"
                    else portaudio().get_default_output_device_info())
        except (IOError, OSError):
            raise DeviceError(f"no default audio {kind} device (see `visualizer devices`)") from None
        return next(d for d in devices if d.index == info["index"])
    text = str(spec).strip()
    if text.isdigit():
        for d in inputs:
            if d.index == int(text):
                return d
        raise DeviceError(f"audio {kind} device {text}: no {kind} device has that index "
                          f"({kind}s: {_names(inputs)})")
    matches = [d for d in inputs if text.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == text.lower()]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DeviceError(f"audio {kind} device '{text}': not found ({kind}s: {_names(inputs)})")
    raise DeviceError(f"audio {kind} device '{text}': ambiguous, matches {_names(matches)}")


def _names(devices: list[Device]) -> str:
    return ", ".join(f"{d.index} '{d.name}'" for d in devices) or "none"
