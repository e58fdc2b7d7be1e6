"""A persistent embedding cache keyed by model fingerprint and text hash (SQLite in the data dir)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np

from qa.errors import QAError


def text_key(text: str) -> str:
    """Return the cache key of a text: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors already computed, so re-indexing embeds only new or changed passages."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, timeout=60)
        try:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
            )
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._damaged(error) from None
        return connection

    def _damaged(self, error: sqlite3.DatabaseError) -> QAError:
        return QAError(f"the embedding cache {self._path} is damaged ({error}); delete that file and index again (it only saves time)")

    @contextmanager
    def _reporting_damage(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as error:
            raise self._damaged(error) from None

    def get_many(self, model: str, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors of the given text keys for a model fingerprint (missing keys left out)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        with closing(self._connect()) as connection, connection, self._reporting_damage():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = connection.execute(
                    f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                    [model, *chunk],
                )
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors under their text keys for a model fingerprint."""
        with closing(self._connect()) as connection, connection, self._reporting_damage():
            connection.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in vectors.items()],
            )
