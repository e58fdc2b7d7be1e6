"""Search a store (qa/retrieval/backend.py) with dense vectors, BM25, or their fusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.encoder import Encoder
from qa.errors import QAError
from qa.records import Query, RetrievedPassage
from qa.retrieval.backend import EmbeddedStore, PassageStore
from qa.retrieval.fusion import reciprocal_rank_fusion, score_fusion
from qa.retrieval.hits import Hit
from qa.retrieval.store import LoadedIndex

RETRIEVERS = ("dense", "bm25", "hybrid", "rrf")
FUSION_DEPTH = 50


@dataclass(frozen=True)
class Candidates:
    """Each query's dense and BM25 hit lists, before fusion (an empty tuple for a retriever not run)."""

    dense: tuple[list[Hit], ...]
    bm25: tuple[list[Hit], ...]


def fuse(mode: str, dense: list[Hit], bm25: list[Hit]) -> list[Hit]:
    """Return one query's ranking by a retriever: the dense or BM25 hits, or their score or reciprocal-rank fusion."""
    if mode == "dense":
        return dense
    if mode == "bm25":
        return bm25
    if mode == "rrf":
        return reciprocal_rank_fusion([dense, bm25])
    return score_fusion(dense, bm25)


def check_retriever(mode: str) -> None:
    """Raise ValueError naming the choices when mode is not a retriever."""
    if mode not in RETRIEVERS:
        raise ValueError(f"unknown retriever {mode!r} (choose from {', '.join(RETRIEVERS)})")


class Retriever:
    """Answers `search(query)` from a store (a LoadedIndex is searched through the embedded store); the encoder is
    checked against the store once.

    A Query's text is embedded and its keywords searched by BM25 (qa.query makes them); a plain
    string is searched as it is.
    """

    def __init__(self, store: PassageStore | LoadedIndex, encoder: Encoder) -> None:
        self.store: PassageStore = EmbeddedStore(store) if isinstance(store, LoadedIndex) else store
        self.encoder = encoder
        self._model_checked = False

    @property
    def index(self) -> LoadedIndex:
        """Return the embedded index searched (QAError when the store is another one, such as Milvus)."""
        if not isinstance(self.store, EmbeddedStore):
            raise QAError(f"the index is in {type(self.store).__name__}, not in the data dir")
        return self.store.index

    def search(self, query: Query | str, k: int = 5, mode: str = "hybrid") -> list[RetrievedPassage]:
        """Return the k best passages for the query by the chosen retriever."""
        return self.search_many([query], k, mode)[0]

    def search_many(self, queries: Sequence[Query | str], k: int = 5, mode: str = "hybrid") -> list[list[RetrievedPassage]]:
        """Return the k best passages for each query (queries are encoded in one batch)."""
        check_retriever(mode)
        depth = max(k, FUSION_DEPTH) if mode in ("hybrid", "rrf") else k
        candidates = self.candidates(queries, depth, dense=mode != "bm25", bm25=mode != "dense")
        dense = candidates.dense or tuple([] for _ in queries)
        bm25 = candidates.bm25 or tuple([] for _ in queries)
        return [self.ranked(fuse(mode, d, b)[:k]) for d, b in zip(dense, bm25, strict=True)]

    def candidates(self, queries: Sequence[Query | str], depth: int, dense: bool = True, bm25: bool = True) -> Candidates:
        """Return the top-depth dense and BM25 hits of each query, for `fuse` to rank by any retriever."""
        prepared = [Query.plain(query) if isinstance(query, str) else query for query in queries]
        dense_lists = tuple(self._dense([query.text for query in prepared], depth)) if dense else ()
        bm25_lists = tuple(self.store.sparse_search(query.keywords, depth) for query in prepared) if bm25 else ()
        return Candidates(dense_lists, bm25_lists)

    def _dense(self, texts: Sequence[str], k: int) -> list[list[Hit]]:
        if not self._model_checked:
            self.store.info().check_model(self.encoder)
            self._model_checked = True
        return self.store.dense_search(self.encoder.encode_queries(texts), k)

    def ranked(self, hits: Sequence[Hit]) -> list[RetrievedPassage]:
        """Return the passages of ranked hits, with their scores and ranks."""
        passages = self.store.fetch([hit.passage_id for hit in hits])
        return [RetrievedPassage(passage, hit.score, hit.rank) for passage, hit in zip(passages, hits, strict=True)]
