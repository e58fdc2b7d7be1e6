"""Dense retrieval over the index's segments: inner product of normalized vectors, exact while fast, then approximate.

The index is chosen per segment by size. Below `ANN_MIN_ROWS` rows a segment is searched exactly
(a brute-force inner product over its memory-mapped vectors). A larger segment (made by merging)
gets an HNSW graph over 8-bit scalar-quantized copies of its vectors (kind `flat`, the default; kind
`hnsw` gives every segment one). The graph proposes `RERANK` candidates whose exact scores, from the
full vectors, decide the order. The graph settings (32 neighbours, built with a candidate list of
200, searched with one of 1,024) were chosen on tuning queries for recall@10 >= 0.95 against exact search on
real e5 vectors (100k) and on the stand-in's at a million rows (docs/BENCHMARKS.md, `python -m qa.bench.scale`);
an IVF index was measured and dropped: real e5 queries sit apart from the passages' clusters, so it had
to scan half its lists. A single query runs FAISS on one thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import faiss
import numpy as np

from qa.retrieval.hits import Hit
from qa.retrieval.postings import Postings
from qa.retrieval.segment import Segment, Segments, rank_rows

INDEX_KINDS = ("flat", "hnsw")
ANN_MIN_ROWS = 50_000
RERANK = 200
HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 200
HNSW_SEARCH_DEPTH = 1024
_QUANTIZER_SAMPLE = 20_000


def build_ann(vectors: np.ndarray, kind: str, ann_min_rows: int = ANN_MIN_ROWS) -> faiss.Index | None:
    """Return the HNSW graph a segment of these vectors gets, or None when it is searched exactly (kind `flat` below
    `ann_min_rows` rows); see the module docstring."""
    if kind not in INDEX_KINDS:
        raise ValueError(f"unknown index kind {kind!r} (choose from {', '.join(INDEX_KINDS)})")
    count, dimension = vectors.shape
    if count == 0 or (kind == "flat" and count < ann_min_rows):
        return None
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    # faiss's bundled stubs type the quantizer argument as a ScalarQuantizer, but it takes the QT_8bit enum value
    graph = faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_8bit, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]
    sample = np.random.default_rng(0).choice(count, min(count, _QUANTIZER_SAMPLE), replace=False)
    graph.hnsw.efConstruction = HNSW_BUILD_DEPTH
    graph.train(data[np.sort(sample)])  # the 8-bit codes' range in each dimension
    graph.add(data)
    return graph


@contextmanager
def one_thread_for_single_queries(count: int) -> Iterator[None]:
    """Run FAISS on one thread (of the calling thread's OpenMP settings) while it searches a single query."""
    if count != 1:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class DenseIndex:
    """Inner-product search over the vectors of every segment, deleted rows left out."""

    def __init__(self, segments: Segments) -> None:
        self.segments = segments

    @classmethod
    def build(cls, ids: Sequence[str], vectors: np.ndarray, kind: str = "flat", ann_min_rows: int = ANN_MIN_ROWS) -> DenseIndex:
        """Return an in-memory index of the vectors (row i is ids[i]), exact or approximate by size and kind."""
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        empty = Postings.from_entries(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(len(ids), np.int32))
        return cls(Segments.single(ids, vectors, empty, build_ann(vectors, kind, ann_min_rows)))

    def search(self, query_vectors: np.ndarray, k: int, search_depth: int = HNSW_SEARCH_DEPTH) -> list[list[Hit]]:
        """Return, for each query vector, up to k hits best first (ties by passage id); `search_depth` is the HNSW
        graph's candidate list (efSearch) where a segment has one."""
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
        found: list[list[tuple[float, int]]] = [[] for _ in range(len(queries))]
        if k <= 0:
            return [[] for _ in found]
        with one_thread_for_single_queries(len(queries)):
            for segment, alive in self.segments.live():
                for query, pairs in enumerate(_search_segment(segment, alive, queries, k, search_depth)):
                    found[query].extend(pairs)
        return [rank_rows(pairs, k, self.segments.resolve) for pairs in found]


def _search_segment(
    segment: Segment, alive: np.ndarray | None, queries: np.ndarray, k: int, search_depth: int
) -> list[list[tuple[float, int]]]:
    """Return per query the (exact score, global row) of up to k live rows of one segment, best first."""
    dead = 0 if alive is None else len(segment) - int(alive.sum())
    want = min(len(segment), k + dead)
    if segment.ann is None:
        scores, local = faiss.knn(queries, segment.vectors, want, metric=faiss.METRIC_INNER_PRODUCT)
    else:
        depth = _search_parameters(segment.ann, search_depth)
        _, candidates = segment.ann.search(queries, min(len(segment), max(RERANK, want)), params=depth)
        scores, local = _rerank(segment.vectors, queries, candidates, want)
    results = []
    for row_scores, rows in zip(scores, local, strict=True):
        keep = rows >= 0
        if alive is not None:
            keep &= alive[np.where(keep, rows, 0)]
        global_rows = segment.rows[rows[keep]]
        results.append(list(zip(row_scores[keep].tolist(), global_rows.tolist(), strict=True))[:k])
    return results


def _search_parameters(ann: faiss.Index, search_depth: int) -> faiss.SearchParameters | None:
    """Return the search depth for an HNSW graph; None (its own settings) for an IVF index an earlier version wrote."""
    if not isinstance(ann, faiss.IndexHNSW):
        return None
    return faiss.SearchParametersHNSW(efSearch=search_depth)  # type: ignore[attr-defined]  # missing from faiss's bundled stubs


def _rerank(vectors: np.ndarray, queries: np.ndarray, candidates: np.ndarray, want: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the exact scores and rows of each query's best `want` candidates (-1 rows where fewer)."""
    scores = np.full((len(queries), want), -np.inf, dtype=np.float32)
    rows = np.full((len(queries), want), -1, dtype=np.int64)
    for query, row_list in enumerate(candidates):
        valid = np.unique(row_list[row_list >= 0])
        exact = np.asarray(vectors[valid], dtype=np.float32) @ queries[query]
        order = np.lexsort((valid, -exact))[:want]
        scores[query, : len(order)] = exact[order]
        rows[query, : len(order)] = valid[order]
    return scores, rows
