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

Mistakes are errors naming the file and the entry: an unknown scene,
transition or parameter, a negative time, cues out of order or overlapping
(a cue before the previous transition has finished), a bar past the end.
"""

import math
from pathlib import Path

import numpy as np

from visualizer.analysis.track import FeatureTrack
from visualizer.errors import SceneError
from visualizer.scenes.cues import Cue, Ramp
from visualizer.scenes.scene import Scene, TRANSITIONS_DIR
from visualizer.userfile import label, read_toml, shown

_CUE_KEYS = {"at", "bar", "scene", "transition", "duration", "beats"}
_RAMP_KEYS = {"scene", "param", "from", "to", "start", "end", "start_bar", "end_bar"}


def bar_times(track: FeatureTrack) -> np.ndarray:
    """Times of the downbeats (every 4th beat from the first), in seconds."""
    return np.asarray(track.beat_times, float)[::4]


def load_timeline(path: Path, *, scenes: list[Scene], track: FeatureTrack
                  ) -> tuple[list[Cue], list[Ramp]]:
    """Read and check a timeline against the scenes and the file's beat grid."""
    path = Path(path)
    data = read_toml(path, SceneError, "timeline")
    unknown = set(data) - {"cue", "ramp"}
    if unknown:
        raise SceneError(f"{path}: {label(sorted(unknown)[0])}: unknown key (known: cue, ramp)")
    by_key = {s.key: s for s in scenes}
    bars = bar_times(track)
    duration = track.rows.shape[0] * track.hop_seconds
    transitions = {p.stem for p in TRANSITIONS_DIR.glob("*.glsl")}
    tempo = track.tempo or 120.0

    def time_of(entry: dict, where: str, key_s: str, key_bar: str) -> float:
        if (key_s in entry) == (key_bar in entry):
            raise SceneError(f"{path}: {where}: give either {key_s} (seconds) or {key_bar}")
        if key_s in entry:
            t = entry[key_s]
            if not _number(t) or not math.isfinite(t) or t < 0:
                raise SceneError(f"{path}: {where}.{key_s}: {shown(t)} is not a time >= 0")
            if t > duration:
                raise SceneError(f"{path}: {where}.{key_s}: {t:g} s is past the end ({duration:.1f} s)")
            return float(t)
        b = entry[key_bar]
        if not isinstance(b, int) or isinstance(b, bool) or b < 1:
            raise SceneError(f"{path}: {where}.{key_bar}: {shown(b)} is not a bar number (from 1)")
        if b > len(bars):
            raise SceneError(f"{path}: {where}.{key_bar}: bar {b} is past the end "
                             f"(the file has {len(bars)} bars)")
        return float(bars[b - 1])

    cues: list[Cue] = []
    busy_until = -1.0
    for i, entry in enumerate(_tables(path, data, "cue")):
        where = f"cue[{i}]"
        _known(path, where, entry, _CUE_KEYS)
        t = time_of(entry, where, "at", "bar")
        scene = entry.get("scene")
        if not isinstance(scene, str) or scene not in by_key:
            raise SceneError(f"{path}: {where}.scene: unknown scene {shown(scene)} "
                             f"(known: {', '.join(by_key)})")
        transition = entry.get("transition", "")
        if not isinstance(transition, str) or (transition and transition not in transitions):
            raise SceneError(f"{path}: {where}.transition: unknown transition {shown(transition)} "
                             f"(known: {', '.join(sorted(transitions))})")
        seconds, beats = entry.get("duration", 0.0), entry.get("beats", 0.0)
        if not _number(seconds) or not _number(beats) or not 0 <= seconds < math.inf \
                or not 0 <= beats < math.inf:
            raise SceneError(f"{path}: {where}: duration and beats must be numbers >= 0")
        if t < busy_until - 1e-9:
            raise SceneError(f"{path}: {where}: at {t:g} s it overlaps the previous cue "
                             f"(busy until {busy_until:.2f} s)")
        length = beats * 60.0 / tempo if beats else seconds
        busy_until = t + length
        cues.append(Cue(t, scene, transition or ("crossfade" if length else ""), seconds, beats))
    if not cues:
        raise SceneError(f"{path}: no [[cue]]: say which scene starts")
    if cues[0].time > 0:
        cues.insert(0, Cue(0.0, cues[0].scene))

    ramps: list[Ramp] = []
    for i, entry in enumerate(_tables(path, data, "ramp")):
        where = f"ramp[{i}]"
        _known(path, where, entry, _RAMP_KEYS)
        key, name = entry.get("scene"), entry.get("param")
        scene = by_key.get(key) if isinstance(key, str) else None
        if scene is None:
            raise SceneError(f"{path}: {where}.scene: unknown scene {shown(key)}")
        param = scene.params.get(name) if isinstance(name, str) else None
        if param is None or param.type not in ("float", "int"):
            raise SceneError(f"{path}: {where}.param: {shown(name)} is not a number "
                             f"parameter of {scene.key}")
        start = time_of(entry, where, "start", "start_bar")
        end = time_of(entry, where, "end", "end_bar")
        if end < start:
            raise SceneError(f"{path}: {where}: ends ({end:g} s) before it starts ({start:g} s)")
        values = []
        for key in ("from", "to"):
            v = entry.get(key)
            if not _number(v) or not param.low <= v <= param.high:
                raise SceneError(f"{path}: {where}.{key}: {shown(v)} is outside "
                                 f"{param.name}'s range [{param.low:g}, {param.high:g}]")
            values.append(float(v))
        ramps.append(Ramp(scene.key, param.name, start, end, *values))
    return cues, ramps


def _tables(path: Path, data: dict, key: str) -> list[dict]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SceneError(f"{path}: {key}: expected [[{key}]] tables")
    return entries


def _known(path: Path, where: str, entry: dict, allowed: set[str]) -> None:
    for key in entry:
        if key not in allowed:
            raise SceneError(f"{path}: {where}.{label(key)}: unknown key "
                             f"(known: {', '.join(sorted(allowed))})")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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
