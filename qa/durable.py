"""Files that survive a crash: written to a temporary name, flushed to disk, then renamed into place."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's contents (a folder's: its entries, i.e. renames inside it) to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_tree(folder: Path) -> None:
    """Flush every file under a folder, then every folder bottom-up, to disk."""
    for directory, _, names in os.walk(folder, topdown=False):
        for name in names:
            fsync_path(Path(directory, name))
        fsync_path(Path(directory))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` by `data` so a reader sees the old or the new contents, never a torn file, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def jsonl_line(row: dict[str, Any]) -> str:
    """Return a JSON Lines row; U+2028/U+2029 are escaped so readers that split on every line break stay whole."""
    text = json.dumps(row, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
