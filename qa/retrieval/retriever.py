"""Search an index with dense vectors, BM25, or their reciprocal-rank fusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.encoder import Encoder
from qa.crosslingual import EnglishToChinese
from qa.records import Passage
from qa.retrieval.fusion import reciprocal_rank_fusion, score_fusion
from qa.retrieval.hits import Hit
from qa.retrieval.store import LoadedIndex, check_model

RETRIEVERS = ("dense", "bm25", "hybrid", "rrf")
FUSION_DEPTH = 50


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage found for a query, with the retriever's score and 1-based rank."""

    passage: Passage
    score: float
    rank: int


class Retriever:
    """Answers `search(query)` from a loaded index; the encoder is checked against the index once."""

    def __init__(self, index: LoadedIndex, encoder: Encoder) -> None:
        self.index = index
        self.encoder = encoder
        self._model_checked = False
        self._dictionary = EnglishToChinese()

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[RetrievedPassage]:
        """Return the k best passages for the query by the chosen retriever."""
        return self.search_many([query], k, mode)[0]

    def search_many(self, queries: Sequence[str], k: int = 5, mode: str = "hybrid") -> list[list[RetrievedPassage]]:
        """Return the k best passages for each query (queries are encoded in one batch)."""
        if mode not in RETRIEVERS:
            raise ValueError(f"unknown retriever {mode!r} (choose from {', '.join(RETRIEVERS)})")
        fused = mode in ("hybrid", "rrf")
        depth = max(k, FUSION_DEPTH) if fused else k
        dense_lists = self._dense(queries, depth) if mode == "dense" or fused else []
        # keywords of an English question are searched in Chinese too (the dictionary loads on the first such question)
        bm25_lists = (
            [self.index.bm25.search(self._dictionary.expand_query(query), depth) for query in queries] if mode == "bm25" or fused else []
        )
        results = []
        for position in range(len(queries)):
            if mode == "dense":
                hits = dense_lists[position]
            elif mode == "bm25":
                hits = bm25_lists[position]
            elif mode == "rrf":
                hits = reciprocal_rank_fusion([dense_lists[position], bm25_lists[position]])
            else:
                hits = score_fusion(dense_lists[position], bm25_lists[position])
            results.append([self._resolve(hit) for hit in hits[:k]])
        return results

    def _dense(self, queries: Sequence[str], k: int) -> list[list[Hit]]:
        if not self._model_checked:
            check_model(self.index.manifest, self.encoder)
            self._model_checked = True
        return self.index.dense.search(self.encoder.encode_queries(queries), k)

    def _resolve(self, hit: Hit) -> RetrievedPassage:
        return RetrievedPassage(self.index.passages[hit.passage_id], hit.score, hit.rank)
