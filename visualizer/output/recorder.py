"""Record the live picture with the input audio, off the render thread.

The live recorder is an :class:`~visualizer.output.encoder_sink.EncoderSink`
(see there: frames at a constant rate chosen by ``wants``, repeated over
gaps, dropped and counted when the encoder is behind, audio through a ring)
whose writer is a file.

MP4 and MOV recordings are fragmented (about one fragment a second) and
flushed packet by packet: a show cut short by a crash or SIGKILL still leaves
a file that plays, up to its last second.

The solo's notes (MIDI messages handed to :meth:`LiveRecorder.note` by the
live note follower, each with its time from the recording's start in the
audio's own clock, as the picture is timed) are written at stop as
``OUT.mid`` beside ``OUT.mp4``.
"""

from pathlib import Path

from visualizer.errors import OutputError
from visualizer.output.encoder_sink import EncoderSink
from visualizer.output.video import VideoWriter

_FRAGMENTED = (".mp4", ".m4v", ".mov")


class _LiveWriter(VideoWriter):
    """A VideoWriter whose MP4/MOV output survives being killed: fragmented,
    a keyframe and a fragment about every second, each packet flushed."""

    def __init__(self, path, size, fps, **kwargs):
        super().__init__(path, size, fps, **kwargs)
        if self.path.suffix.lower() in _FRAGMENTED and self.codec != "png":
            # Nothing is written before the first packet, so the container and
            # encoder still take these (VideoWriter has no parameter for them).
            self._container.container_options.update(
                movflags="+frag_keyframe+empty_moov+default_base_moof",
                min_frag_duration="1000000", flush_packets="1")
            self._video.options = {**self._video.options, "g": str(fps)}


class LiveRecorder(EncoderSink):
    """Encodes the pictures and audio handed over by the render thread into
    ``path`` at a constant ``fps``, on its own thread.

    ``size`` is the window's (rounded down to even). Raises OutputError (one
    line) if the file cannot be written. Feed it through a ProgramOut; call
    :meth:`stop` once the ProgramOut has flushed its pictures.
    """

    def __init__(self, size: tuple[int, int], path: str | Path, *,
                 fps: int = 30, sample_rate: int = 48000, codec: str | None = None,
                 preset: str = "ultrafast", crf: int = 20,
                 audio_seconds: float = 8.0, origin: float = 0.0):
        w, h = int(size[0]) & ~1, int(size[1]) & ~1
        if w <= 0 or h <= 0 or fps <= 0:
            raise OutputError(f"{path}: cannot record {size[0]}x{size[1]} at {fps} fps")
        writer = _LiveWriter(path, (w, h), int(fps), sample_rate=sample_rate,
                             codec=codec, crf=crf, preset=preset)
        self.path = writer.path
        self.notes: list | None = None   # (seconds, mido.Message) once start_notes()
        self.midi_path = self.path.with_suffix(".mid")
        super().__init__(writer, (w, h), fps=fps, sample_rate=sample_rate,
                         label=f"recording {self.path}", name="recorder",
                         audio_seconds=audio_seconds, origin=origin)

    def start_notes(self) -> None:
        """Keep the notes handed to :meth:`note`; stop writes them as ``midi_path``."""
        if self.notes is None:
            self.notes = []

    def note(self, msg, at: float) -> None:
        """A MIDI message (mido) ``at`` seconds after the recording's start. Never waits."""
        if self.notes is not None and not self._stopped:
            self.notes.append((max(at, 0.0), msg))

    def _write_notes(self) -> None:
        """``midi_path``: the notes at their times from the recording's start (120 BPM,
        480 ticks a beat); a note still sounding ends with the recording."""
        import mido
        end = self._heard / self.sample_rate
        sounding: dict[tuple[int, int], float] = {}
        events = []
        for at, msg in self.notes:
            if msg.type in ("note_on", "note_off"):
                key = (msg.channel, msg.note)
                if msg.type == "note_on" and msg.velocity > 0:
                    sounding[key] = at
                elif sounding.pop(key, None) is None:
                    continue   # its note-on came before the recording started
            events.append((at, msg))
        events += [(end, mido.Message("note_off", channel=ch, note=n)) for ch, n in sounding]
        events.sort(key=lambda e: e[0])   # stable: the order decided at one moment holds
        track = mido.MidiTrack([mido.MetaMessage("track_name", name="visualizer: lead",
                                                 time=0)])
        tempo, last = mido.bpm2tempo(120), 0
        for at, msg in events:
            tick = round(mido.second2tick(at, 480, tempo))
            track.append(msg.copy(time=max(tick - last, 0)))
            last = max(tick, last)
        track.append(mido.MetaMessage("end_of_track", time=0))
        try:
            mido.MidiFile(ticks_per_beat=480, tracks=[track]).save(self.midi_path)
        except OSError as e:
            raise OutputError(f"{self.midi_path}: cannot write the notes "
                              f"({e.strerror or e})") from None

    def stop(self, *, wait: bool = True) -> None:
        """Encode what is in flight and finish the file, which then plays.

        Idempotent; safe in a ``finally:`` after KeyboardInterrupt. Raises
        OutputError if the encoder failed on the way (``error`` says why), or
        if the notes' .mid could not be written (the video is finished first).
        With ``wait=False`` the encoder's queue and the file are finished on
        a thread of their own, so the render thread does not stall (errors
        then go to ``error``).
        """
        if self._stopped:
            return
        notes_error = None
        if self.notes is not None:
            try:
                self._write_notes()   # a few kilobytes: the render thread can afford it
            except OutputError as e:
                notes_error = e        # the video is finished first, then this is raised
        super().stop(wait=wait)
        if notes_error is not None:
            raise notes_error


def next_path(path: str | Path) -> Path:
    """``path``, or ``OUT-2.mp4``, ``OUT-3.mp4``... : the first not yet taken."""
    path = Path(path)
    candidate, n = path, 1
    while _taken(candidate):
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _taken(path: Path) -> bool:
    if path.suffix.lower() == ".png" and "%" not in path.name:  # a PNG sequence's first frame
        return path.exists() or path.with_name(path.stem + "_00001.png").exists()
    return path.exists()
