"""Crash-safe model directories: assembled under a temporary name, then renamed into place with a marker file.

A reader sees the old directory or the complete new one, never a partial one; a directory is up to date when
its marker file holds every key of the fingerprint that would build it again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

FILE_MODE = 0o644
DIR_MODE = 0o755


def is_up_to_date(out_dir: Path, fingerprint: Mapping[str, object], marker_file: str) -> bool:
    """Return True if ``out_dir/marker_file`` is a JSON object matching every key of ``fingerprint``."""
    try:
        marker = json.loads((Path(out_dir) / marker_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and all(marker.get(k) == v for k, v in fingerprint.items())


def publish_dir(out_dir: Path, marker: Mapping[str, object], marker_file: str, write: Callable[[Path], None]) -> Path:
    """Build a directory with ``write(staging)``, add the marker file, and rename it to ``out_dir``; returns ``out_dir``.

    Files are made world-readable. An older ``out_dir`` is replaced; if a concurrent builder published the same
    marker first, its directory is kept.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        write(staging)
        write_json(staging / marker_file, dict(marker))
        for root, _dirs, files in os.walk(staging):
            os.chmod(root, DIR_MODE)
            for name in files:
                os.chmod(os.path.join(root, name), FILE_MODE)
        _swap(staging, out_dir, marker, marker_file)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def write_json(path: Path, content: object) -> None:
    """Write ``content`` as indented UTF-8 JSON at ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _swap(staging: Path, out_dir: Path, marker: Mapping[str, object], marker_file: str) -> None:
    stale = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}.old")
    if out_dir.exists():
        os.rename(out_dir, stale)
    try:
        os.rename(staging, out_dir)
    except OSError:
        if not is_up_to_date(out_dir, marker, marker_file):  # else a concurrent builder won the race
            raise
    finally:
        shutil.rmtree(stale, ignore_errors=True)  # the outdated directory
