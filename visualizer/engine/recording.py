"""A live show's sinks: the recorder, started and stopped as the show asks
(R, ``--record``), and any sinks given from the start (``LiveOptions.sinks``),
fed the sound before the gate and the program picture through the one
read-back every sink shares. Both are timed by the sound the show has heard,
so a picture cannot drift from its sound however long the set."""

import sys
import time
from pathlib import Path

from visualizer.output.recorder import LiveRecorder, next_path
from visualizer.output.sink import ProgramOut


class Recording:
    """The live recorder (at most one at a time), the other sinks, their read-back."""

    def __init__(self, ctx, sample_rate: int, refresh: float, options, result):
        self.sample_rate, self.fps = sample_rate, _record_fps(refresh)
        self.o, self.result = options, result
        self.out = ProgramOut(ctx, in_flight=2, pool=8, wait=False)
        self.recorder: LiveRecorder | None = None
        for sink in options.sinks:
            self.out.add(sink)
        self._heard = 0     # samples heard since the show began: the sinks' clock
        self._index = 0

    @property
    def dropped(self) -> int:
        return self.recorder.dropped if self.recorder is not None else 0

    @property
    def ok(self) -> bool:
        return self.recorder is not None and self.recorder.error is None

    @property
    def problem(self) -> str:
        rec = self.recorder
        problems = [f"record: {rec.error}" if rec is not None and rec.error else ""]
        problems += [sink.problem for sink in self.o.sinks]   # a stream's, say
        return " | ".join(p for p in problems if p)

    def follow(self, want: bool, size: tuple[int, int]) -> bool:
        """Start or stop as the show's ``recording`` switch says; whether it records."""
        if want and self.recorder is None:
            self.start(size)
        elif not want and self.recorder is not None:
            self.stop()
        return self.recorder is not None

    def sound(self, samples) -> None:
        self._heard += samples.shape[0]
        if self.out.sinks:
            self.out.sound(samples, self._heard / self.sample_rate)

    def picture(self, texture) -> None:
        """The program picture of this frame, at the time of the sound it shows."""
        self._index += 1
        if self.out.sinks:
            self.out.frame(texture, self._index, self._heard / self.sample_rate)

    def start(self, size: tuple[int, int], strict: bool = False) -> bool:
        base = self.o.record or Path(time.strftime("visualizer-%Y%m%d-%H%M%S.mp4"))
        path = next_path(base)   # never over an earlier recording
        try:
            recorder = LiveRecorder(size, path, fps=self.fps, sample_rate=self.sample_rate,
                                    origin=self._heard / self.sample_rate)
        except Exception as e:  # noqa: BLE001 -- a recording that cannot start is not fatal live
            if strict:
                raise
            self._failed(e)
            return False
        self.recorder = recorder
        self.out.add(recorder)
        self.result.recordings.append(path)
        if self.o.on_record is not None:
            self.o.on_record(recorder)
        return True

    def stop(self, wait: bool = False) -> None:
        """Stop recording; the file is finished on a thread of its own unless
        ``wait`` (at exit), so the show does not stall on R."""
        recorder, self.recorder = self.recorder, None
        try:
            self.out.flush()
            self.out.remove(recorder)
            recorder.stop(wait=wait)
        except Exception as e:  # noqa: BLE001 -- a failed file must not stop the show
            self._failed(e)
        finally:
            self.result.dropped += recorder.dropped

    def _failed(self, error: Exception) -> None:
        bus = self.o.bus
        bus.failed += 1
        bus.last_error = f"record: {error}"
        print(f"visualizer: record: {error}", file=sys.stderr)

    def close(self) -> None:
        if self.recorder is not None:
            self.stop(wait=True)
        self.out.flush()
        for sink in self.o.sinks:
            try:
                sink.close()
            except Exception as e:  # noqa: BLE001 -- the others still close
                self._failed(e)
        self.out.release()


def _record_fps(refresh: float) -> int:
    """Record at the display rate when it is a video rate, else 30."""
    for fps in (60, 50, 30, 25, 24):
        if abs(refresh - fps) < 1.0:
            return fps
    return 30
