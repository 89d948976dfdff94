"""Timelines: what a render shows when, as a TOML file.

    [[cue]]
    at = 0.0                  # seconds, or
    scene = "steppe"
    [[cue]]
    bar = 9                   # the downbeat of bar 9 (4/4, from the file's beats)
    scene = "vortex"
    transition = "vortex_zoom"
    beats = 2                 # or duration = 1.5 (seconds)

    [[ramp]]                  # parameter automation
    scene = "vortex"
    param = "spin"
    from = 0.5                # value at the start ...
    to = 2.5                  # ... and at the end
    start = 30.0              # seconds (or start_bar / end_bar)
    end = 60.0
    [[ramp]]                  # an effect's parameter: fx instead of scene
    fx = "glow"
    param = "amount"
    from = 0.0
    to = 1.5
    start_bar = 17
    end_bar = 25

A cue takes the keys a setlist's cue does (scene, transition, beats or
duration, quantize: see :mod:`visualizer.scenes.cues`) and says when, with
``at`` or ``bar``. One that gives no length cuts, at exactly its time
(quantize "none" unless it says otherwise).

Mistakes are errors naming the file and the entry: an unknown scene,
transition or parameter, a negative time, cues out of order or overlapping
(a cue before the previous transition has finished), a bar past the end.
"""

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from visualizer.analysis.track import FeatureTrack
from visualizer.errors import SceneError
from visualizer.scenes.cues import TIMELINE_CUE, Cue, Ramp, read_cue
from visualizer.scenes.model import TRANSITIONS_DIR, Scene
from visualizer.userfile import check_keys, is_int, is_number, read_toml, shown

_TIME_KEYS = ("at", "bar")
_RAMP_KEYS = {"scene", "param", "from", "to", "start", "end", "start_bar", "end_bar"}


def bar_times(track: FeatureTrack) -> np.ndarray:
    """Times of the downbeats (every 4th beat from the first), in seconds."""
    return np.asarray(track.beat_times, float)[::4]


def load_timeline(path: Path, *, scenes: list[Scene], track: FeatureTrack,
                  effects: list[Scene] = (), isf_transitions: list[str] = ()
                  ) -> tuple[list[Cue], list[Ramp]]:
    """Read and check a timeline against the scenes, the effects, the ISF
    transitions (by key) and the file's beat grid."""
    path = Path(path)
    data = read_toml(path, SceneError, "timeline")
    check_keys(path, data, {"cue", "ramp"}, SceneError)
    times = _Times(path, bar_times(track), track.rows.shape[0] * track.hop_seconds)
    cues = _cues(path, _tables(path, data, "cue"), scenes, times, track.tempo or 120.0,
                 effects, isf_transitions)
    ramps = [_ramp(path, f"ramp[{i}]", entry, scenes, times, effects)
             for i, entry in enumerate(_tables(path, data, "ramp"))]
    return cues, ramps


@dataclass(frozen=True)
class _Times:
    """A timeline's times: seconds, or bars of the file's beat grid."""

    path: Path
    bars: np.ndarray
    duration: float

    def of(self, entry: dict, where: str, key_s: str, key_bar: str) -> float:
        """The time ``entry`` gives as ``key_s`` (seconds) or ``key_bar``, checked."""
        path = self.path
        if (key_s in entry) == (key_bar in entry):
            raise SceneError(f"{path}: {where}: give either {key_s} (seconds) or {key_bar}")
        if key_s in entry:
            t = entry[key_s]
            if not is_number(t) or not math.isfinite(t) or t < 0:
                raise SceneError(f"{path}: {where}.{key_s}: {shown(t)} is not a time >= 0")
            if t > self.duration:
                raise SceneError(f"{path}: {where}.{key_s}: {t:g} s is past the end "
                                 f"({self.duration:.1f} s)")
            return float(t)
        b = entry[key_bar]
        if not is_int(b) or b < 1:
            raise SceneError(f"{path}: {where}.{key_bar}: {shown(b)} is not a bar number (from 1)")
        if b > len(self.bars):
            raise SceneError(f"{path}: {where}.{key_bar}: bar {b} is past the end "
                             f"(the file has {len(self.bars)} bars)")
        return float(self.bars[b - 1])


def _cues(path: Path, entries: list[dict], scenes: list[Scene], times: _Times,
          tempo: float, effects=(), isf_transitions=()) -> list[Cue]:
    keys = [s.key for s in scenes]
    transitions = {p.stem for p in TRANSITIONS_DIR.glob("*.glsl")} | set(isf_transitions)
    cues: list[Cue] = []
    busy_until = -1.0
    for i, entry in enumerate(entries):
        where = f"cue[{i}]"
        cue = read_cue(path, where, entry, scenes=keys, transitions=transitions,
                       defaults=TIMELINE_CUE, error=SceneError, time_keys=_TIME_KEYS,
                       looks={s.key: list(s.looks) for s in scenes},
                       effects={e.key: list(e.looks) for e in effects if not isinstance(e, str)}
                       | {e: [] for e in effects if isinstance(e, str)})
        t = times.of(entry, where, *_TIME_KEYS)
        if t < busy_until - 1e-9:
            raise SceneError(f"{path}: {where}: at {t:g} s it overlaps the previous cue "
                             f"(busy until {busy_until:.2f} s)")
        # A quantised cue may wait up to a beat or a bar before its transition starts.
        beat = 60.0 / tempo
        wait = {"none": 0.0, "beat": beat, "bar": 4 * beat}[cue.quantize]
        busy_until = t + wait + (cue.beats * beat if cue.beats else cue.duration)
        cues.append(replace(cue, time=t))
    if not cues:
        raise SceneError(f"{path}: no [[cue]]: say which scene starts")
    if cues[0].time > 0:
        cues.insert(0, Cue(0.0, cues[0].scene))
    return cues


def _ramp(path: Path, where: str, entry: dict, scenes: list[Scene], times: _Times,
          effects=()) -> Ramp:
    check_keys(path, entry, _RAMP_KEYS | {"fx"}, SceneError, where)
    effect = "fx" in entry
    if effect == ("scene" in entry):
        raise SceneError(f"{path}: {where}: give scene (a scene's parameter) or fx (an effect's)")
    kind = "fx" if effect else "scene"
    key, name = entry.get(kind), entry.get("param")
    pool = [e for e in effects if not isinstance(e, str)] if effect else scenes
    scene = next((s for s in pool if s.key == key), None) if isinstance(key, str) else None
    if scene is None:
        raise SceneError(f"{path}: {where}.{kind}: unknown {'effect' if effect else 'scene'} "
                         f"{shown(key)}")
    param = scene.params.get(name) if isinstance(name, str) else None
    if param is None or param.type not in ("float", "int"):
        raise SceneError(f"{path}: {where}.param: {shown(name)} is not a number "
                         f"parameter of {scene.key}")
    start = times.of(entry, where, "start", "start_bar")
    end = times.of(entry, where, "end", "end_bar")
    if end < start:
        raise SceneError(f"{path}: {where}: ends ({end:g} s) before it starts ({start:g} s)")
    values = []
    for key in ("from", "to"):
        v = entry.get(key)
        if not is_number(v) or not param.low <= v <= param.high:
            raise SceneError(f"{path}: {where}.{key}: {shown(v)} is outside "
                             f"{param.name}'s range [{param.low:g}, {param.high:g}]")
        values.append(float(v))
    return Ramp(scene.key, param.name, start, end, *values, effect=effect)


def _tables(path: Path, data: dict, key: str) -> list[dict]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SceneError(f"{path}: {key}: expected [[{key}]] tables")
    return entries


def auto_cues(track: FeatureTrack, scenes: list[Scene], *, bars_per_scene: int = 8,
              min_seconds: float = 8.0) -> list[Cue]:
    """Scene changes decided with the whole file known: a new scene every
    ``bars_per_scene`` bars, on a downbeat, never sooner than ``min_seconds``
    after the last; and the vortex, entered through itself, at the downbeat
    before each climax."""
    keys = [s.key for s in scenes]
    if not keys:
        return []
    bars = bar_times(track)
    climax = track.column("climax")
    peaks = track.times[np.flatnonzero((climax[1:] > 0.99) & (climax[:-1] <= 0.99)) + 1]
    vortex = "vortex" if "vortex" in keys else keys[0]
    climax_bars = {int(np.searchsorted(bars, p, side="right")) - 1 for p in peaks}
    cues = [Cue(0.0, keys[0])]
    order = [k for k in keys if k != vortex] or keys
    nxt = 1 % len(order) if order[0] == keys[0] else 0
    last = 0.0
    for i, t in enumerate(bars):
        if t - last < min_seconds:
            continue
        if i in climax_bars and cues[-1].scene != vortex:
            cues.append(Cue(float(t), vortex, "vortex_zoom", beats=2.0))
        elif i % bars_per_scene == 0 and i:
            scene = order[nxt % len(order)]
            nxt += 1
            if scene == cues[-1].scene:
                continue
            cues.append(Cue(float(t), scene, "crossfade", beats=2.0))
        else:
            continue
        last = float(t)
    return cues
