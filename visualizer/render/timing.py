"""When a frame is drawn."""

from dataclasses import dataclass


@dataclass
class FrameTiming:
    """When a frame is drawn: filled by the engine from its clock."""

    time: float = 0.0
    delta: float = 0.0
    frame: int = 0
    fps: float = 60.0
    date: tuple[float, float, float, float] = (2000.0, 0.0, 1.0, 0.0)
    mouse: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
