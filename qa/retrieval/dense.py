"""Dense retrieval: a FAISS inner-product index over normalized passage vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.retrieval.hits import Hit

INDEX_KINDS = ("flat", "hnsw")
_HNSW_NEIGHBOURS = 32
_HNSW_SEARCH_DEPTH = 128


@dataclass(frozen=True)
class DenseIndex:
    """A FAISS index and the passage id of each of its rows."""

    ids: tuple[str, ...]
    index: faiss.Index
    kind: str

    @classmethod
    def build(cls, ids: Sequence[str], vectors: np.ndarray, kind: str = "flat") -> DenseIndex:
        """Return an exact (flat) or approximate (hnsw) inner-product index of the vectors; row i is ids[i]."""
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        dimension = vectors.shape[1]
        if kind == "flat":
            index = faiss.IndexFlatIP(dimension)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dimension, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = _HNSW_SEARCH_DEPTH
        else:
            raise ValueError(f"unknown index kind {kind!r} (choose from {', '.join(INDEX_KINDS)})")
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(tuple(ids), index, kind)

    def search(self, query_vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Return, for each query vector, up to k hits best first (FAISS's empty -1 slots removed)."""
        if not self.ids:
            return [[] for _ in range(len(query_vectors))]
        scores, rows = self.index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), min(k, len(self.ids)))
        return [
            [Hit(self.ids[row], float(score), rank) for rank, (row, score) in enumerate(zip(row_list, score_list), start=1) if row >= 0]
            for row_list, score_list in zip(rows, scores)
        ]

    def save(self, faiss_path: Path, ids_path: Path) -> None:
        """Write the FAISS file and the ids file (one id per line, in row order)."""
        faiss.write_index(self.index, str(faiss_path))
        ids_path.write_text("".join(f"{passage_id}\n" for passage_id in self.ids), encoding="utf-8")

    @classmethod
    def load(cls, faiss_path: Path, ids_path: Path, kind: str) -> DenseIndex:
        """Return the index saved by `save`; raises ValueError when the ids file does not match the rows."""
        index = faiss.read_index(str(faiss_path))
        ids = tuple(ids_path.read_text(encoding="utf-8").splitlines())
        if len(ids) != index.ntotal:
            raise ValueError(f"{ids_path.name} lists {len(ids)} ids but {faiss_path.name} holds {index.ntotal} vectors")
        if kind == "hnsw":
            index.hnsw.efSearch = _HNSW_SEARCH_DEPTH
        return cls(ids, index, kind)
