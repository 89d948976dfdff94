"""One small hierarchy of user-facing errors.

Every error a user can cause (a bad file, an unknown scene, a missing device)
is a :class:`VisualizerError`. The command line prints ``str(error)`` as one
line and exits with status 2; anything else is a bug and keeps its traceback.
"""


class VisualizerError(Exception):
    """Base class: the message names the thing and what is wrong with it."""


class AudioFileError(VisualizerError):
    """An audio file is missing, unreadable or not decodable."""


class DeviceError(VisualizerError):
    """An audio device does not exist or cannot be opened."""


class SceneError(VisualizerError):
    """A scene file is missing, malformed or names something unknown."""


class ShaderError(VisualizerError):
    """A shader does not compile or link; the message gives file:line."""

    def __init__(self, message: str, *, path: str = "", line: int = 0):
        super().__init__(message)
        self.path = path
        self.line = line


class OutputError(VisualizerError):
    """An output (video file, window) cannot be written or opened."""


class ControlError(VisualizerError):
    """A control file (MIDI map, setlist) or control address is malformed."""
