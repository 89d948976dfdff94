"""The engine: samples in, one picture out, the same for live and offline.

Each step the engine analyses the samples that arrived since the last step
and draws the current scene for the frame's timing into a target. Who
supplies the samples and the timing (a microphone and the wall clock, or a
file and the frame clock) and where the picture goes is the caller's business.
"""

from dataclasses import dataclass

import moderngl
import numpy as np

from visualizer.analysis.analyzer import Analyzer, AnalyzerSettings
from visualizer.analysis.features import FeatureFrame
from visualizer.errors import SceneError
from visualizer.render.renderer import FrameTiming, Renderer
from visualizer.scene import Scene


@dataclass(frozen=True)
class Cue:
    """Switch to ``scene`` at audio time ``time`` (seconds)."""

    time: float
    scene: str


class Engine:
    """Analyzer + scenes + renderer, driven one frame at a time."""

    def __init__(self, renderer: Renderer, scenes: list[Scene], *, scene: str,
                 analyzer: Analyzer | None = None):
        self.renderer = renderer
        self.scenes = scenes
        self.analyzer = analyzer or Analyzer(AnalyzerSettings(sample_rate=renderer.sample_rate))
        for s in scenes:
            renderer.compile(s)
        self.current = ""
        self.select(scene)

    @property
    def keys(self) -> list[str]:
        """Scene keys in order (keys 1-9 pick from this list)."""
        return [s.key for s in self.scenes]

    def select(self, key: str) -> None:
        """Make ``key`` the scene that is drawn."""
        if key not in self.renderer.scenes:
            known = ", ".join(self.keys)
            raise SceneError(f"unknown scene '{key}' (known: {known})")
        self.current = key

    def step(self, samples: np.ndarray, timing: FrameTiming, target: moderngl.Framebuffer,
             *, capture_time: float = float("nan"),
             size: tuple[int, int] | None = None,
             values: np.ndarray | None = None) -> FeatureFrame:
        """Analyse ``samples`` (mono, new since the last step) and draw one frame.

        ``values`` replaces the scalar features (offline: the zero-lag
        FeatureTrack's row for this frame's time).
        """
        frame = self.analyzer.process(samples, capture_time)
        if values is not None:
            frame.values[:] = values
        self.renderer.draw(self.current, frame, timing, target, size)
        return frame
