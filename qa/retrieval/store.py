"""The index on disk: passages, FAISS file, ids, BM25 arrays and a manifest, updated incrementally."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import IngestError, QAError
from qa.ingest.pipeline import ingest_paths
from qa.records import Passage
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.cache import EmbeddingCache, text_key
from qa.retrieval.dense import DenseIndex
from qa.serialize import passage_from_dict, passage_to_dict

FORMAT_VERSION = 1
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
    missing = {key: text for key, text in zip(keys, texts) if key not in cached}
    if progress is not None and len(cached):
        progress(sum(1 for key in keys if key in cached))
    if missing:
        fresh = encoder.encode_passages(list(missing.values()), progress)
        new_vectors = dict(zip(missing, fresh))
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
) -> tuple[LoadedIndex, int]:
    """Return an in-memory index of the passages and how many of them had to be embedded."""
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
) -> IndexUpdate:
    """Index the documents under `paths` into the data dir and return what changed.

    Documents under the given paths replace their earlier passages, documents that vanished from
    them are dropped, and documents indexed from other paths stay. Only passages whose text is not
    in the embedding cache for this model are embedded.
    """
    ingested = ingest_paths(paths)
    if not ingested.documents and ingested.errors:
        more = f" (and {len(ingested.errors) - 1} more)" if len(ingested.errors) > 1 else ""
        raise QAError(f"nothing could be indexed: {ingested.errors[0]}{more}")
    previous = _previous_passages(data_dir)
    roots = [Path(path).resolve() for path in paths]
    kept = [p for p in previous if not any(_is_under(Path(p.document).resolve(), root) for root in roots)]
    passages = kept + list(ingested.passages)
    if not passages:
        raise QAError(f"no documents found under {', '.join(map(str, paths))} (supported: .txt .md .html .htm .pdf .docx)")
    if on_total is not None:
        on_total(len(passages))
    index, embedded = build_index(passages, encoder, EmbeddingCache(data_dir / "cache" / "embeddings.sqlite"), index_kind, progress)
    _write_index(index_dir(data_dir), index)
    old_ids = {p.id: p.text for p in previous}
    new_ids = {p.id: p.text for p in passages}
    return IndexUpdate(
        passages=len(passages),
        documents=len(index.manifest.documents),
        embedded=embedded,
        reused=len(passages) - embedded,
        added=sum(1 for key, text in new_ids.items() if old_ids.get(key) != text),
        removed=sum(1 for key, text in old_ids.items() if new_ids.get(key) != text),
        errors=ingested.errors,
    )


def load_index(data_dir: Path) -> LoadedIndex:
    """Return the index in the data dir; raises QAError when it is missing or inconsistent."""
    directory = index_dir(data_dir)
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise QAError(f"no index in {data_dir}; build one with `qa index PATH` (for example `qa index seeds/`)")
    try:
        manifest = Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
        if manifest.format_version != FORMAT_VERSION:
            raise ValueError(f"format version {manifest.format_version}, this program reads {FORMAT_VERSION}")
        passages = _read_passages(directory / "passages.jsonl")
        dense = DenseIndex.load(directory / "dense.faiss", directory / "dense.ids", manifest.index_kind)
        bm25 = BM25Index.load(directory / "bm25")
        order = tuple(p.id for p in passages)
        if dense.ids != order or bm25.ids != order or manifest.count != len(order):
            raise ValueError("the passages, FAISS ids and BM25 ids do not list the same passages in the same order")
        if corpus_fingerprint(passages) != manifest.corpus_fingerprint:
            raise ValueError("the passages do not match the manifest's corpus fingerprint")
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise QAError(f"the index in {directory} is damaged ({error}); rebuild it with `qa index PATH`") from error
    return LoadedIndex(manifest, {p.id: p for p in passages}, dense, bm25)


def check_model(manifest: Manifest, encoder: Encoder) -> None:
    """Raise QAError unless the encoder is the model the index was built with."""
    if manifest.model_fingerprint != encoder.fingerprint:
        raise QAError(
            f"the index was built with model '{manifest.model}' (fingerprint {manifest.model_fingerprint}) but the "
            f"current model is '{encoder.name}' (fingerprint {encoder.fingerprint}); re-index with `qa index PATH --model ...`"
        )


def _previous_passages(data_dir: Path) -> list[Passage]:
    path = index_dir(data_dir) / "passages.jsonl"
    if not path.exists():
        return []
    try:
        return _read_passages(path)
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _read_passages(path: Path) -> list[Passage]:
    with path.open(encoding="utf-8") as lines:
        return [passage_from_dict(json.loads(line)) for line in lines if line.strip()]


def _is_under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _write_index(directory: Path, index: LoadedIndex) -> None:
    """Write every file into a fresh folder, then swap it in, so a crash never leaves half an index."""
    staging = directory.with_name(directory.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "passages.jsonl").open("w", encoding="utf-8") as out:
        for passage in index.passages.values():
            out.write(json.dumps(passage_to_dict(passage), ensure_ascii=False) + "\n")
    index.dense.save(staging / "dense.faiss", staging / "dense.ids")
    index.bm25.save(staging / "bm25")
    (staging / "manifest.json").write_text(json.dumps(asdict(index.manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    retired = directory.with_name(directory.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if directory.exists():
        directory.rename(retired)
    staging.rename(directory)
    shutil.rmtree(retired, ignore_errors=True)
