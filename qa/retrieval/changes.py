"""Which documents an index update adds, replaces, renames or drops, decided from names, sources and content digests.

A document is identified by its resolved path (its source) and named relative to the working folder;
an unchanged document (same source, same digest of its passages) is left alone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from qa.ingest.pipeline import IngestResult, display_path
from qa.records import Passage
from qa.retrieval.manifest import MANIFEST
from qa.retrieval.passage_db import DOCUMENTS_DB, DocumentRecord, StoreReader, passage_body, readonly_uri


@dataclass(frozen=True)
class Change:
    """The documents a run removes (by name) and adds (record and passages), and notes for the user."""

    removed: set[str]
    added: list[tuple[DocumentRecord, list[Passage]]]
    notes: tuple[str, ...]


def document_changes(reader: StoreReader, ingested: IngestResult, roots: Sequence[Path], prune: bool) -> Change:
    """Return what to remove and add: changed or vanished documents under the roots, unchanged ones left alone.

    Documents not under the roots stay (with `prune`, they go); one that a new document takes the
    name of is renamed to its absolute path (names are shown relative to the working folder, so runs
    from different folders can give two files the same name; identity is the resolved path).
    """
    records = {record.name: record for record in reader.documents()}
    new_sources = sources_of(ingested)
    by_document: dict[str, list[Passage]] = {}
    for passage in ingested.passages:
        by_document.setdefault(passage.document, []).append(passage)
    not_given = {name for name, record in records.items() if not under_any(Path(record.source), roots)}
    removed: set[str] = set()
    added: list[tuple[DocumentRecord, list[Passage]]] = []
    notes: tuple[str, ...] = ()
    if prune:
        removed |= not_given
        notes = (f"pruned {len(not_given)} documents not under the given paths",) if not_given else ()
    else:
        for name in sorted(not_given & new_sources.keys()):
            renamed_to = Path(records[name].source).as_posix()
            renamed = [replace(p, id=renamed_to + p.id[len(name) :], document=renamed_to) for p in reader.passages_of([name])]
            removed.add(name)
            added.append((document_record(renamed_to, records[name].source, renamed), renamed))
    for name, source in new_sources.items():
        passages = by_document.get(name, [])
        record = document_record(name, source, passages)
        old = records.get(name)
        if old is not None and name not in not_given:
            if (old.source, old.digest) == (record.source, record.digest):
                continue
            removed.add(name)
        if passages:
            added.append((record, passages))
    removed |= {name for name in records if name not in not_given and name not in new_sources}
    return Change(removed, added, notes)


def passage_difference(old: Sequence[Passage], new: Sequence[Passage]) -> tuple[int, int]:
    """Return how many passage ids are new or changed in `new`, and how many of `old` are gone or changed."""
    old_texts = {passage.id: passage.text for passage in old}
    new_texts = {passage.id: passage.text for passage in new}
    added = sum(1 for key, text in new_texts.items() if old_texts.get(key) != text)
    removed = sum(1 for key, text in old_texts.items() if new_texts.get(key) != text)
    return added, removed


def document_record(name: str, source: str, passages: Sequence[Passage]) -> DocumentRecord:
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(passage_body(passage).encode("utf-8") + b"\n")
    return DocumentRecord(name, source, len(passages), digest.hexdigest())


def recorded_sources(directory: Path) -> dict[str, str]:
    """Return every document a damaged index still names (manifest of an older format, documents.sqlite, passage lines)."""
    sources: dict[str, str] = {}
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        sources.update(manifest.get("sources") or {name: resolved_name(name) for name in manifest.get("documents", {})})
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    try:
        with closing(sqlite3.connect(readonly_uri(directory / DOCUMENTS_DB), uri=True)) as connection:
            for name, source in connection.execute("SELECT name, source FROM documents WHERE removed IS NULL"):
                sources.setdefault(name, source)
    except (sqlite3.Error, ValueError):
        pass
    try:
        with (directory / "passages.jsonl").open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    name = json.loads(line)["document"]
                except (ValueError, KeyError, TypeError):
                    continue
                if isinstance(name, str):
                    sources.setdefault(name, resolved_name(name))
    except OSError:
        pass
    return sources


def renamed_clashes(kept: list[Passage], kept_sources: dict[str, str], new_sources: dict[str, str]) -> tuple[list[Passage], dict[str, str]]:
    """Return the kept passages and sources, a kept document renamed to its absolute path where a new one took its name.

    Names are shown relative to the working folder, so runs from different folders can give two
    different files the same name; identity is the resolved path, and passage ids must stay unique.
    """
    renames = {name: Path(kept_sources[name]).as_posix() for name in kept_sources.keys() & new_sources.keys()}
    if not renames:
        return kept, kept_sources
    passages = [
        replace(passage, id=renames[passage.document] + passage.id[len(passage.document) :], document=renames[passage.document])
        if passage.document in renames
        else passage
        for passage in kept
    ]
    return passages, {renames.get(name, name): source for name, source in kept_sources.items()}


def sources_of(ingested: IngestResult) -> dict[str, str]:
    """Return the name each ingested document is cited by, mapped to its resolved path."""
    return {display_path(Path(document)): str(Path(document).resolve()) for document in ingested.documents}


def resolved_name(name: str) -> str:
    """Return the resolved path of a document named before sources were recorded (relative to this folder)."""
    return str(Path(name).resolve())


def under_any(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)
