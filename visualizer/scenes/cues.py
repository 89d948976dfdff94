"""What to show when: cues (switch to a scene, with a transition) and ramps
(a parameter automated over time), the one model timelines and setlists share."""

from dataclasses import dataclass

QUANTIZE = ("none", "beat", "bar")


@dataclass(frozen=True)
class Cue:
    """Switch to ``scene`` at audio time ``time`` (seconds), with a transition."""

    time: float
    scene: str
    transition: str = ""
    duration: float = 0.0   # seconds; 0 cuts
    beats: float = 0.0      # or a duration in beats (at the tempo when it starts)
    quantize: str = "none"


@dataclass(frozen=True)
class Ramp:
    """Parameter automation: ``scene.param`` goes from ``start_value`` at
    ``start`` s to ``end_value`` at ``end`` s, and holds it after."""

    scene: str
    param: str
    start: float
    end: float
    start_value: float
    end_value: float

    def value(self, t: float) -> float:
        if t <= self.start:
            return self.start_value
        if t >= self.end or self.end <= self.start:
            return self.end_value
        return self.start_value + (self.end_value - self.start_value) * (t - self.start) / (self.end - self.start)
