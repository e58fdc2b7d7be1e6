"""The index on disk: passages, FAISS file, ids, BM25 arrays and a manifest, updated incrementally.

Crash safety: one writer at a time per data dir (`index.lock`); a new index is written to
`index.new`, flushed to disk, and swapped in by two renames (`index` -> `index.old`, `index.new` ->
`index`); the next writer puts `index.old` back if a crash fell between them, and readers meanwhile
read `index.old`. The manifest holds a SHA-256 of every other file, so a damaged file is named, and it
records the resolved path of every document, so a rebuild after damage re-reads all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.durable import fsync_path, fsync_tree, jsonl_line
from qa.errors import IngestError, QAError
from qa.ingest.loaders import resolved_path
from qa.ingest.pipeline import IngestResult, display_path, ingest_paths
from qa.locking import exclusive
from qa.records import Passage
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.cache import EmbeddingCache, text_key
from qa.retrieval.dense import DenseIndex
from qa.serialize import passage_from_dict, passage_to_dict

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
BM25_BIGRAMS = True


@dataclass(frozen=True)
class Manifest:
    """What an index was built from: model, vector layout, corpus and documents."""

    format_version: int
    model: str
    model_fingerprint: str
    dimension: int
    normalized: bool
    metric: str
    index_kind: str
    bm25_bigrams: bool
    corpus_fingerprint: str
    count: int
    documents: dict[str, int]
    sources: dict[str, str]
    checksums: dict[str, str]


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
    """An index read back from disk, its consistency checked."""

    manifest: Manifest
    passages: dict[str, Passage]
    dense: DenseIndex
    bm25: BM25Index


def index_dir(data_dir: Path) -> Path:
    """Return the folder of the index inside the data dir."""
    return data_dir / "index"


def corpus_fingerprint(passages: Sequence[Passage]) -> str:
    """Return a hash of the passage ids and texts in order."""
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(f"{passage.id}\t{text_key(passage.text)}\n".encode())
    return digest.hexdigest()[:16]


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
) -> tuple[LoadedIndex, int]:
    """Return an in-memory index of the passages and how many of them had to be embedded.

    `sources` maps each document name to the resolved path it was read from (default: the name resolved here).
    """
    vectors, embedded = embed_with_cache(passages, encoder, cache, progress)
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
        corpus_fingerprint=corpus_fingerprint(passages),
        count=len(passages),
        documents=documents,
        sources={name: (sources or {}).get(name) or _resolved(name) for name in documents},
        checksums={},
    )
    ids = [passage.id for passage in passages]
    index = LoadedIndex(
        manifest,
        {passage.id: passage for passage in passages},
        DenseIndex.build(ids, vectors, index_kind),
        BM25Index.build(ids, [searchable_text(passage) for passage in passages], BM25_BIGRAMS),
    )
    return index, embedded


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
) -> IndexUpdate:
    """Index the documents under `paths` into the data dir and return what changed.

    Documents under the given paths replace their earlier passages, documents that vanished from
    them are dropped, and documents indexed from other paths stay (with `prune`, they are dropped
    too). A damaged earlier index is rebuilt from every document it recorded. Only passages whose
    text is not in the embedding cache for this model are embedded. One run at a time per data dir:
    a second one waits (reporting the holder through `on_wait`) or, with `wait=False`, raises QAError.
    """
    with exclusive(data_dir / "index.lock", f"the index in {data_dir}", wait=wait, on_wait=on_wait):
        recover_interrupted_swap(index_dir(data_dir))
        previous = _previous_index(data_dir)
        roots = [resolved_path(Path(path)) for path in paths]
        ingested = ingest_paths(paths)
        if not ingested.documents and ingested.errors:
            more = f" (and {len(ingested.errors) - 1} more)" if len(ingested.errors) > 1 else ""
            raise QAError(f"nothing could be indexed: {ingested.errors[0]}{more}")
        new_sources = _sources_of(ingested)
        kept = _kept_documents(previous, roots, prune)
        kept_passages, kept_sources = _renamed_clashes(kept.passages, kept.sources, new_sources)
        sources = {**kept_sources, **new_sources}
        passages = kept_passages + list(ingested.passages)
        if not passages:
            raise QAError(f"no documents found under {', '.join(map(str, paths))} (supported: .txt .md .html .htm .pdf .docx)")
        if on_total is not None:
            on_total(len(passages))
        cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
        index, embedded = build_index(passages, encoder, cache, index_kind, progress, sources)
        _write_index(index_dir(data_dir), index)
    old_ids = {p.id: p.text for p in previous.passages}
    new_ids = {p.id: p.text for p in passages}
    return IndexUpdate(
        passages=len(passages),
        documents=len(index.manifest.documents),
        embedded=embedded,
        reused=len(passages) - embedded,
        added=sum(1 for key, text in new_ids.items() if old_ids.get(key) != text),
        removed=sum(1 for key, text in old_ids.items() if new_ids.get(key) != text),
        errors=ingested.errors + kept.errors,
        notes=kept.notes,
    )


def load_index(data_dir: Path, attempts: int = 5) -> LoadedIndex:
    """Return the index in the data dir; raises QAError when it is missing, damaged or inconsistent.

    A writer swapping in a new index while it is read makes the read start over (up to `attempts`
    reads): a failed read of `index.old` (which exists only during a swap, and is deleted after it)
    or of an `index` folder that was replaced meanwhile.
    """
    directory = index_dir(data_dir)
    readable = _readable_dir(directory)
    if readable is None:
        raise QAError(f"no index in {data_dir}; build one with `qa index PATH` (for example `qa index seeds/`)")
    before = _identity(readable)
    try:
        return _load_from(readable)
    except (OSError, ValueError, TypeError, KeyError) as error:
        if attempts > 1 and (readable != directory or _identity(readable) != before):
            return load_index(data_dir, attempts - 1)
        raise QAError(
            f"the index in {directory} is damaged ({error}); rebuild it with `qa index PATH` (the documents it held are re-read)"
        ) from error


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
class _PreviousIndex:
    """The index before this run: its passages and document sources, or why it could not be read."""

    passages: tuple[Passage, ...]
    sources: dict[str, str]
    problem: str | None


def _previous_index(data_dir: Path) -> _PreviousIndex:
    """Return the current index's passages and sources; when it is damaged, the sources it still names."""
    directory = index_dir(data_dir)
    if not directory.exists():
        return _PreviousIndex((), {}, None)
    try:
        index = _load_from(directory)
        return _PreviousIndex(tuple(index.passages.values()), dict(index.manifest.sources), None)
    except (OSError, ValueError, TypeError, KeyError) as error:
        return _PreviousIndex((), _recorded_sources(directory), str(error))


@dataclass(frozen=True)
class _KeptDocuments:
    """The earlier documents a run keeps: their passages and sources, what could not be re-read, notes for the user."""

    passages: list[Passage]
    sources: dict[str, str]
    errors: tuple[IngestError, ...] = ()
    notes: tuple[str, ...] = ()


def _kept_documents(previous: _PreviousIndex, roots: Sequence[Path], prune: bool) -> _KeptDocuments:
    """Return the earlier documents not under the given roots (none with `prune`); re-read them when the index was damaged."""
    not_given = {name: source for name, source in previous.sources.items() if not _under_any(Path(source), roots)}
    if prune:
        return _KeptDocuments([], {}, notes=(f"pruned {len(not_given)} documents not under the given paths",) if not_given else ())
    if previous.problem is None:
        passages = [passage for passage in previous.passages if passage.document in not_given]
        return _KeptDocuments(passages, {passage.document: not_given[passage.document] for passage in passages})
    reread = ingest_paths([Path(source) for source in not_given.values()])
    note = f"the earlier index was unreadable ({previous.problem}); rebuilt it from the {len(not_given)} documents it recorded"
    if reread.errors:
        note += f", of which {len(reread.errors)} could not be read"
    return _KeptDocuments(list(reread.passages), _sources_of(reread), reread.errors, (note,))


def _recorded_sources(directory: Path) -> dict[str, str]:
    """Return every document a damaged index still names (manifest, else readable passage lines) with its path."""
    sources: dict[str, str] = {}
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        sources.update(manifest.get("sources") or {name: _resolved(name) for name in manifest.get("documents", {})})
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    try:
        with (directory / "passages.jsonl").open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    name = json.loads(line)["document"]
                except (ValueError, KeyError, TypeError):
                    continue
                if isinstance(name, str):
                    sources.setdefault(name, _resolved(name))
    except OSError:
        pass
    return sources


def _renamed_clashes(
    kept: list[Passage], kept_sources: dict[str, str], new_sources: dict[str, str]
) -> tuple[list[Passage], dict[str, str]]:
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


def _sources_of(ingested: IngestResult) -> dict[str, str]:
    """Return the name each ingested document is cited by, mapped to its resolved path."""
    return {display_path(Path(document)): str(Path(document).resolve()) for document in ingested.documents}


def _resolved(name: str) -> str:
    """Return the resolved path of a document named before sources were recorded (relative to this folder)."""
    return str(Path(name).resolve())


def _under_any(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _read_passages(path: Path) -> list[Passage]:
    with path.open(encoding="utf-8") as lines:
        return [passage_from_dict(json.loads(line)) for line in lines if line.strip()]


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


def _checksums(directory: Path) -> dict[str, str]:
    """Return the SHA-256 of every file under the folder but the manifest, by POSIX path relative to it."""
    sums = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            sums[path.relative_to(directory).as_posix()] = _sha256(path)
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_checksums(directory: Path, checksums: dict[str, str]) -> None:
    """Raise ValueError naming the first file that is missing or differs from its recorded checksum."""
    for name, expected in checksums.items():
        path = directory / name
        if not path.is_file():
            raise ValueError(f"{name} is missing")
        if _sha256(path) != expected:
            raise ValueError(f"{name} does not match its checksum in {MANIFEST}: changed or damaged since it was written")


def _load_from(directory: Path) -> LoadedIndex:
    """Return the index in one folder, its checksums and consistency checked; raises ValueError/OSError."""
    fields = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(fields, dict) or fields.get("format_version") != FORMAT_VERSION:
        version = fields.get("format_version") if isinstance(fields, dict) else None
        raise ValueError(f"format version {version}, this program reads {FORMAT_VERSION}")
    manifest = Manifest(**fields)
    _verify_checksums(directory, manifest.checksums)
    passages = _read_passages(directory / "passages.jsonl")
    dense = DenseIndex.load(directory / "dense.faiss", directory / "dense.ids.json", manifest.index_kind)
    bm25 = BM25Index.load(directory / "bm25")
    order = tuple(p.id for p in passages)
    if dense.ids != order or bm25.ids != order or manifest.count != len(order):
        raise ValueError("the passages, FAISS ids and BM25 ids do not list the same passages in the same order")
    if corpus_fingerprint(passages) != manifest.corpus_fingerprint:
        raise ValueError("the passages do not match the manifest's corpus fingerprint")
    return LoadedIndex(manifest, {p.id: p for p in passages}, dense, bm25)


def _write_index(directory: Path, index: LoadedIndex) -> None:
    """Write every file into `index.new`, flush it to disk, then swap it in, so a crash never leaves half an index.

    Call only while holding the data dir's index lock.
    """
    staging, retired = _staging(directory), _retired(directory)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "passages.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(jsonl_line(passage_to_dict(passage)) for passage in index.passages.values())
    index.dense.save(staging / "dense.faiss", staging / "dense.ids.json")
    index.bm25.save(staging / "bm25")
    manifest = replace(index.manifest, checksums=_checksums(staging))
    (staging / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    fsync_tree(staging)
    shutil.rmtree(retired, ignore_errors=True)
    if directory.exists():
        directory.rename(retired)
        fsync_path(directory.parent)
    staging.rename(directory)
    fsync_path(directory.parent)
    shutil.rmtree(retired, ignore_errors=True)
