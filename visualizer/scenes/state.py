"""A scene's live parameter values: what a VJ set, plus the audio bindings.

Data only (no GL): each binding is an attack/release follower of one feature,
advanced by the frame's time step, so live and offline agree at the same
audio time and frame rate.
"""

import math

from visualizer.analysis.features import FEATURE_INDEX, FeatureFrame
from visualizer.errors import SceneError
from visualizer.scenes.model import Scene

LOOK_SECONDS = 2.0
"""A look crossfades over this."""


class SceneState:
    """Base values (defaults, or set by keys, MIDI, OSC) and bound values."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.base = {name: p.default for name, p in scene.params.items()}
        self.values = dict(self.base)
        self._env = [0.0] * len(scene.bindings)
        self._features = [FEATURE_INDEX[b.feature] for b in scene.bindings]
        self.look_name = ""
        self._fade = None   # (from values, to values, seconds, elapsed) of a look under way

    def look(self, name: str, seconds: float) -> None:
        """Crossfade the base values to the look ``name`` over ``seconds``
        (numbers and colours glide; a switch flips at the end)."""
        target = self.scene.looks[name]
        self.look_name = name
        self._fade = ({k: self.base[k] for k in target}, dict(target), max(seconds, 0.0), 0.0)
        if seconds <= 0:
            self._advance(0.0)

    def wear(self, name: str, what: str, seconds: float = LOOK_SECONDS) -> str:
        """Crossfade to the look ``name`` ('' the one after the last shown);
        its name. A SceneError naming ``what`` ("scene 'club'", "effect
        'glow'") for a look it does not have."""
        name = name or self.next_look()
        if name not in self.scene.looks:
            known = ", ".join(self.scene.looks) or "none"
            raise SceneError(f"{what} has no look {name!r} (its looks: {known})")
        self.look(name, seconds)
        return name

    def next_look(self) -> str:
        """The look after the one shown last (the first if none): its name, '' if none."""
        names = list(self.scene.looks)
        if not names:
            return ""
        i = names.index(self.look_name) + 1 if self.look_name in names else 0
        return names[i % len(names)]

    def _advance(self, dt: float) -> None:
        start, target, seconds, elapsed = self._fade
        elapsed += dt
        a = 1.0 if seconds <= 0 else min(elapsed / seconds, 1.0)
        for name, end in target.items():
            self.base[name] = _blend(self.scene.params[name], start[name], end, a)
        self._fade = None if a >= 1.0 else (start, target, seconds, elapsed)

    def set(self, name: str, value) -> None:
        """Set a parameter's base value (clamped into its range)."""
        self.base[name] = self.scene.params[name].clamp(value)

    def update(self, frame: FeatureFrame, dt: float) -> dict:
        """Advance the bindings by ``dt`` seconds and return every parameter's value."""
        if self._fade is not None:
            self._advance(dt)
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


def _blend(param, start, end, a: float):
    """``start`` to ``end`` at ``a`` (0..1), as the parameter's type allows."""
    if param.type == "bool":
        return end if a >= 1.0 else start
    if param.type == "color":
        return tuple(s + (e - s) * a for s, e in zip(start, end))
    return param.clamp(start + (end - start) * a)
