"""A scene's live parameter values: what a VJ set, plus the audio bindings.

Data only (no GL): each binding is an attack/release follower of one feature,
advanced by the frame's time step, so live and offline agree at the same
audio time and frame rate.
"""

import math

from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.scenes.model import Scene


class SceneState:
    """Base values (defaults, or set by keys, MIDI, OSC) and bound values."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.base = {name: p.default for name, p in scene.params.items()}
        self.values = dict(self.base)
        self._env = [0.0] * len(scene.bindings)
        self._features = [FEATURE_INDEX[b.feature] for b in scene.bindings]

    def set(self, name: str, value) -> None:
        """Set a parameter's base value (clamped into its range)."""
        self.base[name] = self.scene.params[name].clamp(value)

    def update(self, frame: FeatureFrame, dt: float) -> dict:
        """Advance the bindings by ``dt`` seconds and return every parameter's value."""
        values = self.values
        values.update(self.base)
        for i, binding in enumerate(self.scene.bindings):
            x = float(frame.values[self._features[i]])
            env = self._env[i]
            tau = binding.attack if x > env else binding.release
            env += (x - env) * (1.0 - math.exp(-dt / tau) if tau > 0 and dt >= 0 else 1.0)
            self._env[i] = env
            values[binding.param] = values[binding.param] + binding.gain * env
        for binding in self.scene.bindings:
            values[binding.param] = self.scene.params[binding.param].clamp(values[binding.param])
        return values
