"""One writer at a time: an exclusive lock file per resource, naming its holder to whoever has to wait."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import QAError


def holder_of(lock_path: Path) -> str:
    """Return who holds (or last held) a lock, as 'pid N (`command`, since HH:MM:SS UTC)', or 'another process'."""
    try:
        owner = json.loads(_owner_path(lock_path).read_text(encoding="utf-8"))
        return f"pid {owner['pid']} (`{owner['command']}`, since {owner['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def exclusive(
    lock_path: Path,
    what: str,
    wait: bool = True,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the lock file for the block; when it is taken, report its holder and wait (or raise QAError).

    The lock is an OS file lock (flock), so a process that dies, even by SIGKILL, releases it.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, is_singleton=False, preserve_lock_file=True)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = holder_of(lock_path)
        if not wait:
            raise QAError(f"{what} is being changed by {holder}; wait for it to finish and try again") from None
        if on_wait is not None:
            on_wait(f"waiting for {holder}, which is changing {what}")
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise QAError(f"{what} is still being changed by {holder_of(lock_path)} after {timeout:g} s; try again later") from None
    try:
        _owner_path(lock_path).write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "command": " ".join(["qa", *sys.argv[1:]])[:200],
                    "since": time.strftime("%H:%M:%S UTC", time.gmtime()),
                }
            ),
            encoding="utf-8",
        )
        yield
    finally:
        lock.release()


def _owner_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".owner")
