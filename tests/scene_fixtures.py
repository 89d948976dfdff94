"""Shared by the scene tests and scripts/update_references.py: one fixed,
musical frame to render every scene with."""

from pathlib import Path

import numpy as np

from visualizer.analysis.features import FEATURE_INDEX as C, FeatureFrame
from visualizer.render.renderer import Renderer
from visualizer.render.timing import FrameTiming
from visualizer.scenes.state import SceneState

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
REFERENCE_SIZE = (160, 90)

# A feature's "on" value, for features whose unit is not 0..1.
ON_VALUES = {"level_db": -12.0, "onset_count": 40.0, "tempo": 160.0, "beat_count": 33.0,
             "pitch": 523.0, "note": 72.0, "cents": 30.0, "tuning": 20.0,
             "vibrato_rate": 6.0, "vibrato_depth": 40.0, "loudness_momentary": -10.0,
             "loudness_short": -12.0, "beat_phase": 0.5, "bar_phase": 0.5}
OFF_VALUES = {"level_db": -60.0, "tempo": 90.0, "pitch": 0.0, "note": 50.0,
              "loudness_momentary": -40.0, "loudness_short": -40.0}


def musical_frame() -> FeatureFrame:
    """A mid-song frame: playing, on a beat, a held note with vibrato."""
    f = FeatureFrame()
    values = {"level": 0.7, "bass": 0.6, "mid": 0.6, "high": 0.4, "level_db": -18.0,
              "onset": 0.5, "onset_count": 20.0, "beat": 0.6, "beat_phase": 0.15,
              "bar_phase": 0.3, "tempo": 120.0, "beat_count": 17.0, "pitch": 330.0,
              "pitch_confidence": 0.9, "voiced": 1.0, "note": 64.0, "cents": 5.0,
              "tuning": 10.0, "vibrato_rate": 5.5, "vibrato_depth": 20.0, "brightness": 0.5,
              "breath": 0.3, "loudness_momentary": -20.0, "loudness_short": -21.0,
              "dynamics": 0.6, "intensity": 0.6, "climax": 0.0}
    for name, v in values.items():
        f.values[C[name]] = v
    f.bands[:] = np.linspace(0.9, 0.2, 48)
    f.texture[0] = np.linspace(0.85, 0.1, 512)
    f.texture[1] = 0.5 + 0.2 * np.sin(np.linspace(0, 12 * np.pi, 512))
    return f


def render_with(renderer: Renderer, scene, frame: FeatureFrame, size=REFERENCE_SIZE,
                time: float = 12.5) -> np.ndarray:
    """One frame of ``scene`` with its bindings settled on ``frame``."""
    state = SceneState(scene)
    params = state.update(frame, 60.0)  # a long step: every binding has settled
    target = renderer.offscreen(size)
    renderer.draw(scene.key, frame, FrameTiming(time=time, fps=30, delta=1 / 30), target.fbo,
                  params=params)
    return target.read().copy()


def reference_render(scene) -> np.ndarray:
    r = Renderer.headless()
    try:
        r.compile(scene)
        return render_with(r, scene, musical_frame())
    finally:
        r.release()
