"""Hot reload: edit a scene or shader while the show runs.

The watcher polls modification times on the render thread (a handful of
``os.stat`` calls a few times a second: nothing to lock, and GL stays on the
thread that owns it). A change recompiles the scene; if that fails, the last
good version keeps running and the error (file:line and message) is kept for
the screen and printed once. Live, a new version goes on through a
:class:`~visualizer.engine.guard.FrameGuard`, which refuses (or takes back)
one that compiles but is far too slow to show, with the same outcome.
"""

import sys
import time
from pathlib import Path

from visualizer.errors import VisualizerError
from visualizer.scenes.scene import load_scene, reload_scene


class SceneWatcher:
    """Reloads an engine's scenes when their files change.

    A scene is read again the way it was loaded: its shaders found beside
    its file, then in the built-in shaders folder it was loaded against
    (``Scene.shader_dirs``), so a scene in a performer's own folder reloads
    like a built-in one.
    """

    def __init__(self, engine, *, interval: float = 0.2, shaders_dir: Path | None = None,
                 stream=sys.stderr, admit=None):
        self.engine = engine
        self.admit = admit or engine.replace
        """callable(scene): puts a reloaded version on, raising a
        VisualizerError to keep the old one (the engine's replace, or a
        FrameGuard's, which first checks that it is not far too slow)."""
        self.interval = interval
        self.shaders_dir = shaders_dir
        """The built-in shaders folder to reload against, or None (the
        default): the one each scene was loaded against."""
        self.stream = stream
        self.errors: dict[str, str] = {}
        """Scene key -> the error that keeps its last good version on screen."""
        self.reloads = 0
        self._stamps = {key: self._stamp(key) for key in engine.keys}
        self._next = 0.0

    def _files(self, key: str) -> list[Path]:
        compiled = self.engine.renderer.scenes.get(key)
        scene = next(s for s in self.engine.scenes if s.key == key)
        files = list(compiled.dependencies) if compiled else list(scene.files)
        return files + [f for f in scene.files if f not in files]

    def _stamp(self, key: str) -> tuple:
        stamps = []
        for f in self._files(key):
            try:
                st = f.stat()
                stamps.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def poll(self, now: float | None = None) -> list[str]:
        """Check the files (at most every ``interval`` s); returns the keys reloaded."""
        now = time.monotonic() if now is None else now
        if now < self._next:
            return []
        self._next = now + self.interval
        reloaded = []
        for key in self.engine.keys:
            stamp = self._stamp(key)
            if stamp == self._stamps.get(key):
                continue
            self._stamps[key] = stamp
            if self.reload(key):
                reloaded.append(key)
        return reloaded

    def reload(self, key: str) -> bool:
        """Reload scene ``key`` now; False (and the error kept) if it fails."""
        scene = next(s for s in self.engine.scenes if s.key == key)
        try:
            new = (reload_scene(scene) if self.shaders_dir is None
                   else load_scene(scene.path, shaders_dir=self.shaders_dir))
            self.admit(new)
        except VisualizerError as e:
            self.keep(key, str(e))
            self._stamps[key] = self._stamp(key)
            return False
        if self.errors.pop(key, None) is not None:
            print(f"visualizer: '{key}' works again", file=self.stream, flush=True)
        self.reloads += 1
        self._stamps[key] = self._stamp(key)
        return True

    def keep(self, key: str, message: str) -> None:
        """The last good version of ``key`` stays on because of ``message``:
        kept for the screen until the next good edit, printed once."""
        if self.errors.get(key) != message:
            print(f"visualizer: {message} (keeping the last good '{key}')",
                  file=self.stream, flush=True)
        self.errors[key] = message

    @property
    def error(self) -> str:
        """The error of the scene on screen, if its newest edit failed."""
        return self.errors.get(self.engine.current, "")
