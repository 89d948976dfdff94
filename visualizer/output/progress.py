"""A progress bar on stderr: frames, frames per second and time left."""

import sys
import time


class Progress:
    """Redraws one line in a terminal; prints every tenth otherwise (logs, CI)."""

    def __init__(self, total: int, *, label: str = "render", stream=None):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        self._last_tenth = -1

    def update(self, done: int) -> None:
        """Show that ``done`` frames are finished."""
        now = time.perf_counter()
        tenth = min(10, done * 10 // self.total)
        if self.tty and now - self._last_draw < 0.1 and done < self.total:
            return
        if not self.tty and tenth == self._last_tenth:
            return
        self._last_draw, self._last_tenth = now, tenth
        elapsed = now - self._t0
        fps = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / fps if fps > 0 else 0.0
        frac = min(done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        line = (f"{self.label} [{bar:<30}] {done}/{self.total} frames "
                f"{fps:5.1f} fps, {left:4.0f} s left")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self, done: int) -> None:
        """Final line with the totals."""
        elapsed = time.perf_counter() - self._t0
        fps = done / elapsed if elapsed > 0 else 0.0
        end = "\n" if self.tty else ""
        self.stream.write(f"{end}{self.label}: {done} frames in {elapsed:.1f} s ({fps:.1f} fps)\n")
        self.stream.flush()
