"""No display at all: ``visualizer live --headless``, a box in the rack that
listens and records (or, later, streams) with no window and no display
server. Frames are paced by the clock at ``refresh`` per second; Ctrl-C or
SIGTERM ends the show as Esc ends a windowed one."""

import signal
import threading
import time

import numpy as np

from visualizer.output.display.base import Display
from visualizer.output.png import write_png


class HeadlessDisplay(Display):
    """Runs the loop ``refresh`` times a second; shows nothing."""

    def __init__(self, size: tuple[int, int], refresh: float = 60.0):
        self._size = (int(size[0]), int(size[1]))
        self.refresh = float(refresh)
        self._stop = threading.Event()
        self._picture = None

    def size(self) -> tuple[int, int]:
        return self._size

    def run(self, loop) -> bool:
        period = 1.0 / self.refresh
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *_: self.stop()) if main else None
        try:
            due = time.perf_counter()
            while not self._stop.is_set():
                try:
                    loop.frame()
                except Exception as e:  # noqa: BLE001 -- the show goes on: last picture + error
                    loop.fault(e)
                loop.shown()
                due += period
                wait = due - time.perf_counter()
                if wait > 0:
                    self._stop.wait(wait)
                else:
                    due = time.perf_counter()   # late: start again from now, no burst
        except KeyboardInterrupt:
            return True
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
        return False

    def stop(self) -> None:
        self._stop.set()

    def present(self, texture, gain: float) -> None:
        self._picture = texture

    def screenshot(self, path) -> None:
        """The program picture last presented (no HUD: there is no screen)."""
        if self._picture is None:
            return
        w, h = self._picture.size
        pixels = np.frombuffer(self._picture.read(components=3), np.uint8).reshape(h, w, 3)
        write_png(path, pixels[::-1])
