"""Effects: ISF filters a VJ stacks on the program picture, or on one scene.

An effect is an ISF filter (an ``.fs`` file with an ``image`` input, by
convention ``inputImage``), or a scene TOML naming one with ``isf = "..."``
to bind its inputs to the music (``[[bindings]]``) and give it looks. The
built-in ones are in ``shaders/effects/``; a performer's ``--scenes``
folders add theirs. Each effect is a slot: on or off, on the program (every
scene and every transition between them) or on one scene only, with its
parameters set by keys, MIDI, OSC (``/fx/NAME``, ``/fx/NAME/PARAM``), the
web remote, cues and ``--param fx/NAME/PARAM=VALUE``, and its bindings
advanced every frame like a scene's.

Slots draw in the order of the effects' ``order`` and key (as
``visualizer effects`` lists them): scene effects on the scene's picture,
then program effects on the program's.
"""

from dataclasses import dataclass, field

from visualizer.errors import SceneError
from visualizer.scenes.model import Scene
from visualizer.scenes.state import SceneState

PREFIX = "fx/"
"""Effects are compiled under ``fx/KEY`` (a scene may have an effect's key)."""


@dataclass
class EffectSlot:
    """One effect: its parameters, whether it is on, and on what."""

    scene: Scene
    state: SceneState = field(init=False)
    on: bool = False
    only: str = ""
    """'' on the program picture; a scene's key: on that scene only."""

    def __post_init__(self):
        self.state = SceneState(self.scene)
        inputs = self.scene.image_inputs
        self.input = "inputImage" if "inputImage" in inputs else inputs[0]
        self.inputs = {self.input: None}   # kept: filled with the picture each frame

    @property
    def key(self) -> str:
        return PREFIX + self.scene.key


class Effects:
    """Every effect a show can use, compiled in ``renderer``, all off."""

    def __init__(self, renderer, effects: list[Scene]):
        self.renderer = renderer
        self.slots: dict[str, EffectSlot] = {}
        for scene in effects:
            if scene.role != "effect" or not scene.image_inputs:
                raise SceneError(f"{scene.path}: not an effect (an ISF filter with an image input)")
            renderer.compile(scene, key=PREFIX + scene.key)
            self.slots[scene.key] = EffectSlot(scene)

    @property
    def names(self) -> list[str]:
        """Effect keys in chain order (what F1..F12 toggle, in turn)."""
        return list(self.slots)

    @property
    def active(self) -> list[str]:
        """The effects that are on."""
        return [k for k, s in self.slots.items() if s.on]

    @property
    def any_on(self) -> bool:
        return any(s.on for s in self.slots.values())

    def knobs(self) -> dict[str, str]:
        """Each effect's main parameter (its first number parameter): what MIDI
        learn's Shift+F1.. puts on a knob."""
        return {key: next(n for n, p in s.scene.params.items() if p.type in ("float", "int"))
                for key, s in self.slots.items()
                if any(p.type in ("float", "int") for p in s.scene.params.values())}

    def slot(self, name: str) -> EffectSlot:
        if name not in self.slots:
            raise SceneError(f"unknown effect '{name}' (known: {', '.join(self.slots) or 'none'})")
        return self.slots[name]

    def set(self, name: str, on: bool | None = None, *, only: str | None = None) -> bool:
        """Turn effect ``name`` on or off (None: toggle), on the program or,
        with ``only``, on that scene only; whether it is on now."""
        slot = self.slot(name)
        slot.on = (not slot.on) if on is None else bool(on)
        if only is not None:
            slot.only = only
        return slot.on

    def chain(self, names: tuple[str, ...]) -> None:
        """Exactly ``names`` on, on the program; every other effect off (a cue's
        ``fx``). A name may carry a look: ``"glow:haze"`` (crossfaded to it)."""
        wanted = dict(name.partition(":")[::2] for name in names)
        for name, look in wanted.items():
            self.slot(name)
            if look:
                self.look(name, look)
        for key, slot in self.slots.items():
            slot.on, slot.only = key in wanted, "" if key in wanted else slot.only

    def look(self, name: str, look: str = "") -> str:
        """Crossfade effect ``name`` to its look ``look`` ('' its next); the look's name."""
        return self.slot(name).state.wear(look, f"effect '{name}'")

    def param(self, name: str, param: str, value: float, *, normalized: bool = False) -> None:
        """Set parameter ``param`` of effect ``name`` (0..1 of its range if ``normalized``)."""
        slot = self.slot(name)
        p = slot.scene.params.get(param)
        if p is None:
            known = ", ".join(slot.scene.params) or "none"
            raise SceneError(f"effect '{name}' has no parameter '{param}' (known: {known})")
        if normalized and p.type in ("float", "int"):
            value = p.low + value * (p.high - p.low)
        slot.state.set(param, value)

    def on(self, scene: str = "") -> list[EffectSlot]:
        """The slots that are on for ``scene`` ('' the program), in chain order."""
        return [s for s in self.slots.values() if s.on and s.only == scene]

    def apply(self, texture, slots: list[EffectSlot], frame, timing, size, dt: float):
        """``texture`` through ``slots`` in turn; the last picture (a texture
        of the last effect's, valid until it is drawn again)."""
        for slot in slots:
            params = slot.state.update(frame, dt)
            slot.inputs[slot.input] = texture
            texture = self.renderer.picture(slot.key, frame, timing, size, params, slot.inputs)
        return texture
