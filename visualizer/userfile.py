"""A performer's files (scenes, timelines, setlists, MIDI maps, shaders):
every way reading one can fail becomes the caller's one-line error naming
the file, and whatever the file holds is shown in it on one line."""

import tomllib
from pathlib import Path

from visualizer.errors import VisualizerError


MAX_TOML_BYTES = 2**20
"""A scene, timeline, setlist or MIDI map is a few kilobytes: a file over a
megabyte is the wrong file (and valid TOML that size takes tomllib seconds)."""


def read_toml(path: Path, error: type[VisualizerError], what: str) -> dict:
    """The tables of the TOML file at ``path``.

    Raises ``error`` naming the file when it is missing, unreadable (a
    folder, no permission), over ``MAX_TOML_BYTES``, not UTF-8, malformed,
    or nested too deeply for the parser (tomllib recurses once per level).
    A byte-order mark, which some editors write, is not a mistake.
    """
    text = read_text(path, error, what, MAX_TOML_BYTES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: malformed TOML: {e}") from None
    except RecursionError:
        raise error(f"{path}: malformed TOML: arrays or tables nested too deeply") from None


def read_text(path: Path, error: type[VisualizerError], what: str, limit: int) -> str:
    """The UTF-8 text of the file at ``path`` (a byte-order mark dropped);
    ``error`` naming the file when it is missing, unreadable, over ``limit``
    bytes or not UTF-8."""
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what}: {e}") from None
    if len(raw) > limit:
        raise error(f"{path}: over {limit // 2**20} MB: not a {what} (the wrong file?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{path}: cannot read the {what}: {e}") from None


def label(name) -> str:
    """A key or name from a user's file as an error message shows it in a
    path (``params.NAME.range``): as it is when plainly printable, else
    quoted with its line breaks and other unprintable characters escaped,
    so the message stays one line whatever the file holds; cut short if
    long."""
    plain = isinstance(name, str) and 0 < len(name) <= 80 and name.isprintable()
    return name if plain else shown(name)


def shown(value) -> str:
    """A value from a user's file as an error message shows it: quoted like
    ``repr`` (one line whatever it holds), and cut short if long: an error
    line (and the overlay that shows it live) is no place for a megabyte."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def is_number(value) -> bool:
    """A TOML number (an integer or a float, not a boolean, which Python
    counts as an integer)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_int(value) -> bool:
    """A TOML integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_keys(path: Path, table: dict, allowed, error: type[VisualizerError],
               where: str = "") -> None:
    """Raise ``error`` naming the first key of ``table`` that is not in
    ``allowed`` (a typo in a performer's file is an error, never ignored):
    ``song.toml: cues[2].sene: unknown key (known: scene, transition)``."""
    for key in table:
        if key not in allowed:
            prefix = f"{where}." if where and not where.endswith((".", ": ")) else where
            raise error(f"{path}: {prefix}{label(key)}: unknown key "
                        f"(known: {', '.join(sorted(allowed))})")


def key_path(where: str, key) -> str:
    """``key`` under ``where`` as error messages name a place in a file,
    joined the way :func:`check_keys` joins them: ``cue[2].scene`` after a
    path, ``song 1 'A': cue 2: scene`` after a ``where`` that ends in ': '."""
    prefix = f"{where}." if where and not where.endswith((".", ": ")) else where
    return f"{prefix}{label(key)}"
