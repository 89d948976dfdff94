"""Writing a MIDI mapping file: MIDI learn edits the player's file in place,
keeping their comments, and writes it whole only when its layout is not one
it can edit."""

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

from visualizer.control.midi.mapping import KINDS
from visualizer.errors import ControlError

_HEADER = re.compile(r"^\s*\[\[\s*(\w+)\s*\]\]\s*(#.*)?$")


def save(path: Path, old: dict, new: dict, removed: dict, added: dict) -> None:
    """Write ``new`` to ``path``: edit the file's text when it still holds
    ``old`` (its comments stay), else write the whole mapping."""
    text = None
    try:
        current = path.read_text()
        if tomllib.loads(current) == old:
            text = _edit(current, removed, added)
            if text is not None and tomllib.loads(text) != new:
                text = None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass                                    # missing or unreadable: write it whole
    if text is None:
        text = dumps(new)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise ControlError(f"{path}: cannot save MIDI map: {e}") from None


def _edit(text: str, removed: dict, added: dict) -> str | None:
    """``text`` without the removed [[tables]] (and the comment lines right
    above them) and with the added ones at the end; None if its layout is not
    one this can edit (the caller then writes the file whole)."""
    lines = text.splitlines()
    heads = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    if any(kind not in KINDS for _, kind in heads) or any(
            line.lstrip().startswith("[") and not _HEADER.match(line) for line in lines):
        return None
    starts = []
    for i, _ in heads:                       # a table owns the comments right above it
        while i > 0 and lines[i - 1].lstrip().startswith("#"):
            i -= 1
        starts.append(i)
    drop, seen = set(), {k: 0 for k in KINDS}
    for n, (i, kind) in enumerate(heads):
        if seen[kind] in removed.get(kind, ()):
            end = starts[n + 1] if n + 1 < len(heads) else len(lines)
            drop.update(range(starts[n], end))
        seen[kind] += 1
    kept = [line for i, line in enumerate(lines) if i not in drop]
    while kept and not kept[-1].strip():
        kept.pop()
    for kind, entry in added.items():
        kept += ["", f"[[{kind}]]", *(f"{_key(k)} = {_value(v)}" for k, v in entry.items())]
    return "\n".join(kept) + "\n"


def dumps(data: dict) -> str:
    """A mapping as TOML text (this schema only: numbers, strings, booleans,
    lists and inline tables under [[note]], [[program]], [[cc]], [[footswitch]])."""
    lines = ["# MIDI map for visualizer (written by MIDI learn; see visualizer/control/midi/mapping.py)"]
    for key in ("channel", "program_scenes"):
        if key in data:
            lines.append(f"{key} = {_value(data[key])}")
    for kind in KINDS:
        for entry in data.get(kind, []):
            lines += ["", f"[[{kind}]]", *(f"{_key(k)} = {_value(v)}" for k, v in entry.items())]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _value(key)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)                       # 1.0, 1e-05, inf, nan: all valid TOML
    if isinstance(v, str):                   # JSON's escapes are TOML's; DEL must be escaped too
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")
