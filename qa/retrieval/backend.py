"""The store interface retrieval searches and indexing writes, and the embedded store (FAISS + BM25) behind it.

A store holds passages with their vectors and answers dense (inner product of normalized vectors) and
sparse (the project's BM25 over jieba tokens) searches with ranked hits; fusion stays in
qa/retrieval/fusion.py, so every store ranks the same way. The embedded store (the default) wraps a
LoadedIndex; the Milvus store (qa/retrieval/milvus_store.py) is chosen by a URI (`open_store`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import QAError
from qa.records import Passage
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.hits import Hit
from qa.retrieval.store import LoadedIndex, build_index, searchable_text

INDEX_COLLECTION = "qa_passages"
EVAL_COLLECTION = "qa_eval_passages"


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds: the model its vectors come from, their dimension, and passages per document."""

    model: str
    model_fingerprint: str
    dimension: int
    documents: Mapping[str, int]

    @property
    def passages(self) -> int:
        """Return the number of passages stored."""
        return sum(self.documents.values())

    def check_model(self, encoder: Encoder) -> None:
        """Raise QAError unless the encoder is the model the store's vectors were made with."""
        if self.model_fingerprint != encoder.fingerprint:
            raise QAError(
                f"the index was built with model '{self.model}' (fingerprint {self.model_fingerprint}) but the current model "
                f"is '{encoder.name}' (fingerprint {encoder.fingerprint}); re-index with `qa index PATH --model ...`"
            )


@runtime_checkable
class PassageStore(Protocol):
    """Passages with their vectors: written by add/remove, searched dense and sparse, read by id."""

    def info(self) -> StoreInfo:
        """Return the model, dimension and passages per document of the store."""
        ...

    def prepare(self, model: str, fingerprint: str, dimension: int) -> None:
        """Make the store ready for a model's vectors; QAError when it holds another model's."""
        ...

    def add(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Store passages (row i of vectors is passages[i]); a passage whose id is stored already is replaced."""
        ...

    def remove(self, documents: Sequence[str]) -> int:
        """Remove every passage of the named documents; return how many passages went."""
        ...

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Return, per query vector, up to k hits by inner product, best first (ties by passage id)."""
        ...

    def sparse_search(self, keywords: str, k: int) -> list[Hit]:
        """Return up to k hits with a positive BM25 score for the keywords, best first (ties by passage id)."""
        ...

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """Return the passages with these ids, in order (QAError when one is not stored)."""
        ...


class _GivenVectors:
    """An encoder that returns vectors already made (by searchable text), so build_index can index them."""

    def __init__(self, name: str, fingerprint: str, vectors: Mapping[str, np.ndarray], dimension: int) -> None:
        self.name = name
        self.fingerprint = fingerprint
        self.dimension = dimension
        self._vectors = vectors

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("only stored vectors are looked up")

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if progress is not None:
            progress(len(texts))
        return np.array([self._vectors[text] for text in texts], dtype=np.float32).reshape(len(texts), self.dimension)


class EmbeddedStore:
    """The embedded store: a LoadedIndex (FAISS-style dense search over segments, the project's BM25).

    `EmbeddedStore(load_index(data_dir))` searches an index on disk, which `qa index` (update_index)
    changes; `EmbeddedStore.in_memory(...)` also takes add and remove (each rebuilds the in-memory index).
    """

    def __init__(self, index: LoadedIndex, rows: Mapping[str, tuple[Passage, np.ndarray]] | None = None) -> None:
        self.index = index
        self._rows = dict(rows) if rows is not None else None

    @classmethod
    def in_memory(cls, model: str, fingerprint: str, passages: Sequence[Passage], vectors: np.ndarray) -> EmbeddedStore:
        """Return an in-memory store of passages and their vectors (row i is passages[i]) made by the named model."""
        rows = {passage.id: (passage, np.asarray(vector, np.float32)) for passage, vector in zip(passages, vectors, strict=True)}
        return cls(_built(model, fingerprint, rows, int(vectors.shape[1])), rows)

    def info(self) -> StoreInfo:
        """Return the model, dimension and passages per document of the index."""
        manifest = self.index.manifest
        return StoreInfo(manifest.model, manifest.model_fingerprint, manifest.dimension, dict(manifest.documents))

    def prepare(self, model: str, fingerprint: str, dimension: int) -> None:
        """Raise QAError unless the index holds vectors of this model and dimension."""
        manifest = self.index.manifest
        if (manifest.model_fingerprint, manifest.dimension) != (fingerprint, dimension):
            raise QAError(f"the index holds vectors of model '{manifest.model}', not '{model}'; re-index with `qa index PATH`")

    def add(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Store passages and their vectors, replacing stored ones with the same id (in-memory stores only)."""
        rows = self._writable()
        rows.update({passage.id: (passage, np.asarray(vector, np.float32)) for passage, vector in zip(passages, vectors, strict=True)})
        self._rebuild(rows)

    def remove(self, documents: Sequence[str]) -> int:
        """Remove the passages of the named documents (in-memory stores only); return how many went."""
        rows, names = self._writable(), set(documents)
        gone = [key for key, (passage, _) in rows.items() if passage.document in names]
        for key in gone:
            del rows[key]
        self._rebuild(rows)
        return len(gone)

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Return, per query vector, up to k hits by inner product, best first (ties by passage id)."""
        return self.index.dense.search(vectors, k)

    def sparse_search(self, keywords: str, k: int) -> list[Hit]:
        """Return up to k hits with a positive BM25 score for the keywords, best first (ties by passage id)."""
        return self.index.bm25.search(keywords, k)

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """Return the passages with these ids, in order."""
        return [self.index.passages[passage_id] for passage_id in ids]

    def _writable(self) -> dict[str, tuple[Passage, np.ndarray]]:
        if self._rows is None:
            raise QAError("the index on disk changes through `qa index PATH`; add and remove work on in-memory stores only")
        return self._rows

    def _rebuild(self, rows: dict[str, tuple[Passage, np.ndarray]]) -> None:
        manifest = self.index.manifest
        self.index = _built(manifest.model, manifest.model_fingerprint, rows, manifest.dimension)


def _built(model: str, fingerprint: str, rows: Mapping[str, tuple[Passage, np.ndarray]], dimension: int) -> LoadedIndex:
    """Return an in-memory LoadedIndex of stored passages and vectors (by passage id)."""
    passages = [passage for passage, _ in rows.values()]
    by_text = {searchable_text(passage): vector for passage, vector in rows.values()}
    encoder = _GivenVectors(model, fingerprint, by_text, dimension)
    with tempfile.TemporaryDirectory(prefix="qa-store-") as scratch:
        index, _ = build_index(passages, encoder, EmbeddingCache(Path(scratch) / "vectors.sqlite"))
    return index


def open_store(uri: str, collection: str = INDEX_COLLECTION) -> PassageStore:
    """Return the Milvus store a --store URI names (`milvus:./qa.db` or `http://host:19530`), in one collection (the
    index's, or EVAL_COLLECTION for evaluation corpora); QAError when it cannot be opened, or pymilvus is not installed."""
    try:
        from qa.retrieval.milvus_store import MilvusStore
    except ImportError:
        raise QAError(f"--store {uri} needs pymilvus and milvus-lite: pip install 'qa-bot[milvus]'") from None
    return MilvusStore(uri, collection)
