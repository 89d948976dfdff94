"""Record the live picture with the input audio, off the render thread.

A sink (``output/sink.py``): the render thread hands over the samples it
drained and, through the shared read-back, the pictures, and never waits.
Output frame k is at k / fps: a picture is asked for only when a frame is due
(a 60 Hz display recorded at 30 fps takes every other one), repeated over
gaps, and dropped, counted, when the encoder is behind and the read-back's
pool has no free array; the next picture then fills its frames, so the
picture never drifts from the sound. Audio goes through a ring buffer of
several seconds and is lost only if that overruns (then replaced by silence,
so the sync holds).

MP4 and MOV recordings are fragmented (about one fragment a second) and
flushed packet by packet: a show cut short by a crash or SIGKILL still leaves
a file that plays, up to its last second.

The solo's notes (MIDI messages handed to :meth:`LiveRecorder.note` by the
live note follower, each with its time from the recording's start in the
audio's own clock, as the picture is timed) are written at stop as
``OUT.mid`` beside ``OUT.mp4``.
"""

import math
import queue
import sys
import threading
from collections import deque
from pathlib import Path

import numpy as np

from visualizer.audio.ring import RingBuffer
from visualizer.errors import OutputError, VisualizerError
from visualizer.output.sink import Picture, Sink
from visualizer.output.video import VideoWriter

_STOP = object()
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


class LiveRecorder(Sink):
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
        self.size, self.fps, self.sample_rate = (w, h), int(fps), sample_rate
        self.origin = origin     # the show's time (heard) when the recording starts
        self.writer = _LiveWriter(path, (w, h), self.fps, sample_rate=sample_rate,
                                  codec=codec, crf=crf, preset=preset)
        self.path = self.writer.path
        self.frames = 0          # output frames given a picture so far; after stop, in the file
        self.dropped = 0         # output frames whose own picture was lost: encoder behind
        self.audio_dropped = 0   # samples lost to an overrun audio ring (written as silence)
        self.error: str | None = None  # why the encoder stopped, if it failed
        self._lost_until = 0
        self._stopped = False
        self._failure: BaseException | None = None
        self._counts: deque = deque()   # output frames each asked-for picture fills
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._audio = RingBuffer(int(audio_seconds * sample_rate))
        self._stereo = np.zeros((self._audio.capacity, 2), np.float32)
        self._silenced = 0
        self._heard = 0          # samples handed to write_audio: where the notes end
        self.notes: list | None = None   # (seconds, mido.Message) once start_notes()
        self.midi_path = self.path.with_suffix(".mid")
        self._thread = threading.Thread(target=self._encode, name="recorder", daemon=True)
        self._thread.start()

    @property
    def encoded(self) -> int:
        """Frames the encoder has written so far."""
        return self.writer.frames

    @property
    def backlog(self) -> int:
        """Pictures read back and waiting for the encoder."""
        return self._work.qsize()

    # -- render thread ----------------------------------------------------

    def wants(self, now: float) -> bool:
        """Is the picture of the show's time ``now`` needed?"""
        if self._stopped or self._failure is not None:
            return False
        due = math.floor((now - self.origin) * self.fps) + 1  # frames 0 .. due-1 are at or before now
        if due <= self.frames:
            return False               # not needed: no read-back at all
        self._counts.append((due - self.frames, due))
        self.frames = due
        return True

    def lost(self, now: float) -> None:
        """No array was free for the picture just asked for: the next one fills in."""
        count, due = self._counts.pop()   # asked for just now, by wants()
        self.frames -= count
        self.dropped += due - max(self.frames, self._lost_until)
        self._lost_until = due

    def picture(self, picture: Picture) -> None:
        count, _ = self._counts.popleft()
        if self._stopped or self._failure is not None:
            picture.release()
            return
        self._work.put((picture, count))

    def audio(self, block: np.ndarray, time: float) -> None:
        self.write_audio(block)

    def write_audio(self, block: np.ndarray) -> None:
        """Mono float32 samples drained from the input this frame. Never waits."""
        if self._stopped or self._failure is not None:
            return
        n = block.shape[0]
        self._heard += n   # lost samples are written as silence: the clock counts them
        if self._audio.available + n > self._audio.capacity:
            self.audio_dropped += n
            return
        self._audio.write(block, 0.0)

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

    # -- encoder thread ---------------------------------------------------

    def _encode(self) -> None:
        last = None
        try:
            while True:
                try:
                    item = self._work.get(timeout=0.05)
                except queue.Empty:
                    item = None
                self._write_audio()
                if item is _STOP:
                    break
                if item is not None:
                    picture, frames = item
                    for _ in range(frames):
                        self.writer.write_video(picture.pixels)
                    if last is not None:
                        last.release()
                    last = picture   # kept for padding at the end
            self._pad(last)
            if last is not None:
                last.release()
        except BaseException as e:  # kept for stop(), which raises it
            self._failure = e
            self.error = str(e)

    def _write_audio(self) -> None:
        lost = self.audio_dropped
        block = self._audio.drain()
        n = block.shape[0]
        if n:
            self._stereo[:n, 0] = block
            self._stereo[:n, 1] = block
            self.writer.write_audio(self._stereo[:n])
        if lost > self._silenced:  # where the loss was is approximate; its length is exact
            self._write_silence(lost - self._silenced)
            self._silenced = lost

    def _write_silence(self, n: int) -> None:
        while n > 0:
            k = min(n, self._stereo.shape[0])
            self._stereo[:k] = 0.0
            self.writer.write_audio(self._stereo[:k])
            n -= k

    def _pad(self, last) -> None:
        """Make the picture and the sound end together, within a frame."""
        writer, fps, sr = self.writer, self.fps, self.sample_rate
        needed = -(-writer.samples * fps // sr)
        while last is not None and writer.frames < needed:
            writer.write_video(last.pixels)
        self._write_silence(round(writer.frames * sr / fps) - writer.samples)

    # -- lifetime ---------------------------------------------------------

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
        self._stopped = True
        notes_error = None
        if self.notes is not None:
            try:
                self._write_notes()   # a few kilobytes: the render thread can afford it
            except OutputError as e:
                notes_error = e        # the video is finished first, then this is raised
        if not wait:
            self._closer = threading.Thread(target=self._finish_quietly, name="recorder-close")
            self._closer.start()   # not a daemon: the program waits for the file to be whole
        else:
            self._finish()
            self._raise_failure()
        if notes_error is not None:
            raise notes_error

    def _finish(self) -> None:
        self._work.put(_STOP)
        self._thread.join()
        self.frames = self.writer.frames  # the end was padded to the sound's length
        if self._failure is None:
            self.writer.close()
        else:
            self.writer.abort()  # fragments already written still play

    def _finish_quietly(self) -> None:
        try:
            self._finish()
        except Exception as e:  # noqa: BLE001 -- reported through error, on no one's stack
            self._failure = self._failure or e
        if self._failure is not None:
            self.error = str(self._failure)
            print(f"visualizer: recording {self.path}: {self.error}", file=sys.stderr)

    def _raise_failure(self) -> None:
        if isinstance(self._failure, VisualizerError):
            raise OutputError(str(self._failure)) from None
        if self._failure is not None:
            raise self._failure

    def release(self) -> None:
        """Stop (if need be); kept for callers that release what they made."""
        self.stop()


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
