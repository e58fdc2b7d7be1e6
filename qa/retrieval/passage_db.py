"""The passage store: two SQLite files in the index folder, read by id when needed instead of held in memory.

`passages.sqlite` holds every passage (its JSON form: text, metadata, provenance) under a row number;
`documents.sqlite` holds each document's name, resolved source path, passage count and a digest of
its passages (kept apart, so a damaged passage file still tells which documents to re-read).

Rows carry the generation that added them and the one that removed them: a reader sees the rows of
the generation named in manifest.json, so a writer can add and remove rows in place and commit by
replacing manifest.json; rows of a generation that never got its manifest (a crash) are undone by
the next writer. Each reader holds one read transaction (WAL mode), a fixed snapshot of both files.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.records import Passage
from qa.serialize import passage_from_dict, passage_to_dict

PASSAGES_DB = "passages.sqlite"
DOCUMENTS_DB = "documents.sqlite"
_VISIBLE = "added <= :generation AND (removed IS NULL OR removed > :generation)"
_PASSAGES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS passages (row INTEGER PRIMARY KEY, id TEXT NOT NULL, document TEXT NOT NULL, "
    "body TEXT NOT NULL, added INTEGER NOT NULL, removed INTEGER)",
    "CREATE INDEX IF NOT EXISTS passages_id ON passages (id)",
    "CREATE INDEX IF NOT EXISTS passages_document ON passages (document)",
    "CREATE INDEX IF NOT EXISTS passages_removed ON passages (removed)",
)
_DOCUMENTS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS documents (name TEXT NOT NULL, source TEXT NOT NULL, passages INTEGER NOT NULL, "
    "digest TEXT NOT NULL, added INTEGER NOT NULL, removed INTEGER)",
    "CREATE INDEX IF NOT EXISTS documents_name ON documents (name)",
)


@dataclass(frozen=True)
class DocumentRecord:
    """One indexed document: the name it is cited by, its resolved path, its passage count and a digest of its passages."""

    name: str
    source: str
    passages: int
    digest: str


def passage_body(passage: Passage) -> str:
    """Return the stored JSON form of a passage."""
    return json.dumps(passage_to_dict(passage), ensure_ascii=False)


def readonly_uri(path: Path) -> str:
    """Return the SQLite URI that opens the database at `path` read-only (for `sqlite3.connect(..., uri=True)`)."""
    # A file URI needs an absolute path; the default data dir (.qa) is relative.
    return f"{path.absolute().as_uri()}?mode=ro"


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        connection = sqlite3.connect(readonly_uri(path), uri=True, isolation_level=None, check_same_thread=False, timeout=60)
    else:
        connection = sqlite3.connect(path, isolation_level=None, timeout=60)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
    return connection


class StoreReader:
    """A fixed snapshot of the passage store at one generation; safe to share between threads."""

    def __init__(self, folder: Path, generation: int) -> None:
        self.generation = generation
        self._lock = threading.Lock()
        for name in (PASSAGES_DB, DOCUMENTS_DB):
            if not (folder / name).is_file():
                raise ValueError(f"{name} is missing")
        self._passages = _opened(folder / PASSAGES_DB)
        self._documents = _opened(folder / DOCUMENTS_DB)

    def _rows(self, connection: sqlite3.Connection, sql: str, parameters: Mapping[str, object] | None = None) -> list[tuple]:
        with self._lock:
            return connection.execute(sql, {"generation": self.generation, **(parameters or {})}).fetchall()

    def documents(self) -> list[DocumentRecord]:
        """Return the documents visible at this generation, by name."""
        rows = self._rows(self._documents, f"SELECT name, source, passages, digest FROM documents WHERE {_VISIBLE} ORDER BY name")
        return [DocumentRecord(*row) for row in rows]

    def passage(self, passage_id: str) -> Passage | None:
        """Return the passage with this id, or None."""
        rows = self._rows(self._passages, f"SELECT body FROM passages WHERE id = :id AND {_VISIBLE}", {"id": passage_id})
        return passage_from_dict(json.loads(rows[0][0])) if rows else None

    def passages_of(self, documents: Iterable[str]) -> list[Passage]:
        """Return the passages of the given documents, in row order."""
        found: list[Passage] = []
        for name in documents:
            rows = self._rows(
                self._passages, f"SELECT body FROM passages WHERE document = :name AND {_VISIBLE} ORDER BY row", {"name": name}
            )
            found.extend(passage_from_dict(json.loads(body)) for (body,) in rows)
        return found

    def ids(self) -> list[str]:
        """Return every passage id, in row order."""
        return [passage_id for (passage_id,) in self._rows(self._passages, f"SELECT id FROM passages WHERE {_VISIBLE} ORDER BY row")]

    def ids_of_rows(self, rows: Sequence[int]) -> list[str]:
        """Return the passage id of each row number (rows deleted at this generation included)."""
        if not rows:
            return []
        wanted = sorted(set(rows))
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._lock:
                found.update(self._passages.execute(f"SELECT row, id FROM passages WHERE row IN ({','.join('?' * len(chunk))})", chunk))
        return [found[row] for row in rows]

    def dead_rows(self) -> np.ndarray:
        """Return the rows removed at or before this generation and not yet dropped from the store."""
        rows = self._rows(self._passages, "SELECT row FROM passages WHERE removed IS NOT NULL AND removed <= :generation")
        return np.array(sorted(row for (row,) in rows), dtype=np.int64)


def _opened(path: Path) -> sqlite3.Connection:
    """Return a read-only connection holding a read transaction (its snapshot) on the file."""
    connection = _connect(path, readonly=True)
    try:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        connection.close()
        raise ValueError(f"{path.name} is not a readable SQLite database ({error})") from None
    return connection


class LazyPassages(Mapping[str, Passage]):
    """Passages by id, read from the store when asked for (only the count is kept in memory)."""

    def __init__(self, reader: StoreReader, count: int) -> None:
        self._reader = reader
        self._count = count

    def __getitem__(self, passage_id: str) -> Passage:
        passage = self._reader.passage(passage_id)
        if passage is None:
            raise KeyError(passage_id)
        return passage

    def __iter__(self) -> Iterator[str]:
        return iter(self._reader.ids())

    def __len__(self) -> int:
        return self._count


class StoreWriter:
    """Changes to the passage store for one new generation, committed by `commit` (the caller then replaces manifest.json)."""

    def __init__(self, folder: Path) -> None:
        self._passages = _connect(folder / PASSAGES_DB, readonly=False)
        self._documents = _connect(folder / DOCUMENTS_DB, readonly=False)
        for statement in _PASSAGES_SCHEMA:
            self._passages.execute(statement)
        for statement in _DOCUMENTS_SCHEMA:
            self._documents.execute(statement)
        self._passages.execute("BEGIN IMMEDIATE")
        self._documents.execute("BEGIN IMMEDIATE")

    def undo_after(self, generation: int) -> None:
        """Undo whatever a writer that crashed before committing its manifest did after `generation`."""
        for connection, table in ((self._passages, "passages"), (self._documents, "documents")):
            connection.execute(f"DELETE FROM {table} WHERE added > ?", (generation,))
            connection.execute(f"UPDATE {table} SET removed = NULL WHERE removed > ?", (generation,))

    def next_row(self) -> int:
        """Return the first free row number."""
        (last,) = self._passages.execute("SELECT max(row) FROM passages").fetchone()
        return 0 if last is None else last + 1

    def add(self, documents: Sequence[DocumentRecord], passages: Sequence[Passage], first_row: int, generation: int) -> None:
        """Add documents and their passages (rows first_row, first_row + 1, ...) at a generation."""
        self._documents.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, NULL)", [(d.name, d.source, d.passages, d.digest, generation) for d in documents]
        )
        self._passages.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, NULL)",
            ((first_row + offset, p.id, p.document, passage_body(p), generation) for offset, p in enumerate(passages)),
        )

    def remove(self, documents: Iterable[str], generation: int) -> None:
        """Mark the documents and their passages removed at a generation."""
        for name in documents:
            self._documents.execute("UPDATE documents SET removed = ? WHERE name = ? AND removed IS NULL", (generation, name))
            self._passages.execute("UPDATE passages SET removed = ? WHERE document = ? AND removed IS NULL", (generation, name))

    def removed_rows(self, generation: int) -> np.ndarray:
        """Return every row removed at or before a generation that is still stored."""
        rows = self._passages.execute("SELECT row FROM passages WHERE removed IS NOT NULL AND removed <= ?", (generation,))
        return np.array(sorted(row for (row,) in rows), dtype=np.int64)

    def drop(self, rows: np.ndarray) -> None:
        """Delete rows for good (rows no segment holds any more, removed in an earlier committed generation)."""
        self._passages.executemany("DELETE FROM passages WHERE row = ?", [(int(row),) for row in rows])

    def drop_documents_removed_by(self, generation: int) -> None:
        """Delete the records of documents removed at or before a committed generation."""
        self._documents.execute("DELETE FROM documents WHERE removed IS NOT NULL AND removed <= ?", (generation,))

    def commit(self) -> None:
        """Commit both files (documents last: a document is listed only once its passages are stored) and close them."""
        self._passages.execute("COMMIT")
        self._documents.execute("COMMIT")
        self.close()

    def close(self) -> None:
        """Close both files; anything not committed is rolled back."""
        self._passages.close()
        self._documents.close()
