"""Dense retrieval: a FAISS inner-product index over normalized passage vectors."""

from __future__ import annotations

import json
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
        index: faiss.Index
        if kind == "flat":
            index = faiss.IndexFlatIP(dimension)
        elif kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(dimension, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efSearch = _HNSW_SEARCH_DEPTH
            index = hnsw
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
            [
                Hit(self.ids[row], float(score), rank)
                for rank, (row, score) in enumerate(zip(row_list, score_list, strict=True), start=1)
                if row >= 0
            ]
            for row_list, score_list in zip(rows, scores, strict=True)
        ]

    def save(self, faiss_path: Path, ids_path: Path) -> None:
        """Write the FAISS file and the ids file (a JSON list in row order, so no character of a name can split an id)."""
        faiss.write_index(self.index, str(faiss_path))
        ids_path.write_text(json.dumps(list(self.ids), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, faiss_path: Path, ids_path: Path, kind: str) -> DenseIndex:
        """Return the index saved by `save`; raises ValueError when a file is unreadable or the ids do not match the rows."""
        try:
            index = faiss.read_index(str(faiss_path))
        except RuntimeError as error:  # faiss reports any unreadable file as a RuntimeError with a C++ trace
            raise ValueError(f"{faiss_path.name} is not a readable FAISS index ({str(error).splitlines()[0][:120]})") from None
        ids = json.loads(ids_path.read_text(encoding="utf-8"))
        if not isinstance(ids, list) or not all(isinstance(passage_id, str) for passage_id in ids):
            raise ValueError(f"{ids_path.name} is not a JSON list of passage ids")
        ids = tuple(ids)
        if len(ids) != index.ntotal:
            raise ValueError(f"{ids_path.name} lists {len(ids)} ids but {faiss_path.name} holds {index.ntotal} vectors")
        if kind == "hnsw":
            # read_index returns the concrete (downcast) index class; faiss's types declare the base Index
            index.hnsw.efSearch = _HNSW_SEARCH_DEPTH  # type: ignore[attr-defined]
        return cls(ids, index, kind)
