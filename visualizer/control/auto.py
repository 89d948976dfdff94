"""The automatic mode: scene changes on musical structure, hands-free.

:class:`AutoDirector` listens to one FeatureFrame a frame and answers, now
and then, with a :class:`Cue`. It changes scenes only

- in the rest after a phrase: the lead (``voiced``, above ``silence_db``)
  sounded for ``min_phrase_seconds`` and then stopped for ``rest_seconds``;
- or, when the music never stops, on a bar's downbeat once the lead has
  played ``bars`` bars without a rest and ``bars`` bars have passed since the
  last change;
- and never sooner than ``min_seconds`` after the last change;
- except the climax: a build (the lead's loudness ``build_lu`` above where it
  was in the last 30 s) that surges to a new high (``surge_lu`` above the
  peak of the 10 s before), or the analyzer's ``climax`` pulse after such a
  build, brings ``climax_scene`` through ``climax_transition`` on the next
  beat, mid-phrase if need be, and ``climax_min_seconds`` after the last
  change is enough. Leaving it, by the rules above, goes to a calm scene.

The next scene fits the intensity arc (see ``ENERGY``) and is never the one
shown or the two before it; among those within 0.2 of the best fit, the one
not shown for longest comes first, then the closer fit: deterministic.

Call :meth:`AutoDirector.update` every frame; it allocates nothing (only a
change, a few times a minute, builds its Cue). Frames that stop coming (the
mode was off) restart its listening and its ``min_seconds`` wait.
"""

import math

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.scenes.cues import Cue

ENERGY = {"steppe": 0.1, "night": 0.2, "haunting": 0.35, "yaks": 0.5,
          "club": 0.65, "eyes": 0.8, "crowd": 0.9, "vortex": 1.0}
"""How much each scene shows, 0 (calm) to 1; scenes not named here are 0.5.
From their descriptions: the dusk steppe and the night sky are the calm of
the plain, the yaks walk on the beat, the club and the blazing eyes are the
solo, the erupting crowd the height of the evening."""

_LEVEL_DB = FEATURE_INDEX["level_db"]
_VOICED = FEATURE_INDEX["voiced"]
_BAR = FEATURE_INDEX["bar_phase"]
_BEATS = FEATURE_INDEX["beat_count"]
_LOUDNESS = FEATURE_INDEX["loudness_momentary"]
_INTENSITY = FEATURE_INDEX["intensity"]
_CLIMAX = FEATURE_INDEX["climax"]

_FLOOR_SLOT_S = 0.5      # the 30 s loudness floor keeps one value per half second
_FLOOR_SLOTS = 60
_PEAK_SLOT_S = 0.25      # the surge compares with the peak of 10 s, less the newest 1 s
_PEAK_SLOTS = 40
_PEAK_SKIP = 4
_SETTLE_S = 1.0          # a phrase's first second (loudness still ramping) sets no floor
_BUILT_HOLD_S = 5.0      # a build counts this long after the loudness was up
_CLIMAX_WAIT_S = 1.0     # the vortex waits at most this long for a beat ...
_CLIMAX_GIVE_UP_S = 6.0  # ... and forgets a climax it could not show by then
_CLIMAX_REFRACTORY_S = 20.0
_RESUME_GAP_S = 0.5      # frames this far apart: the mode was off, start listening afresh
_SILENT_LUFS = -70.0


class AutoDirector:
    """Decides scene changes from the features, one frame at a time."""

    def __init__(self, scenes: list[str], *, min_seconds: float = 12.0,
                 climax_scene: str = "vortex", climax_transition: str = "vortex_zoom",
                 climax_min_seconds: float = 4.0, rest_seconds: float = 0.4,
                 min_phrase_seconds: float = 2.0, bars: int = 8, silence_db: float = -65.0,
                 build_lu: float = 6.0, surge_lu: float = 3.0,
                 intensity_range: tuple[float, float] = (0.3, 0.7),
                 energies: dict[str, float] | None = None,
                 transitions: dict[str, tuple[str, float]] | None = None,
                 start: str | None = None):
        """``scenes``: the keys to choose from, in order. ``transitions``:
        key -> (transition, beats) for a change to that scene (the scenes'
        own ``transition`` and ``transition_beats``); crossfade over 2 beats
        if absent. ``intensity_range``: the intensity arc's values that map
        onto energy 0 and 1. ``start``: the scene shown now (the first)."""
        if not scenes:
            raise ValueError("the automatic mode needs at least one scene")
        self.scenes = list(scenes)
        self.min_seconds = min_seconds
        self.climax_scene = climax_scene if climax_scene in self.scenes else ""
        self.climax_transition = climax_transition
        self.climax_min_seconds = climax_min_seconds
        self.rest_seconds = rest_seconds
        self.min_phrase_seconds = min_phrase_seconds
        self.bars = bars
        self.silence_db = silence_db
        self.build_lu = build_lu
        self.surge_lu = surge_lu
        self.intensity_range = intensity_range
        energies = {**ENERGY, **(energies or {})}
        self.energy = {k: float(energies.get(k, 0.5)) for k in self.scenes}
        self.transitions = dict(transitions or {})
        self.current = start if start is not None else self.scenes[0]
        self.last_reason = ""
        """Why the last change happened ('phrase end', '8 bars', 'climax'), for the HUD."""
        self.changes = 0
        self._shown = dict.fromkeys(self.scenes, -math.inf)   # key -> time last left
        self._recent = ["", ""]                               # the two scenes before
        self._floor_hist = [0.0] * _FLOOR_SLOTS
        self._peak_hist = [0.0] * _PEAK_SLOTS
        self._last_change = 0.0
        self._restart(0.0)

    # -- per frame -------------------------------------------------------------

    def update(self, values, now: float, *, current: str | None = None) -> Cue | None:
        """Listen to one frame's ``values`` (SCALAR_FEATURES order) at audio
        time ``now``; a Cue when the scene should change, else None.

        ``current``: the scene the show has now, if a person may have
        switched it; a switch the director did not make restarts its wait.
        """
        dt = now - self._last_now
        if dt > _RESUME_GAP_S or dt < 0:
            self._restart(now)
            dt = 0.0
        self._last_now = now
        if current is not None and current != self.current and current in self._shown:
            self._shown[self.current] = now
            self._recent[0], self._recent[1] = self._recent[1], self.current
            self.current, self._last_change = current, now
        sounding = values[_VOICED] >= 0.5 and values[_LEVEL_DB] > self.silence_db
        self._phrase(sounding, now)
        bar = float(values[_BAR])
        downbeat = bar < self._last_bar - 0.5
        self._last_bar = bar
        beats = float(values[_BEATS])
        on_beat = beats > self._last_beats
        self._last_beats = beats
        if downbeat:
            self._downbeats += 1
            if self._phrase_start >= 0:
                self._phrase_bars += 1
        self._loudness(float(values[_LOUDNESS]), sounding, now, dt)
        climax = float(values[_CLIMAX])
        pulse = climax >= 0.99 and self._last_climax < 0.99
        self._last_climax = climax
        if self.climax_scene and (self._surge or pulse) and now < self._built_until \
                and now - self._last_vortex >= _CLIMAX_REFRACTORY_S \
                and self.current != self.climax_scene and self._climax_at < 0:
            self._climax_at = now

        since = now - self._last_change
        if self._climax_at >= 0:
            if self.current == self.climax_scene or now - self._climax_at > _CLIMAX_GIVE_UP_S:
                self._climax_at = -1.0
            elif since >= self.climax_min_seconds and (
                    on_beat or downbeat or now - self._climax_at >= _CLIMAX_WAIT_S):
                self._last_vortex = now
                beats = self.transitions.get(self.climax_scene, ("", 2.0))[1] or 2.0
                return self._change(self.climax_scene, now, "climax",
                                    (self.climax_transition, beats))
            else:
                return None   # hold other changes: the climax is coming
        if since < self.min_seconds:
            return None
        if self._rest_open:
            return self._change(self.choose(float(values[_INTENSITY])), now, "phrase end")
        if downbeat and sounding and self._downbeats >= self.bars \
                and self._phrase_bars >= self.bars:
            return self._change(self.choose(float(values[_INTENSITY])), now,
                                f"{self.bars} bars")
        return None

    def _phrase(self, sounding: bool, now: float) -> None:
        """Track phrases: a rest of ``rest_seconds`` after one that lasted
        ``min_phrase_seconds`` opens a moment to change."""
        if sounding:
            if self._phrase_start < 0:
                self._phrase_start, self._phrase_bars = now, 0
                self._rest_open = False
            self._last_sound = now
        elif self._phrase_start >= 0 and now - self._last_sound >= self.rest_seconds:
            self._rest_open = self._last_sound - self._phrase_start >= self.min_phrase_seconds
            self._phrase_start = -1.0
            self._phrase_bars = 0

    def _loudness(self, lufs: float, sounding: bool, now: float, dt: float) -> None:
        """The lead's loudness (1 s average while it sounds), its 30 s floor,
        and the surge: momentary loudness above the peak of the 10 s before."""
        settled = sounding and self._phrase_start >= 0 and now - self._phrase_start >= _SETTLE_S
        if settled and lufs > _SILENT_LUFS:
            if math.isnan(self._loud):
                self._loud = lufs
            self._loud += (1.0 - math.exp(-dt)) * (lufs - self._loud)   # 1 s time constant
        if now >= self._next_floor:   # one slot per half second, held through rests
            self._next_floor = now + _FLOOR_SLOT_S
            if not math.isnan(self._loud):
                self._floor_hist[self._floor_i] = self._loud
                self._floor_i = (self._floor_i + 1) % _FLOOR_SLOTS
                self._floor = min(self._floor_hist)   # unfilled slots are +inf
        if not math.isnan(self._loud) and self._loud - self._floor >= self.build_lu:
            self._built_until = now + _BUILT_HOLD_S
        self._slot_peak = max(self._slot_peak, lufs if settled else _SILENT_LUFS)
        if now >= self._next_peak:
            self._next_peak = now + _PEAK_SLOT_S
            self._peak_hist[self._peak_i] = self._slot_peak
            self._peak_i = (self._peak_i + 1) % _PEAK_SLOTS
            self._peak_n = min(self._peak_n + 1, _PEAK_SLOTS)
            self._slot_peak = _SILENT_LUFS
            ref = _SILENT_LUFS
            for j in range(_PEAK_SKIP, self._peak_n):   # oldest slots, not the newest second
                ref = max(ref, self._peak_hist[(self._peak_i - 1 - j) % _PEAK_SLOTS])
            self._peak_ref = ref if self._peak_n >= _PEAK_SLOTS else math.inf
        self._surge = settled and lufs >= self._peak_ref + self.surge_lu

    # -- choosing --------------------------------------------------------------

    def choose(self, intensity: float) -> str:
        """The scene a change now would go to: it fits ``intensity`` (the
        arc, 0..1) and was not just shown. (The HUD can show it as "next".)"""
        if self.current == self.climax_scene:
            target = 0.0   # after the climax, calm
        else:
            lo, hi = self.intensity_range
            target = min(max((intensity - lo) / (hi - lo), 0.0), 1.0)
        pool = [k for k in self.scenes if k != self.climax_scene and k != self.current]
        fresh = [k for k in pool if k not in self._recent]
        pool = fresh or pool or [self.current]
        best = min(abs(self.energy[k] - target) for k in pool)
        near = [k for k in pool if abs(self.energy[k] - target) <= best + 0.2]
        return min(near, key=lambda k: (self._shown[k], abs(self.energy[k] - target),
                                        self.scenes.index(k)))

    def _change(self, scene: str, now: float, reason: str,
                transition: tuple[str, float] | None = None) -> Cue:
        name, beats = transition or self.transitions.get(scene, ("crossfade", 2.0))
        self._shown[self.current] = now
        self._recent[0], self._recent[1] = self._recent[1], self.current
        self.current, self._last_change = scene, now
        self._downbeats = 0
        self._rest_open = False
        self._climax_at = -1.0
        self.last_reason = reason
        self.changes += 1
        return Cue(now, scene, name, beats=beats if name else 0.0)

    def _restart(self, now: float) -> None:
        """Forget what was heard (the first frame, or after a pause)."""
        self._last_now = now
        self._last_change = now
        self._phrase_start = -1.0
        self._last_sound = -math.inf
        self._phrase_bars = 0
        self._rest_open = False
        self._last_bar = 0.0
        self._last_beats = math.inf   # the first frame is no beat
        self._downbeats = 0
        self._loud = math.nan
        self._floor = math.inf
        self._floor_i = 0
        for i in range(_FLOOR_SLOTS):
            self._floor_hist[i] = math.inf
        self._next_floor = now
        self._built_until = -math.inf
        self._peak_i = self._peak_n = 0
        self._slot_peak = _SILENT_LUFS
        self._next_peak = now
        self._peak_ref = math.inf
        self._surge = False
        self._last_climax = 0.0
        self._climax_at = -1.0
        self._last_vortex = -math.inf
