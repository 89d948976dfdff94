"""What a live show is asked to do, and what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from visualizer.control.bus import ControlBus

if TYPE_CHECKING:
    from visualizer.analysis.analyzer import AnalyzerSettings
    from visualizer.audio.gate import NoiseGate
    from visualizer.audio.source import LiveSource
    from visualizer.control.auto import AutoDirector
    from visualizer.control.base import Control
    from visualizer.control.link import LinkClock
    from visualizer.control.midi import MidiLearn
    from visualizer.control.setlist import Setlist
    from visualizer.output.sink import Sink
    from visualizer.scenes.model import Scene


@dataclass
class LiveOptions:
    """Everything about a live run besides its input, scenes and display."""

    max_frames: int = 0               # quit after this many (tests, soak)
    screenshot: Path | None = None    # with max_frames: the last frame as PNG
    settings: AnalyzerSettings | None = None
    render_scale: float = 1.0
    adaptive: bool = True             # lower the scale to hold the frame rate
    av_offset: float = 0.0            # seconds the picture is delayed (negative: a played
                                      # file is heard that much after it is analysed)
    record: Path | None = None        # start recording at once to this file
    hud: bool = False
    calibrate: bool = False           # `visualizer latency`: flash on every click
    bus: ControlBus = field(default_factory=ControlBus)
    setlist: Setlist | None = None
    director: AutoDirector | None = None
    auto: bool = False
    controls: list[Control] = field(default_factory=list)   # started with the show, stopped after
    learn: MidiLearn | None = None    # L, then a key, binds the next control moved
    backing: LiveSource | None = None    # a second live source (a backing track)
    gate: NoiseGate | None = None        # for the lead input
    backing_gate: NoiseGate | None = None
    on_frame: Callable | None = None     # (show, frame) each frame (tests, OSC out)
    on_record: Callable | None = None    # (recorder) as each recording starts (its notes)
    transpose: int = 0                # --transpose: the HUD names notes as the player reads them
    sinks: list[Sink] = field(default_factory=list)   # fed the program from the first frame
    link: LinkClock | None = None     # a shared beat clock (Ableton Link): its apply(frame,
                                      # show, timing) sets the beat features each frame,
                                      # shown() times frame to screen, tap(), hud_text()
    effects: list[Scene] = field(default_factory=list)          # ISF filters to stack (F1..)
    isf_transitions: list[Scene] = field(default_factory=list)  # ISF transitions beside ours
    fx: tuple[str, ...] = ()          # --fx: effects on from the first frame
    params: list = field(default_factory=list)   # --param: (ParamSetting) set before it

    def setup(self, engine) -> None:
        """What the options set on the engine before the first frame: the
        effects turned on (--fx) and the parameters set (--param)."""
        for name in self.fx:
            engine.effects.set(name, True)
        for setting in self.params:
            setting.apply(engine)


@dataclass
class LiveResult:
    frames: int = 0
    latency: str = ""
    late: int = 0
    dropped: int = 0
    failed_commands: int = 0
    rejected_messages: int = 0
    recordings: list[Path] = field(default_factory=list)
    scene: str = ""                   # the scene on screen at the end
    flashes: int = 0                  # calibration: clicks flashed
    faults: int = 0                   # frames that failed (the last picture was held)
    interrupted: bool = False         # ended by Ctrl-C (SIGINT), not Esc or max_frames
    last_error: str = ""              # why the last control message was ignored or failed
    applied: dict[str, int] = field(default_factory=dict)   # commands applied, by source
