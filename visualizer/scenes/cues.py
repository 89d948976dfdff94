"""What to show when: cues (switch to a scene, with a transition) and ramps
(a parameter automated over time), the one model timelines and setlists
share, and the one reader of a cue's table in either file.

A cue's keys, the same in a timeline's ``[[cue]]`` and a setlist's
``[[song.cue]]``:

    scene = "vortex"           # the scene to switch to (its key)
    transition = "vortex_zoom" # a shader in shaders/transitions, or "cut"
    beats = 2                  # the transition's length in beats (at the tempo then), or
    duration = 1.5             # ... in seconds; not both; 0..600
    quantize = "bar"           # wait for the next: none | beat | bar
    look = "storm"             # the scene comes in wearing one of its looks
    fx = ["glow:haze", "trails"]  # exactly these effects on from here, "NAME:LOOK" in
                               # one of its looks ([] none; left out: as they were)

A timeline's cue also says when (``at`` seconds or ``bar``; see
:mod:`visualizer.scenes.timeline`); a setlist's cue comes when the
footswitch steps to it. What a cue leaves out depends on where it is,
as the file's own reader says (:data:`TIMELINE_CUE`, :data:`SETLIST_CUE`):
a timeline's cue happens exactly at its time and cuts unless it gives a
length; a setlist's waits for the beat and crossfades over one, as a scene
key does. Named with a length but no transition, a cue crossfades; with a
zero length or ``transition = "cut"``, it cuts.
"""

from dataclasses import dataclass
from pathlib import Path

from visualizer.errors import VisualizerError
from visualizer.userfile import check_keys, is_number, key_path, shown

QUANTIZE = ("none", "beat", "bar")
CUT = "cut"
"""The transition name that switches at once (whatever length is given)."""
CUE_KEYS = frozenset({"scene", "transition", "beats", "duration", "quantize", "look", "fx"})
RENAMED = {"seconds": ("duration", "the transition length")}
"""Keys that an older setlist used: old name -> (new name, what it is). A
file with one is refused, naming the new key, never read as something else."""
MAX_LENGTH = 600.0
"""The longest transition, in beats or seconds: ten minutes of crossfade is
a typo, and live it would hold the footswitch's next cue that long."""


@dataclass(frozen=True)
class Cue:
    """Switch to ``scene`` at audio time ``time`` (seconds), with a transition."""

    time: float
    scene: str
    transition: str = ""
    duration: float = 0.0   # seconds; 0 cuts
    beats: float = 0.0      # or a duration in beats (at the tempo when it starts)
    quantize: str = "none"
    look: str = ""          # the scene comes in wearing this look of its own ('' as it is)
    fx: tuple[str, ...] | None = None   # exactly these effects on from here (None: as they were)


@dataclass(frozen=True)
class Ramp:
    """Parameter automation: ``scene.param`` goes from ``start_value`` at
    ``start`` s to ``end_value`` at ``end`` s, and holds it after (with
    ``effect``, ``scene`` names an effect)."""

    scene: str
    param: str
    start: float
    end: float
    start_value: float
    end_value: float
    effect: bool = False

    def apply(self, engine, t: float) -> None:
        """Set the parameter on ``engine`` as it is at ``t``."""
        state = engine.effects.slot(self.scene).state if self.effect else engine.states[self.scene]
        state.set(self.param, self.value(t))

    def value(self, t: float) -> float:
        if t <= self.start:
            return self.start_value
        if t >= self.end or self.end <= self.start:
            return self.end_value
        return self.start_value + (self.end_value - self.start_value) * (t - self.start) / (self.end - self.start)


@dataclass(frozen=True)
class CueDefaults:
    """What a cue that leaves them out gets, in one kind of file."""

    beats: float
    """The transition's length when the cue gives neither beats nor duration."""
    quantize: str


TIMELINE_CUE = CueDefaults(beats=0.0, quantize="none")
"""A timeline's cue: exactly at its time, and a cut unless it gives a length."""
SETLIST_CUE = CueDefaults(beats=1.0, quantize="beat")
"""A setlist's cue: on the next beat, over one beat, as a scene key does."""


def read_cue(path: Path, where: str, entry: dict, *, scenes, transitions,
             defaults: CueDefaults, error: type[VisualizerError], time_keys=(),
             looks: dict | None = None, effects=None) -> Cue:
    """The cue the table ``entry`` of the file at ``path`` says (its time 0:
    a timeline sets it, from ``time_keys``, which only it allows).

    ``scenes``: the scene keys it may name, in the order an error lists
    them; ``transitions``: the transition names (``"cut"`` is always one).
    Every mistake raises ``error`` as one line naming the file and
    ``where``: ``t.toml: cue[2].scene: unknown scene 'tundra' (known: ...)``.
    ``looks`` ({scene: its look names}), when given, checks a cue's
    ``look``; ``effects`` (the effect keys, or {key: its look names}), when
    given, its ``fx``.
    """
    _check_keys(path, where, entry, CUE_KEYS | set(time_keys), error)
    scene = entry.get("scene")
    if not isinstance(scene, str) or scene not in scenes:
        raise error(f"{path}: {key_path(where, 'scene')}: unknown scene {shown(scene)} "
                    f"(known: {', '.join(scenes)})")
    transition = entry.get("transition", "")
    if not isinstance(transition, str) or (transition not in ("", CUT)
                                           and transition not in transitions):
        raise error(f"{path}: {key_path(where, 'transition')}: unknown transition "
                    f"{shown(transition)} (known: {', '.join(sorted(transitions))}, {CUT})")
    if "beats" in entry and "duration" in entry:
        here = where.removesuffix(": ")
        raise error(f"{path}: {here}: give beats or duration, not both")
    for key in ("beats", "duration"):
        v = entry.get(key, 0.0)
        if not is_number(v) or not 0 <= v <= MAX_LENGTH:
            raise error(f"{path}: {key_path(where, key)}: {shown(v)} is not a number "
                        f"from 0 to {MAX_LENGTH:g}")
    quantize = entry.get("quantize", defaults.quantize)
    if quantize not in QUANTIZE:
        raise error(f"{path}: {key_path(where, 'quantize')}: {shown(quantize)} is not one of "
                    f"{', '.join(QUANTIZE)}")
    look = entry.get("look", "")
    if not isinstance(look, str) or (looks is not None and look and look not in looks.get(scene, ())):
        known = ", ".join((looks or {}).get(scene, ())) or "none"
        raise error(f"{path}: {key_path(where, 'look')}: {shown(look)} is not a look of "
                    f"'{scene}' (its looks: {known})")
    fx = _fx(path, where, entry, effects, error)
    if transition == CUT:
        return Cue(0.0, scene, "", 0.0, 0.0, quantize, look, fx)
    seconds = float(entry.get("duration", 0.0))
    beats = float(entry.get("beats", 0.0 if "duration" in entry else defaults.beats))
    if not transition and (beats > 0 or seconds > 0):
        transition = "crossfade"
    return Cue(0.0, scene, transition, seconds, beats, quantize, look, fx)


def _fx(path: Path, where: str, entry: dict, effects, error) -> tuple[str, ...] | None:
    if "fx" not in entry:
        return None
    fx = entry["fx"]
    if not isinstance(fx, list) or not all(isinstance(n, str) for n in fx):
        raise error(f"{path}: {key_path(where, 'fx')}: expected a list of effect names")
    for entry_name in fx:
        name, _, look = entry_name.partition(":")     # "glow:haze": the effect, in its look
        if effects is not None and name not in effects:
            raise error(f"{path}: {key_path(where, 'fx')}: unknown effect {shown(name)} "
                        f"(known: {', '.join(effects) or 'none'})")
        if look and isinstance(effects, dict) and look not in effects[name]:
            raise error(f"{path}: {key_path(where, 'fx')}: {shown(look)} is not a look of "
                        f"effect '{name}' (its looks: {', '.join(effects[name]) or 'none'})")
    return tuple(fx)


def _check_keys(path: Path, where: str, entry: dict, allowed, error) -> None:
    for old, (new, what) in RENAMED.items():
        if old in entry and old not in allowed:
            raise error(f"{path}: {key_path(where, old)}: unknown key; {what} is '{new}' "
                        f"(known: {', '.join(sorted(allowed))})")
    check_keys(path, entry, allowed, error, where)

