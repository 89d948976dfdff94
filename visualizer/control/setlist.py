"""The setlist: songs, each a sequence of cues, stepped by a footswitch.

    title = "Almaty, Nov 28"
    [[song]]
    name = "Steppe Blues"
    [[song.cue]]
    scene = "steppe"            # the song opens here
    [[song.cue]]
    scene = "club"
    transition = "dissolve"     # a file stem in shaders/transitions, or "cut"
    beats = 2                   # or duration = 1.5 (seconds; neither: the default below)
    quantize = "bar"            # none | beat | bar (default "beat")

A cue's keys are a timeline cue's (see :mod:`visualizer.scenes.cues`, which
reads both), less its time. A cue without a transition crossfades over one
beat, as a scene key does; ``transition = "cut"`` switches at once. Mistakes
are one-line :class:`ControlError` naming the file, the song and the cue
(``seconds``, the length's old name, among them).

Stepping: :meth:`Setlist.next` goes to the next cue, and after a song's last
cue to the next song's first. At the end of the set it stays on the last cue
and returns None (the footswitch does nothing; the HUD says "end of set").
:meth:`Setlist.prev` mirrors it at the start.
"""

from dataclasses import dataclass
from pathlib import Path

from visualizer.errors import ControlError
from visualizer.scenes.cues import SETLIST_CUE, Cue, read_cue
from visualizer.userfile import check_keys, read_toml, shown

_TOP_KEYS = {"title", "song"}
_SONG_KEYS = {"name", "cue"}


@dataclass(frozen=True)
class Song:
    """One song: its name and its cues, in order (at least one)."""

    name: str
    cues: tuple[Cue, ...]


class Setlist:
    """A loaded setlist and where the show is in it (song, cue), from (0, 0)."""

    def __init__(self, title: str, songs: list[Song], *, path: str = ""):
        if not songs:
            raise ValueError("a setlist needs at least one song")
        self.title = title
        self.songs = tuple(songs)
        self.path = path
        self._song = 0
        self._cue = 0

    @classmethod
    def load(cls, path, scenes: list[str], transitions: list[str],
             looks: dict | None = None, effects=None) -> "Setlist":
        """Read and check ``path`` against the scene keys and transition names
        (and, given ``looks`` ({scene: look names}), the looks its cues name;
        given ``effects`` (names, or {name: its looks}), the effects they turn on)."""
        path = Path(path)
        data = read_toml(path, ControlError, "setlist")
        check_keys(path, data, _TOP_KEYS, ControlError)
        title = data.get("title", path.stem)
        if not isinstance(title, str):
            raise ControlError(f"{path}: title: expected a string")
        entries = data.get("song")
        if not entries:
            raise ControlError(f"{path}: no [[song]]: a setlist needs at least one song")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ControlError(f"{path}: song: expected [[song]] tables")
        songs, names = [], set()
        for i, entry in enumerate(entries):
            song = _song(path, i, entry, list(scenes), set(transitions), looks, effects)
            if song.name.casefold() in names:
                raise ControlError(f"{path}: song {i + 1} {shown(song.name)}: "
                                   f"the name is used twice (goto by name needs it unique)")
            names.add(song.name.casefold())
            songs.append(song)
        return cls(title, songs, path=str(path))

    # Where we are.

    def current(self) -> tuple[int, int]:
        """(song index, cue index), both from 0."""
        return self._song, self._cue

    def cue(self) -> Cue:
        """The current cue (the show starts by requesting it)."""
        return self.songs[self._song].cues[self._cue]

    def song(self) -> Song:
        """The current song."""
        return self.songs[self._song]

    @property
    def at_end(self) -> bool:
        """True on the last cue of the last song."""
        return self._song == len(self.songs) - 1 and self._cue == len(self.song().cues) - 1

    # Moving.

    def next(self) -> Cue | None:
        """The next cue (the next song's first after a song's last), or None
        at the end of the set, where the position stays."""
        if self.at_end:
            return None
        if self._cue + 1 < len(self.song().cues):
            self._cue += 1
        else:
            self._song, self._cue = self._song + 1, 0
        return self.cue()

    def prev(self) -> Cue | None:
        """The previous cue (the previous song's last before a song's first),
        or None at the very start, where the position stays."""
        if self._cue > 0:
            self._cue -= 1
        elif self._song > 0:
            self._song -= 1
            self._cue = len(self.song().cues) - 1
        else:
            return None
        return self.cue()

    def goto_song(self, song: str | int) -> Cue:
        """Go to the first cue of ``song``: its name (any case) or its index
        from 0. Raises ControlError for a song that is not in the set."""
        if isinstance(song, str):
            wanted = song.strip().casefold()
            index = next((i for i, s in enumerate(self.songs) if s.name.casefold() == wanted), -1)
            if index < 0:
                known = ", ".join(f"'{s.name}'" for s in self.songs)
                raise ControlError(f"{self.path or 'setlist'}: no song '{song}' (known: {known})")
        else:
            index = int(song)
            if not 0 <= index < len(self.songs):
                raise ControlError(f"{self.path or 'setlist'}: no song number {index} "
                                   f"(0..{len(self.songs) - 1})")
        self._song, self._cue = index, 0
        return self.cue()

    # For the HUD.

    def position_text(self) -> str:
        """Where the show is, e.g. ``2/5 Steppe Blues · cue 3/4 club``."""
        song = self.song()
        return (f"{self._song + 1}/{len(self.songs)} {song.name} · "
                f"cue {self._cue + 1}/{len(song.cues)} {self.cue().scene}")

    def upcoming(self) -> str:
        """The scene the next cue goes to ('' at the end of the set)."""
        if self.at_end:
            return ""
        if self._cue + 1 < len(self.song().cues):
            return self.song().cues[self._cue + 1].scene
        return self.songs[self._song + 1].cues[0].scene


def _song(path: Path, i: int, entry: dict, scenes: list[str], transitions: set[str],
          looks: dict | None = None, effects: list[str] | None = None) -> Song:
    name = entry.get("name")
    where = f"song {i + 1}"
    if not isinstance(name, str) or not name.strip():
        raise ControlError(f"{path}: {where}: give it a name (name = \"...\")")
    where = f"song {i + 1} {shown(name)}"
    check_keys(path, entry, _SONG_KEYS, ControlError, f"{where}: ")
    cues = entry.get("cue")
    if not cues:
        raise ControlError(f"{path}: {where}: no [[song.cue]]: say which scene it starts with")
    if not isinstance(cues, list) or not all(isinstance(c, dict) for c in cues):
        raise ControlError(f"{path}: {where}: cue: expected [[song.cue]] tables")
    return Song(name.strip(), tuple(
        read_cue(path, f"{where}: cue {j + 1}: ", c, scenes=scenes, transitions=transitions,
                 defaults=SETLIST_CUE, error=ControlError, looks=looks, effects=effects)
        for j, c in enumerate(cues)))
