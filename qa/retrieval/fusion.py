"""Fusion of dense and BM25 hit lists: normalized score fusion (the default) and reciprocal-rank fusion.

Measured on CMRC 2018 trial and DRCD test (never on the dev sets, which report the results): score
fusion with dense weight 0.4 over BM25 with character bigrams reached recall@1 0.984 / 0.950,
plain RRF (k=60) 0.976 / 0.926 (see docs/BENCHMARKS.md, "Choosing the fusion").
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.retrieval.hits import Hit, ranked

RRF_K = 60
DENSE_WEIGHT = 0.4


def reciprocal_rank_fusion(hit_lists: Sequence[Sequence[Hit]], weights: Sequence[float] | None = None, k: int = RRF_K) -> list[Hit]:
    """Return the hits of all lists ranked by sum(weight / (k + rank)) over the lists that hold them."""
    weights = weights or [1.0] * len(hit_lists)
    if len(weights) != len(hit_lists):
        raise ValueError(f"{len(weights)} weights for {len(hit_lists)} hit lists")
    scores: dict[str, float] = {}
    for hits, weight in zip(hit_lists, weights, strict=True):
        for hit in hits:
            scores[hit.passage_id] = scores.get(hit.passage_id, 0.0) + weight / (k + hit.rank)
    return ranked(list(scores.items()))


def score_fusion(dense: Sequence[Hit], bm25: Sequence[Hit], dense_weight: float = DENSE_WEIGHT) -> list[Hit]:
    """Return the hits of both lists ranked by a weighted sum of their min-max normalized scores.

    Each list's scores are scaled to [0, 1] over the hits it returned (a passage a list did not
    return counts 0 there), then combined as dense_weight * dense + (1 - dense_weight) * bm25.
    """
    combined: dict[str, float] = {}
    for hits, weight in ((dense, dense_weight), (bm25, 1.0 - dense_weight)):
        if not hits:
            continue
        low, high = min(hit.score for hit in hits), max(hit.score for hit in hits)
        for hit in hits:
            scaled = (hit.score - low) / (high - low) if high > low else 1.0
            combined[hit.passage_id] = combined.get(hit.passage_id, 0.0) + weight * scaled
    return ranked(list(combined.items()))
