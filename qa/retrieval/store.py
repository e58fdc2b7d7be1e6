"""The index on disk, updated in place in proportion to the change: a passage store, immutable segments, a manifest.

Layout of `<data dir>/index/`: `manifest.json` (model, generation, segment list, checksums),
`passages.sqlite` and `documents.sqlite` (qa/retrieval/passage_db.py), and `segments/<name>/`
(vectors, BM25 postings and, for large segments, an approximate index: qa/retrieval/segment.py).

Crash safety: one writer at a time per data dir (`index.lock`). An update writes new segment folders
(aside, flushed, renamed into place), adds and marks removed rows in the SQLite files under a new
generation, commits them, and then commits the whole by replacing manifest.json; a crash at any
point leaves the previous generation readable, and the next writer undoes what was not committed
and deletes unlisted segment folders. A first build, or a rebuild after damage or a model change,
writes `index.new` and swaps it in by two renames (`index` -> `index.old`, `index.new` -> `index`);
the next writer puts `index.old` back if a crash fell between them, and readers meanwhile read
`index.old`. Segment files are checked against sampled checksums on load (qa/retrieval/segment.py),
so loading reads no more than a few MiB of any file whatever the corpus size.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.durable import fsync_path, fsync_tree
from qa.errors import IngestError, QAError
from qa.ingest.loaders import resolved_path
from qa.ingest.pipeline import IngestResult, ingest_paths
from qa.locking import exclusive
from qa.records import Passage
from qa.retrieval.bm25 import BM25Index, ChineseTokenizer
from qa.retrieval.cache import EmbeddingCache, text_key
from qa.retrieval.changes import (
    document_changes,
    document_record,
    passage_difference,
    recorded_sources,
    renamed_clashes,
    resolved_name,
    sources_of,
    under_any,
)
from qa.retrieval.compaction import SegmentState, alive_mask, merge, merge_plan, new_segment
from qa.retrieval.dense import DenseIndex
from qa.retrieval.manifest import FORMAT_VERSION, MANIFEST, Manifest, manifest_of, read_fields, write_manifest
from qa.retrieval.passage_db import LazyPassages, StoreReader, StoreWriter
from qa.retrieval.segment import Segment, Segments

BM25_BIGRAMS = True
SEGMENTS = "segments"
_READ_ERRORS = (OSError, ValueError, TypeError, KeyError, sqlite3.DatabaseError)


@dataclass(frozen=True)
class IndexUpdate:
    """What one `qa index` run did: passages embedded now, reused from the cache, added, removed."""

    passages: int
    documents: int
    embedded: int
    reused: int
    added: int
    removed: int
    errors: tuple[IngestError, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedIndex:
    """An index ready to search: its manifest, passages by id (read from disk when asked for), dense and BM25 search."""

    manifest: Manifest
    passages: Mapping[str, Passage]
    dense: DenseIndex
    bm25: BM25Index


def index_dir(data_dir: Path) -> Path:
    """Return the folder of the index inside the data dir."""
    return data_dir / "index"


def searchable_text(passage: Passage) -> str:
    """Return what is embedded and BM25-indexed for a passage: its article title (if any), then its text."""
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def embed_with_cache(
    passages: Sequence[Passage], encoder: Encoder, cache: EmbeddingCache, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, int]:
    """Return the passages' vectors in order and how many had to be embedded (the rest came from the cache)."""
    texts = [searchable_text(passage) for passage in passages]
    keys = [text_key(text) for text in texts]
    cached = cache.get_many(encoder.fingerprint, keys)
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in cached}
    if progress is not None and len(cached):
        progress(sum(1 for key in keys if key in cached))
    if missing:
        fresh = encoder.encode_passages(list(missing.values()), progress)
        new_vectors = dict(zip(missing, fresh, strict=True))
        cache.put_many(encoder.fingerprint, new_vectors)
        cached.update(new_vectors)
    vectors = np.vstack([cached[key] for key in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
    return vectors.astype(np.float32), len(missing)


def build_index(
    passages: Sequence[Passage],
    encoder: Encoder,
    cache: EmbeddingCache,
    index_kind: str = "flat",
    progress: Callable[[int], None] | None = None,
    sources: dict[str, str] | None = None,
    on_tokenized: Callable[[int], None] | None = None,
) -> tuple[LoadedIndex, int]:
    """Return an in-memory index of the passages and how many of them had to be embedded.

    `sources` maps each document name to the resolved path it was read from (default: the name resolved here);
    `on_tokenized` is told how many more passages were tokenized for BM25.
    """
    vectors, embedded = embed_with_cache(passages, encoder, cache, progress)
    return _assemble(passages, vectors, encoder, index_kind, sources, on_tokenized), embedded


@dataclass(frozen=True)
class StageProgress:
    """Per-stage progress of an update for `qa index`: `start(stage, total)` once, then `advance(stage, count)`.

    Stages: ingest (files), embed (passages; also reported through `progress`), tokenize (passages), write (segments).
    """

    start: Callable[[str, int], None]
    advance: Callable[[str, int], None]


def update_index(
    paths: Sequence[Path],
    data_dir: Path,
    encoder: Encoder,
    index_kind: str = "flat",
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    prune: bool = False,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    stages: StageProgress | None = None,
) -> IndexUpdate:
    """Index the documents under `paths` into the data dir and return what changed.

    Documents under the given paths replace their earlier passages when they changed, documents that
    vanished from them are dropped, and documents indexed from other paths stay (with `prune`, they
    are dropped too). The work is in proportion to the documents that changed: their passages are
    added as a new segment and the old ones marked deleted (see the module docstring). A damaged
    earlier index, or one built with another model, is rebuilt from every document it recorded. Only
    passages whose text is not in the embedding cache for this model are embedded. One run at a time
    per data dir: a second one waits (reporting the holder through `on_wait`) or, with `wait=False`,
    raises QAError.
    """
    with exclusive(data_dir / "index.lock", f"the index in {data_dir}", wait=wait, on_wait=on_wait):
        directory = index_dir(data_dir)
        recover_interrupted_swap(directory)
        previous = _previous_index(directory)
        if stages is not None:
            stages.start("ingest", len(paths))
        roots = [resolved_path(Path(path)) for path in paths]
        ingested = ingest_paths(paths)
        if stages is not None:
            stages.advance("ingest", len(paths))
        if not ingested.documents and ingested.errors:
            more = f" (and {len(ingested.errors) - 1} more)" if len(ingested.errors) > 1 else ""
            raise QAError(f"nothing could be indexed: {ingested.errors[0]}{more}")
        run = _Run(encoder, EmbeddingCache(data_dir / "cache" / "embeddings.sqlite"), index_kind, progress, on_total, stages)
        opened = previous.opened
        if opened is not None and _compatible(opened.manifest, encoder, index_kind):
            return _update_in_place(directory, opened, ingested, roots, prune, run, paths)
        return _rebuild(directory, previous, ingested, roots, prune, run, paths)


def write_index(data_dir: Path, index: LoadedIndex) -> None:
    """Replace the data dir's index by an index from `build_index` (benchmarks build corpora this way)."""
    with exclusive(data_dir / "index.lock", f"the index in {data_dir}"):
        recover_interrupted_swap(index_dir(data_dir))
        _write_new(index_dir(data_dir), index)


def load_index(data_dir: Path, attempts: int = 5) -> LoadedIndex:
    """Return the index in the data dir; raises QAError when it is missing, damaged or inconsistent.

    Passages stay on disk (read by id when asked for) and segment arrays are memory-mapped. A writer
    changing the index while it is read makes the read start over (up to `attempts` reads).
    """
    directory = index_dir(data_dir)
    readable = _readable_dir(directory)
    if readable is None:
        raise QAError(f"no index in {data_dir}; build one with `qa index PATH` (for example `qa index seeds/`)")
    before = _identity(readable)
    try:
        opened = _open(readable)
    except _READ_ERRORS as error:
        if attempts > 1 and (readable != directory or _identity(readable) != before or "changed while" in str(error)):
            return load_index(data_dir, attempts - 1)
        raise QAError(
            f"the index in {directory} is damaged ({error}); rebuild it with `qa index PATH` (the documents it held are re-read)"
        ) from error
    manifest = opened.manifest
    return LoadedIndex(
        manifest,
        LazyPassages(opened.reader, manifest.count),
        DenseIndex(opened.segments),
        BM25Index(opened.segments, ChineseTokenizer(manifest.bm25_bigrams)),
    )


def recover_interrupted_swap(directory: Path) -> None:
    """Finish what a writer killed mid-swap left: put `index.old` back when `index` is missing, drop leftovers.

    Call only while holding the data dir's index lock.
    """
    retired, staging = _retired(directory), _staging(directory)
    if not directory.exists() and retired.exists():
        retired.rename(directory)
        fsync_path(directory.parent)
    shutil.rmtree(retired, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def check_model(manifest: Manifest, encoder: Encoder) -> None:
    """Raise QAError unless the encoder is the model the index was built with."""
    if manifest.model_fingerprint != encoder.fingerprint:
        raise QAError(
            f"the index was built with model '{manifest.model}' (fingerprint {manifest.model_fingerprint}) but the "
            f"current model is '{encoder.name}' (fingerprint {encoder.fingerprint}); re-index with `qa index PATH --model ...`"
        )


@dataclass(frozen=True)
class _Opened:
    """An index folder opened at its current generation: manifest, store snapshot, segments."""

    manifest: Manifest
    reader: StoreReader
    segments: Segments


def _open(directory: Path) -> _Opened:
    """Return the index in one folder, its checksums and counts checked; raises ValueError/OSError/sqlite3 errors."""
    fields = read_fields(directory)
    reader = StoreReader(directory, int(fields["generation"]))
    if read_fields(directory).get("generation") != fields["generation"]:
        raise ValueError("the index changed while it was read")
    records = reader.documents()
    manifest = manifest_of(fields, {r.name: r.passages for r in records}, {r.name: r.source for r in records})
    segments = [Segment.load(directory / SEGMENTS / name, manifest.segment_checksums(name)) for name in manifest.segments]
    dead = reader.dead_rows()
    alive = tuple(alive_mask(np.asarray(segment.rows), dead) for segment in segments)
    live = sum(len(segment) if mask is None else int(mask.sum()) for segment, mask in zip(segments, alive, strict=True))
    if live != manifest.count or sum(manifest.documents.values()) != manifest.count:
        raise ValueError("the segments, passages.sqlite and documents.sqlite do not hold the same number of passages")
    return _Opened(manifest, reader, Segments(tuple(segments), alive, reader.ids_of_rows))


@dataclass(frozen=True)
class _Run:
    """What every path of an update needs: the encoder and its cache, the index kind, progress callbacks."""

    encoder: Encoder
    cache: EmbeddingCache
    index_kind: str
    progress: Callable[[int], None] | None
    on_total: Callable[[int], None] | None
    stages: StageProgress | None

    def embed(self, passages: Sequence[Passage], kept: int = 0) -> tuple[np.ndarray, int]:
        """Return the passages' vectors and how many were embedded now, reporting progress.

        `progress` counts over the whole index: the `kept` passages that stay as they are count as done at once.
        """
        if self.on_total is not None:
            self.on_total(kept + len(passages))
        if self.progress is not None and kept:
            self.progress(kept)
        if self.stages is not None:
            self.stages.start("embed", len(passages))
        stages = self.stages

        def advance(count: int) -> None:
            if self.progress is not None:
                self.progress(count)
            if stages is not None:
                stages.advance("embed", count)

        return embed_with_cache(passages, self.encoder, self.cache, advance)

    def tokenized(self, total: int) -> Callable[[int], None] | None:
        """Return the callback counting tokenized passages (after announcing the stage)."""
        stages = self.stages
        if stages is None:
            return None
        stages.start("tokenize", total)
        return lambda count: stages.advance("tokenize", count)


def _update_in_place(
    directory: Path, opened: _Opened, ingested: IngestResult, roots: Sequence[Path], prune: bool, run: _Run, paths: Sequence[Path]
) -> IndexUpdate:
    """Apply the run's changes as a new generation of the index in place; return what changed."""
    manifest, reader = opened.manifest, opened.reader
    generation = manifest.generation + 1
    change = document_changes(reader, ingested, roots, prune)
    old_passages = reader.passages_of(sorted(change.removed))
    new_passages = [passage for _, passages in change.added for passage in passages]
    count = manifest.count - len(old_passages) + len(new_passages)
    documents = len(manifest.documents) - len(change.removed) + len(change.added)
    if not count:
        raise QAError(f"no documents found under {', '.join(map(str, paths))} (supported: .txt .md .html .htm .pdf .docx)")
    if not change.removed and not change.added:
        run.embed([], kept=count)
        return IndexUpdate(count, documents, 0, count, 0, 0, ingested.errors, change.notes)
    vectors, embedded = run.embed(new_passages, kept=count - len(new_passages))
    writer = StoreWriter(directory)
    try:
        writer.undo_after(manifest.generation)
        _remove_unlisted_segments(directory, manifest.segments)
        first_row = writer.next_row()
        writer.remove(sorted(change.removed), generation)
        dead = writer.removed_rows(generation)
        states = [SegmentState(segment, alive_mask(np.asarray(segment.rows), dead)) for segment in opened.segments.segments]
        if new_passages:
            texts = [searchable_text(passage) for passage in new_passages]
            tokenizer = ChineseTokenizer(manifest.bm25_bigrams)
            states.append(
                SegmentState(
                    new_segment(f"g{generation}", first_row, vectors, texts, tokenizer, run.index_kind, run.tokenized(len(texts))), None
                )
            )
        plan = merge_plan(states)
        if plan:
            merged = merge(f"g{generation}m", [states[i] for i in plan], run.index_kind)
            states = [state for i, state in enumerate(states) if i not in plan] + ([SegmentState(merged, None)] if len(merged) else [])
        names = tuple(state.segment.name for state in states)
        checksums = {key: value for key, value in manifest.checksums.items() if key.split("/")[1] in names}
        fresh = [state.segment for state in states if state.segment.name not in manifest.segments]
        if run.stages is not None:
            run.stages.start("write", len(fresh))
        for segment in fresh:
            checksums.update(_write_segment(directory, segment))
            if run.stages is not None:
                run.stages.advance("write", 1)
        held = np.concatenate([np.asarray(segment.rows) for segment in [*opened.segments.segments, *(s.segment for s in states)]])
        writer.drop(np.setdiff1d(writer.removed_rows(manifest.generation), held))
        writer.drop_documents_removed_by(manifest.generation)
        writer.add([record for record, _ in change.added], new_passages, first_row, generation)
        writer.commit()
    finally:
        writer.close()
    write_manifest(directory, replace(manifest, generation=generation, count=count, segments=names, checksums=checksums))
    for name in set(manifest.segments) - set(names):
        shutil.rmtree(directory / SEGMENTS / name, ignore_errors=True)
    added, removed = passage_difference(old_passages, new_passages)
    return IndexUpdate(count, documents, embedded, count - embedded, added, removed, ingested.errors, change.notes)


def _compatible(manifest: Manifest, encoder: Encoder, index_kind: str) -> bool:
    """Return whether an update can go in place (same model, vector size, index kind and BM25 settings)."""
    return (manifest.model_fingerprint, manifest.dimension, manifest.index_kind, manifest.bm25_bigrams) == (
        encoder.fingerprint,
        encoder.dimension,
        index_kind,
        BM25_BIGRAMS,
    )


def _write_segment(directory: Path, segment: Segment) -> dict[str, str]:
    """Write a segment folder aside, flush it, rename it into place; return its checksums keyed by path in the index."""
    final = directory / SEGMENTS / segment.name
    temporary = final.with_name(segment.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    sums = segment.write(temporary)
    fsync_tree(temporary)
    temporary.rename(final)
    fsync_path(final.parent)
    return {f"{SEGMENTS}/{segment.name}/{name}": digest for name, digest in sums.items()}


def _remove_unlisted_segments(directory: Path, listed: Sequence[str]) -> None:
    """Delete segment folders no committed manifest lists (left by a writer that crashed)."""
    folder = directory / SEGMENTS
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name not in listed:
                shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class _PreviousIndex:
    """The index before this run (None when missing or unreadable), its document sources, or why it could not be read."""

    opened: _Opened | None
    sources: dict[str, str]
    problem: str | None


def _previous_index(directory: Path) -> _PreviousIndex:
    """Return the current index; when it is damaged, the sources it still names."""
    if not directory.exists():
        return _PreviousIndex(None, {}, None)
    try:
        opened = _open(directory)
        return _PreviousIndex(opened, dict(opened.manifest.sources), None)
    except _READ_ERRORS as error:
        return _PreviousIndex(None, recorded_sources(directory), str(error))


def _rebuild(
    directory: Path, previous: _PreviousIndex, ingested: IngestResult, roots: Sequence[Path], prune: bool, run: _Run, paths: Sequence[Path]
) -> IndexUpdate:
    """Build the whole index anew (first build, damaged index, other model or settings) and swap it in."""
    new_sources = sources_of(ingested)
    kept = _kept_documents(previous, roots, prune)
    kept_passages, kept_sources = renamed_clashes(kept.passages, kept.sources, new_sources)
    sources = {**kept_sources, **new_sources}
    passages = kept_passages + list(ingested.passages)
    if not passages:
        raise QAError(f"no documents found under {', '.join(map(str, paths))} (supported: .txt .md .html .htm .pdf .docx)")
    vectors, embedded = run.embed(passages)
    old = previous.opened.reader.passages_of(sorted(previous.opened.manifest.documents)) if previous.opened is not None else []
    index = _assemble(passages, vectors, run.encoder, run.index_kind, sources, run.tokenized(len(passages)))
    _write_new(directory, index, run.stages)
    added, removed = passage_difference(old, passages)
    return IndexUpdate(
        len(passages),
        len(index.manifest.documents),
        embedded,
        len(passages) - embedded,
        added,
        removed,
        ingested.errors + kept.errors,
        kept.notes,
    )


@dataclass(frozen=True)
class _KeptDocuments:
    """The earlier documents a run keeps: their passages and sources, what could not be re-read, notes for the user."""

    passages: list[Passage]
    sources: dict[str, str]
    errors: tuple[IngestError, ...] = ()
    notes: tuple[str, ...] = ()


def _kept_documents(previous: _PreviousIndex, roots: Sequence[Path], prune: bool) -> _KeptDocuments:
    """Return the earlier documents not under the given roots (none with `prune`); re-read them when the index was damaged."""
    not_given = {name: source for name, source in previous.sources.items() if not under_any(Path(source), roots)}
    if prune:
        return _KeptDocuments([], {}, notes=(f"pruned {len(not_given)} documents not under the given paths",) if not_given else ())
    if previous.problem is None:
        passages = previous.opened.reader.passages_of(sorted(not_given)) if previous.opened is not None else []
        return _KeptDocuments(passages, {passage.document: not_given[passage.document] for passage in passages})
    reread = ingest_paths([Path(source) for source in not_given.values()])
    note = f"the earlier index was unreadable ({previous.problem}); rebuilt it from the {len(not_given)} documents it recorded"
    if reread.errors:
        note += f", of which {len(reread.errors)} could not be read"
    return _KeptDocuments(list(reread.passages), sources_of(reread), reread.errors, (note,))


def _staging(directory: Path) -> Path:
    return directory.with_name(directory.name + ".new")


def _retired(directory: Path) -> Path:
    return directory.with_name(directory.name + ".old")


def _readable_dir(directory: Path) -> Path | None:
    """Return the folder holding the current index: `index`, or `index.old` while a swap is under way."""
    if (directory / MANIFEST).exists():
        return directory
    if (_retired(directory) / MANIFEST).exists():
        return _retired(directory)
    return directory if directory.exists() else None


def _identity(directory: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(directory)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def _assemble(
    passages: Sequence[Passage],
    vectors: np.ndarray,
    encoder: Encoder,
    index_kind: str,
    sources: dict[str, str] | None,
    on_tokenized: Callable[[int], None] | None,
) -> LoadedIndex:
    """Return an in-memory index (one segment) of passages and their vectors."""
    documents: dict[str, int] = {}
    for passage in passages:
        documents[passage.document] = documents.get(passage.document, 0) + 1
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=encoder.name,
        model_fingerprint=encoder.fingerprint,
        dimension=int(vectors.shape[1]),
        normalized=True,
        metric="inner_product",
        index_kind=index_kind,
        bm25_bigrams=BM25_BIGRAMS,
        generation=1,
        count=len(passages),
        segments=("g1",),
        checksums={},
        documents=documents,
        sources={name: (sources or {}).get(name) or resolved_name(name) for name in documents},
    )
    tokenizer = ChineseTokenizer(BM25_BIGRAMS)
    segment = new_segment("g1", 0, vectors, [searchable_text(p) for p in passages], tokenizer, index_kind, on_tokenized)
    ids = tuple(passage.id for passage in passages)
    segments = Segments((segment,), (None,), lambda rows: [ids[row] for row in rows])
    return LoadedIndex(manifest, {p.id: p for p in passages}, DenseIndex(segments), BM25Index(segments, tokenizer))


def _write_new(directory: Path, index: LoadedIndex, stages: StageProgress | None = None) -> None:
    """Write an in-memory index into `index.new`, flush it to disk, then swap it in, so a crash never leaves half an index.

    Call only while holding the data dir's index lock.
    """
    staging, retired = _staging(directory), _retired(directory)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if stages is not None:
        stages.start("write", 2)
    passages = list(index.passages.values())
    by_document: dict[str, list[Passage]] = {}
    for passage in passages:
        by_document.setdefault(passage.document, []).append(passage)
    writer = StoreWriter(staging)
    try:
        writer.add([document_record(name, index.manifest.sources[name], group) for name, group in by_document.items()], passages, 0, 1)
        writer.commit()
    finally:
        writer.close()
    if stages is not None:
        stages.advance("write", 1)
    (segment,) = index.dense.segments.segments
    sums = segment.write(staging / SEGMENTS / "g1")
    checksums = {f"{SEGMENTS}/g1/{name}": digest for name, digest in sums.items()}
    write_manifest(staging, replace(index.manifest, generation=1, segments=("g1",), checksums=checksums))
    fsync_tree(staging)
    shutil.rmtree(retired, ignore_errors=True)
    if directory.exists():
        directory.rename(retired)
        fsync_path(directory.parent)
    staging.rename(directory)
    fsync_path(directory.parent)
    shutil.rmtree(retired, ignore_errors=True)
    if stages is not None:
        stages.advance("write", 1)
