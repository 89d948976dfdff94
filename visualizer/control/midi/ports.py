"""MIDI ports through mido and python-rtmidi: the backend, the input names,
and the one-line errors for a port that cannot open or a machine with no
MIDI system at all (shared by the MIDI input and the notes' MIDI output)."""

from visualizer.errors import ControlError

VIRTUAL = "virtual"
"""The port name that asks for a port of our own, for a DAW or another
program to connect to, instead of an existing one."""


def backend():
    """mido's rtmidi backend, with ALSA's own complaints silenced; ControlError
    if python-rtmidi is not installed."""
    import mido

    from visualizer.audio.portaudio import silence_native_logs
    # ALSA prints its own "ALSA lib seq_hw.c ... failed" before our one-line
    # error when there is no sequencer: silence it before rtmidi opens ALSA.
    silence_native_logs()
    try:
        return mido.Backend("mido.backends.rtmidi", load=True)
    except ImportError as e:
        raise ControlError(f"MIDI: python-rtmidi is not installed ({e})") from None


def list_ports() -> list[str]:
    """The names of the MIDI inputs; ControlError if there is no MIDI system."""
    try:
        return backend().get_input_names()
    except (OSError, NotImplementedError) as e:
        raise _no_system(e) from None


def port_error(e: Exception, port: str) -> ControlError:
    """The one-line error for ``port`` (``MIDI input 'X'``) that could not
    open with ``e``: no MIDI system at all, or this port's own trouble."""
    import rtmidi
    if isinstance(e, rtmidi.SystemError):    # rtmidi could not start its MIDI API
        return _no_system(e)
    return ControlError(f"{port}: cannot open: {e}")


def _no_system(e: Exception) -> ControlError:
    text = str(e) or type(e).__name__
    why = f"ALSA sequencer unavailable: {text}" if "alsa" in text.lower() else text
    return ControlError(f"MIDI: no MIDI system ({why})")
