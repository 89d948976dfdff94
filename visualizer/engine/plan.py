"""An offline render as data: the plan.

Everything a render needs besides the scenes' files is decided here, before
the first frame is drawn: the audio and its zero-lag features, the cues and
ramps, the frame grid (frame k at ``start + k / fps``), every encoder
setting, and the chunks. A chunk is a run of frames that can be rendered by
itself, on any process or machine, into a segment that starts on a keyframe;
the segments are joined without re-encoding and the sound is muxed once
(``engine/offline.py``). The chunks come from the plan's ``chunk_seconds``,
never from how many processes render them, so one process rendering the
chunks in turn writes the same bytes as many processes at once.

A chunk after the first starts from the state the scenes would have: the
streaming analyzer settles on the ``SETTLE_S`` seconds of audio before its
pre-roll, the scene the cues had chosen by then is selected, and
``PREROLL_S`` seconds of frames (``FEEDBACK_PREROLL_S`` with a scene that
feeds its picture back) are drawn and thrown away, so that transitions,
smoothed parameters and feedback trails have their history. (A
transition under way at the very start of a pre-roll is the one thing this
does not carry: its chunk starts on the scene it was going to.)
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.analysis.analyzer import AnalyzerSettings
from visualizer.analysis.track import FeatureTrack
from visualizer.errors import AudioFileError, VisualizerError
from visualizer.scenes.cues import Cue, Ramp
from visualizer.scenes.scene import TRANSITIONS_DIR, Scene

SETTLE_S = 2.0
"""Audio analysed before a render's first frame, so the automatic gain has settled."""
PREROLL_S = 2.0
"""Frames drawn and not kept before a later chunk's first frame."""
FEEDBACK_PREROLL_S = 5.0
"""The pre-roll when a scene feeds its last picture back (trails): measured
on examples/isf/trails.fs, 2 s left frames 18/255 off an unchunked render at
the boundary, decaying to 2/255 a further 1.2 s on; 5 s keeps them within
1/255 (the 8-bit buffer's rounding)."""
CHUNK_SECONDS = 60.0
"""The default chunk length: a 20 s clip is one chunk, a two-hour concert 120."""


@dataclass(frozen=True)
class Encoding:
    """Every encoder setting: the same on every process that renders a chunk."""

    codec: str | None = None       # None: from the output's suffix (video.codec_for)
    crf: int = 18
    preset: str = "veryfast"
    threads: int = 2               # the encoder's threads, pinned: x264's output depends on
                                   # them, and a chunk must encode the same on any machine


@dataclass(frozen=True)
class Chunk:
    """Frames ``first`` .. ``first + count - 1`` of the render, drawn after
    ``preroll`` frames that are not kept."""

    index: int
    first: int
    count: int
    preroll: int


@dataclass
class RenderPlan:
    """A whole render, decided before it starts (see the module's text)."""

    audio: Path
    track: FeatureTrack
    scenes: list[Scene]
    cues: list[Cue]
    ramps: list[Ramp] = field(default_factory=list)
    size: tuple[int, int] = (1280, 720)
    fps: int = 30
    start: float = 0.0
    end: float = 0.0
    frames: int = 0
    supersample: int = 1
    render_scale: float = 1.0
    sample_rate: int = 48000
    settings: AnalyzerSettings | None = None
    encoding: Encoding = field(default_factory=Encoding)
    chunk_seconds: float = CHUNK_SECONDS
    transitions_dir: Path = TRANSITIONS_DIR
    effects: list[Scene] = field(default_factory=list)          # the effects it may turn on
    isf_transitions: list[Scene] = field(default_factory=list)  # the ISF transitions cues name
    fx: tuple[str, ...] = ()          # effects on from the first frame (--fx)
    params: list = field(default_factory=list)   # --param settings (ParamSetting)

    @property
    def shaders(self) -> list[Scene]:
        """Every scene, effect and ISF transition the render draws with."""
        return [*self.scenes, *self.effects, *self.isf_transitions]

    def time_of(self, frame: int) -> float:
        """The time frame ``frame`` shows (frame 0 is at ``start``)."""
        return self.start + frame / self.fps

    def chunks(self) -> list[Chunk]:
        size = max(1, round(self.chunk_seconds * self.fps))
        feedback = any(p.feedback for s in self.shaders for p in s.passes)
        preroll = round((FEEDBACK_PREROLL_S if feedback else PREROLL_S) * self.fps)
        return [Chunk(i, first, min(size, self.frames - first), min(preroll, first))
                for i, first in enumerate(range(0, self.frames, size))]

    def cue_at(self, t: float) -> int:
        """The index of the cue in effect at ``t`` (the last at or before it)."""
        index = 0
        while index + 1 < len(self.cues) and self.cues[index + 1].time <= t:
            index += 1
        return index


def make_plan(audio: Path, track: FeatureTrack, scenes: list[Scene], cues: list[Cue], *,
              ramps: list[Ramp] | None = None, size: tuple[int, int] = (1280, 720),
              fps: int = 30, start: float = 0.0, duration: float | None = None,
              supersample: int = 1, render_scale: float = 1.0, sample_rate: int = 48000,
              settings: AnalyzerSettings | None = None, encoding: Encoding | None = None,
              chunk_seconds: float = CHUNK_SECONDS, effects: list[Scene] = (),
              isf_transitions: list[Scene] = (), fx: tuple[str, ...] = (),
              params: list = ()) -> RenderPlan:
    """The plan of rendering ``audio`` (analysed as ``track``) following ``cues``.

    Raises VisualizerError when ``start`` is outside the file, and
    AudioFileError when the file is too short to render a frame.
    """
    total = track.rows.shape[0] * track.hop_seconds
    if start < 0 or start >= max(total, 1e-9):
        raise VisualizerError(f"--start {start:g} s is outside {audio} (0 to {total:.1f} s)")
    end = total if duration is None else min(total, start + duration)
    frames = math.ceil((end - start) * fps - 1e-9)
    if frames < 1:  # no analysis hop at all: nothing to draw, and no file to leave
        raise AudioFileError(f"{audio}: too short to render: less than "
                             f"{track.hop_seconds * 1000:.1f} ms of audio")
    used = {c.scene for c in cues}
    on = set(fx) | {name for c in cues for name in (c.fx or ())}
    crossings = {c.transition for c in cues}
    return RenderPlan(audio=Path(audio), track=track, scenes=[s for s in scenes if s.key in used],
                      effects=[e for e in effects if e.key in on], fx=tuple(fx),
                      isf_transitions=[t for t in isf_transitions if t.key in crossings],
                      params=list(params),
                      cues=list(cues), ramps=list(ramps or []), size=size, fps=fps, start=start,
                      end=end, frames=frames, supersample=supersample,
                      render_scale=render_scale, sample_rate=sample_rate,
                      settings=settings or AnalyzerSettings(sample_rate=sample_rate),
                      encoding=encoding or Encoding(), chunk_seconds=chunk_seconds)
