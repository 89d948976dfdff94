"""What a remote sees of the show: a small JSON-ready snapshot of its state.

:class:`StatePublisher` is a per-frame callback (``LiveOptions.on_frame``,
on the render thread) that hands a fresh snapshot to its listeners (the web
remote, the OSC server's state-back) a few times a second, and at once
when a command was applied or the scene changed, so a button pressed on a
phone lights up one frame after the show acted on it. Each frame costs a
few comparisons; a snapshot (a dict of a few dozen values) is built only
when one is handed out. Listeners keep the dict and never change it: a
new one is made each time.

The snapshot, in the remotes' vocabulary (the OSC addresses' names)::

    scene      the scene on screen: its key, as `visualizer scenes` prints it
    switching  the scene a switch under way (or waiting for its beat) goes to, or ""
    scenes     every scene key, in key order (what /scene INDEX counts)
    cue        the setlist's position, or None without a setlist:
               {song, song_index, index, count, songs, scene, next, title}
    tempo      BPM as the show uses it (Link's when Link leads), 0 unknown
    fps        frames per second over the last few seconds
    latency_ms median audio-to-picture latency, None before it is measured
    note       the lead's note as the player reads it ("F#4"), "" when unvoiced
    level_db   the input level in dBFS
    blackout, freeze, record, auto, hud   the show's switches
    intensity  the master intensity 0..1 (0.5 leaves the music's own)
    params     the current scene's parameters: [{name, value, low, high, type}]
    looks      the current scene's looks, by name (what /look NAME takes)
    look       the look last chosen for it, or "" (its own values)
    effects    every effect's key, in chain order (what /fx/NAME takes; F1.. toggle them)
    fx         the effects that are on
    fx_params  each effect that is on: its parameters, {name: [{name, value, low, high, type}]}
    fx_looks   each effect that is on: its looks and the one chosen, {name: {looks, look}}
    applied    commands applied so far, by source ({"web": 12, "key": 3})
"""

import math
import time

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.analysis.tuning import note_name

_TEMPO = FEATURE_INDEX["tempo"]
_NOTE = FEATURE_INDEX["note"]
_VOICED = FEATURE_INDEX["voiced"]
_LEVEL = FEATURE_INDEX["level_db"]
_SLIDERS = ("float", "int", "bool")   # a colour is set in the scene file


def catalogue(scenes) -> list[dict]:
    """Every scene for a remote's grid, in key order: its key, title,
    description, looks and parameters (with their ranges and descriptions)."""
    return [{"key": s.key, "title": s.title, "description": s.description,
             "looks": list(s.looks),
             "params": [{"name": p.name, "type": p.type, "low": float(p.low),
                         "high": float(p.high), "description": p.description}
                        for p in s.params.values() if p.type in _SLIDERS]}
            for s in scenes]


class StatePublisher:
    """``(show, frame)`` each frame; calls each listener with a snapshot
    every ``period`` seconds and as soon as the show changed.

    ``transpose`` names notes as the player reads them (``--transpose``);
    ``clock`` gives seconds (injected so tests can step it).
    """

    def __init__(self, listeners: list, *, period: float = 0.2, transpose: int = 0,
                 clock=time.monotonic):
        self.listeners = list(listeners)
        self.period, self.transpose, self._clock = period, transpose, clock
        self._due = -math.inf
        self._applied = -1
        self._scene = self._switching = ""
        self._recording = False
        self.published = 0

    def __call__(self, show, frame) -> None:
        engine = show.engine
        applied = sum(show.applied.values())   # a handful of sources
        now = self._clock()
        if (now < self._due and applied == self._applied and engine.current == self._scene
                and engine.switching == self._switching and show.recording == self._recording):
            return
        self._due = now + self.period
        self._applied, self._recording = applied, show.recording
        self._scene, self._switching = engine.current, engine.switching
        state = snapshot(show, frame.values, transpose=self.transpose)
        self.published += 1
        for listener in self.listeners:
            listener(state)


def snapshot(show, values, *, transpose: int = 0) -> dict:
    """The show's state now (see the module's text); ``values`` are the
    frame's features."""
    engine, stats = show.engine, show.stats
    latency = stats.latency.median() if stats is not None and stats.latency.total else math.nan
    voiced = values[_VOICED] > 0.5
    state = engine.states[engine.current]
    return {
        "scene": engine.current,
        "switching": engine.switching,
        "scenes": engine.keys,
        "cue": _cue(show.setlist),
        "tempo": _finite(values[_TEMPO]),
        "fps": round(stats.frames.fps, 1) if stats is not None else 0.0,
        "latency_ms": round(latency * 1000, 1) if math.isfinite(latency) else None,
        "note": note_name(int(round(float(values[_NOTE]))) + transpose) if voiced else "",
        "level_db": max(_finite(values[_LEVEL], -120.0), -120.0),
        "blackout": show.blackout, "freeze": show.frozen, "record": show.recording,
        "auto": show.auto, "hud": show.hud, "intensity": show.intensity,
        "params": _sliders(state),
        "looks": list(state.scene.looks),
        "look": state.look_name,
        "effects": engine.effects.names,
        "fx": engine.effects.active,
        "fx_params": {name: _sliders(engine.effects.slot(name).state) for name in engine.effects.active},
        "fx_looks": {name: {"looks": list(engine.effects.slot(name).scene.looks),
                            "look": engine.effects.slot(name).state.look_name}
                     for name in engine.effects.active},
        "applied": dict(show.applied),
    }


def _sliders(state) -> list[dict]:
    """A scene's or an effect's parameters as a remote's sliders and switches."""
    return [{"name": name, "value": float(state.base[name]), "low": float(p.low),
             "high": float(p.high), "type": p.type}
            for name, p in state.scene.params.items() if p.type in _SLIDERS]


def _cue(setlist) -> dict | None:
    if setlist is None:
        return None
    song_index, index = setlist.current()
    song = setlist.song()
    return {"title": setlist.title, "song": song.name, "song_index": song_index,
            "songs": len(setlist.songs), "index": index, "count": len(song.cues),
            "scene": setlist.cue().scene, "next": setlist.upcoming()}


def _finite(value, otherwise: float = 0.0) -> float:
    """A float JSON can carry (NaN and infinities are not JSON): ``otherwise`` for those."""
    value = float(value)
    return round(value, 2) if math.isfinite(value) else otherwise
