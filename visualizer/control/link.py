"""Ableton Link: follow the band's shared beat clock, or lead it.

``visualizer live --link`` joins the Link session of the local network (an
Ableton set, a drum machine, other apps). While peers are there, the beat
features come from the session, not from the beat tracker: each frame
:meth:`LinkClock.apply` overwrites ``tempo``, ``beat``, ``beat_phase``,
``bar_phase`` and ``beat_count``, so the scenes' uniforms, the engine's
quantised switches and the setlist follow the band. Alone in a session, the
show keeps its own beat tracking, untouched.

The beat is read *ahead* by the output latency (:attr:`LinkClock.lead`),
so a flash drawn now lands on the beat when the frame is on the projector:
the median time from :meth:`~LinkClock.apply` to the display's
``shown()`` over the last frames, plus the projector's own lag, which
``--av-offset`` gives as a negative offset (a positive one delays the
picture, and so the beat, as it delays everything else).

``--link-lead`` publishes the tempo heard in the live input (the beat
tracker's, when it is settled and confident: see :class:`TempoLeader`) so a
drum machine follows a band that plays without a click. Taps always set the
session's tempo (:meth:`LinkClock.tap`).

The library is LinkPython-extern (``import link``): a synchronous binding of
Link's whole session-state API (``beatAtTime`` at any time, which reading
the beat ahead needs), prebuilt wheels for CPython 3.9-3.14, no event loop
of its own, and the Unlicense. aalink needs an asyncio loop in the render
thread and is GPL-3.

Times: Link's clock (``Link.clock().micros()``, CLOCK_MONOTONIC_RAW on
Linux) is not ``time.perf_counter``'s; every Link time is read from Link's
clock, and perf_counter only measures intervals (frame to screen).
"""

from __future__ import annotations

import math
import time

import numpy as np

from visualizer.analysis.features import FEATURE_INDEX
from visualizer.control.base import Control
from visualizer.errors import ControlError

_TEMPO, _BEAT, _PHASE, _BAR, _COUNT = (
    FEATURE_INDEX[k] for k in ("tempo", "beat", "beat_phase", "bar_phase", "beat_count"))

PULSE_TAU_S = 0.1
"""The beat pulse decays with this time constant, as the tracker's does."""
LEAD_CONFIDENCE = 0.85
"""The beat tracker's confidence (0..1) below which the heard tempo is not
published: noise reads 0.6-0.8 once its first seconds are past, a click 0.97."""
LEAD_STEADY_S = 2.0
"""Seconds of audio the heard tempo must hold (within the band) before it is published."""
LEAD_BAND = 0.01
"""The hysteresis band: a heard tempo within 1 % of the session's is not
published again (1.3 BPM at 131), so a wobbling estimate does not wobble the band."""
_LAGS = 64   # frame-to-screen times the lead is the median of
_TEMPI = (20.0, 999.0)   # Link's own range: a session outside it (or NaN) is not followed


class TempoLeader:
    """When ``--link-lead`` publishes the tempo heard in the live input.

    A heard tempo is *steady* once it has stayed within ``band`` of where
    the stretch began for ``steady`` seconds of audio, each reading
    confident. A steady tempo is published the first time, and after that
    only when it is more than ``band`` away from the session's tempo (a
    peer's change, or the band's): hysteresis, so an estimate that wobbles
    within the band publishes nothing. After a publication the next one
    waits for another steady stretch, so two leaders that hear different
    tempi cannot trade tempi every frame.
    """

    def __init__(self, *, steady: float = LEAD_STEADY_S, band: float = LEAD_BAND):
        self.steady, self.band = float(steady), float(band)
        self.published = 0      # how many times a tempo was published
        self._since: float | None = None
        self._ref = 0.0

    def update(self, heard: float, confident: bool, now: float, session: float) -> float | None:
        """The tempo (BPM) to publish now, or None.

        ``heard``: the tracker's tempo; ``confident``: whether it is settled
        and confident; ``now``: audio time in seconds; ``session``: the
        session's tempo now.
        """
        if not confident or not math.isfinite(heard) or heard <= 0:
            self._since = None
            return None
        if self._since is None or abs(heard / self._ref - 1.0) > self.band:
            self._since, self._ref = now, heard   # a new stretch begins
            return None
        if now - self._since < self.steady:
            return None
        if self.published and abs(heard / session - 1.0) <= self.band:
            return None
        self.published += 1
        self._since, self._ref = now, heard
        return heard


class LinkClock(Control):
    """A peer of the Ableton Link session, and the show's beat clock while
    the session has other peers (see the module docstring).

    The live loop calls, on the render thread: :meth:`start` and
    :meth:`stop` (the :class:`~visualizer.control.base.Control` contract),
    :meth:`apply` each frame after the analysis, :meth:`shown` when that
    frame is on screen, :meth:`tap` after each tap, and :meth:`hud_text`
    for the HUD. ``session`` makes the Link object (default:
    ``link.Link``); nothing touches the network before :meth:`start`.
    """

    def __init__(self, *, quantum: int = 4, lead: bool = False, av_offset: float = 0.0,
                 session=None):
        self.quantum = float(quantum)
        self.av_offset = float(av_offset)   # seconds: positive delays the picture
        self.leader = TempoLeader() if lead else None
        self._session = session
        self._link = None
        self.peers = 0
        self.tempo = 0.0           # the session's, at the last frame
        self.leads = ""            # "heard" or "tap" while our last tempo still holds
        self.published = 0         # tempi we set in the session (heard and tapped)
        self._ours = math.nan      # the tempo we set last
        self._by = ""
        self._tap_due = False
        self._count: float | None = None   # beat_count while following
        self._last_beat = 0.0
        self.read_at = 0           # the Link time (µs) the last frame's beat was read at
        self._applied = math.nan   # perf_counter at the last apply, until shown
        self._lags = np.zeros(_LAGS)
        self._n_lags = 0
        self._lag = 0.0

    # -- the Control contract ---------------------------------------------

    def start(self) -> None:
        """Join the session: Link starts looking for peers on the network."""
        if self._link is not None:
            return
        factory = self._session
        if factory is None:
            try:
                from link import Link as factory
            except ImportError:
                raise ControlError("--link needs the LinkPython-extern package: "
                                   "pip install LinkPython-extern") from None
        link = factory(120.0)
        link.enabled = True
        self._link = link

    def stop(self) -> None:
        """Leave the session; idempotent."""
        link, self._link = self._link, None
        if link is not None:
            link.enabled = False

    # -- the live loop's calls ----------------------------------------------

    @property
    def lead(self) -> float:
        """Seconds the beat is read ahead of now: the measured time from a
        frame's analysis to the screen, less ``--av-offset``."""
        return self._lag - self.av_offset

    def apply(self, frame, show, timing) -> None:
        """Publish what is due (taps, the heard tempo), then, with peers in
        the session, set ``frame``'s beat features from it."""
        link = self._link
        if link is None:
            return
        self._applied = time.perf_counter()
        now = link.clock().micros()
        self._publish(link, show.engine.analyzer.beats, frame.time, now)
        state = link.captureAppSessionState()
        self.peers = link.numPeers()
        self.tempo = state.tempo()
        self.leads = self._by if abs(self.tempo - self._ours) < 0.01 else ""
        if self.peers == 0 or not _TEMPI[0] <= self.tempo <= _TEMPI[1]:
            self._count = None   # our own beat tracking, untouched
            return
        self._follow(frame.values, state, now + round(self.lead * 1e6))

    def shown(self) -> None:
        """The frame is on screen: how long it took since :meth:`apply`."""
        if self._applied != self._applied:   # NaN: no frame since the last
            return
        self._lags[self._n_lags % _LAGS] = time.perf_counter() - self._applied
        self._n_lags += 1
        self._applied = math.nan
        if self._n_lags % 8 == 1:   # the median, a few times a second
            self._lag = float(np.median(self._lags[:min(self._n_lags, _LAGS)]))

    def tap(self) -> None:
        """A tap (key, pedal, remote): once the taps give a tempo, it is the session's."""
        self._tap_due = True

    def hud_text(self) -> str:
        """Peers, the session's tempo and who leads it: '2 peers 123.0 following',
        '1 peer 131.0 we lead', 'no peers' (the show's own beat, so no tempo here)."""
        peers = self.peers
        if not peers and not self.leads:
            return "no peers"
        who = {"heard": "we lead", "tap": "tap leads"}.get(self.leads, "following")
        count = f"{peers} peer{'' if peers == 1 else 's'}" if peers else "no peers"
        return f"{count} {self.tempo:.1f} {who}"

    # -- each frame's parts --------------------------------------------------

    def _publish(self, link, tracker, audio_time: float, now: int) -> None:
        """Taps first, else (--link-lead) the heard tempo when the leader says so."""
        if self._tap_due and tracker.tapped:
            self._tap_due = False
            self._set_tempo(link, tracker.tempo_bpm, now, "tap")
            return
        if self.leader is None:
            return
        confident = (tracker.settled and not tracker.tapped
                     and tracker.confidence >= LEAD_CONFIDENCE)
        session = link.captureAppSessionState().tempo()
        heard = self.leader.update(tracker.tempo_bpm, confident, audio_time, session)
        if heard is not None:
            self._set_tempo(link, heard, now, "heard")

    def _set_tempo(self, link, bpm: float, now: int, by: str) -> None:
        state = link.captureAppSessionState()
        state.setTempo(float(bpm), now)
        link.commitAppSessionState(state)
        self._ours, self._by = state.tempo(), by
        self.published += 1

    def _follow(self, values: np.ndarray, state, at: int) -> None:
        """The beat features at Link time ``at`` (microseconds), into ``values``."""
        self.read_at = at
        q = self.quantum
        tempo = state.tempo()
        beat = state.beatAtTime(at, q)
        if not math.isfinite(beat):   # a timeline no real peer sends
            return
        phase = beat - math.floor(beat)   # an integer quantum: the session's beat phase
        if self._count is None:
            self._count = float(values[_COUNT])   # go on from the tracker's count
        else:
            step = math.floor(beat) - math.floor(self._last_beat)
            if not 0 <= step <= 8:   # the timeline moved (we joined a session)
                step = 1 if phase < self._last_beat - math.floor(self._last_beat) else 0
            self._count += step
        self._last_beat = beat
        values[_TEMPO] = tempo
        values[_PHASE] = phase
        values[_BAR] = state.phaseAtTime(at, q) / q
        values[_COUNT] = self._count
        values[_BEAT] = math.exp(-phase * 60.0 / tempo / PULSE_TAU_S)
