"""Thumbnails of every scene for a remote's grid, drawn as a show starts.

The snapshot path (:func:`visualizer.engine.stills.render_stills`, headless
EGL) draws each scene at the demo track's climax in a process of its own at
low priority: the show's render thread shares no lock and no interpreter
with it, and a machine with spare cores draws them while the show runs.
Each thumbnail is handed to ``deliver(key, jpeg)`` as soon as it is drawn,
so a remote's grid fills in scene by scene.
"""

import multiprocessing
import os
import queue
import threading

from visualizer.control.base import Control

THUMB_SIZE = (256, 144)
MOMENT_S = 15.0           # into the demo track: its climax, every scene at its liveliest
_AUDIO_S = 16.0           # as much of the track as the moment needs
_STOP_WAIT = 1.0


class Thumbnails(Control):
    """Draws ``scenes`` as JPEG thumbnails of ``size`` for ``deliver(key,
    jpeg)`` (called on a thread of its own).

    Not a control in the bus's sense (it posts nothing), but it lives like
    one (``LiveOptions.controls``): started with the show, stopped after.
    ``drawn`` and ``failed`` (key: why) say how it went.
    """

    def __init__(self, scenes, deliver, *, size: tuple[int, int] = THUMB_SIZE):
        self.scenes, self.deliver, self.size = list(scenes), deliver, tuple(size)
        self.drawn: list[str] = []
        self.failed: dict[str, str] = {}
        self.done = threading.Event()
        self._process = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start drawing in a child process; returns at once."""
        if self._process is not None or self._stopping.is_set():
            return
        context = multiprocessing.get_context("spawn")   # no fork of a process holding GL
        results = context.Queue()
        self._process = context.Process(target=draw, args=(self.scenes, self.size, results),
                                        name="visualizer-thumbnails", daemon=True)
        self._process.start()
        self._thread = threading.Thread(target=self._receive, args=(results,),
                                        name="thumbnails", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop drawing (the child is ended if it is still at it); idempotent."""
        self._stopping.set()
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(_STOP_WAIT)
        if self._thread is not None:
            self._thread.join(_STOP_WAIT)

    def _receive(self, results) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    item = results.get(timeout=0.2)
                except queue.Empty:
                    if not self._process.is_alive() and results.empty():
                        self.failed.setdefault("*", f"the drawing process ended "
                                                    f"(exit {self._process.exitcode})")
                        return
                    continue
                if item is None:
                    return
                key, data, why = item
                if data is None:
                    self.failed[key] = why
                else:
                    self.drawn.append(key)
                    self.deliver(key, data)
        finally:
            self.done.set()


def draw(scenes, size: tuple[int, int], results) -> None:
    """The child process: each scene's still at ``MOMENT_S`` of the demo
    track, as ``(key, jpeg, "")`` or ``(key, None, why)`` on ``results``,
    then None."""
    try:
        os.nice(10)   # the show comes first
    except OSError:
        pass
    from visualizer.analysis.track import analyze
    from visualizer.audio.demo import DEMO_SAMPLE_RATE, demo_track
    from visualizer.audio.file_source import mono
    from visualizer.engine.stills import render_stills
    from visualizer.output.preview import jpeg

    sr = DEMO_SAMPLE_RATE
    samples = mono(demo_track(sr))[:int(_AUDIO_S * sr)]
    track = analyze(samples, sample_rate=sr)
    for scene in scenes:
        try:
            still = render_stills(samples, [scene], [MOMENT_S], size, sample_rate=sr,
                                  track=track, name="the demo track")[(scene.key, MOMENT_S)]
            results.put((scene.key, jpeg(still, quality=80), ""))
        except Exception as e:  # noqa: BLE001 -- one scene that cannot draw leaves a blank tile
            results.put((scene.key, None, f"{type(e).__name__}: {e}"))
    results.put(None)
