"""Reciprocal-rank fusion of several ranked hit lists."""

from __future__ import annotations

from collections.abc import Sequence

from qa.retrieval.hits import Hit, ranked

RRF_K = 60


def reciprocal_rank_fusion(
    hit_lists: Sequence[Sequence[Hit]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[Hit]:
    """Return the hits of all lists ranked by sum(weight / (k + rank)) over the lists that hold them."""
    weights = weights or [1.0] * len(hit_lists)
    if len(weights) != len(hit_lists):
        raise ValueError(f"{len(weights)} weights for {len(hit_lists)} hit lists")
    scores: dict[str, float] = {}
    for hits, weight in zip(hit_lists, weights):
        for hit in hits:
            scores[hit.passage_id] = scores.get(hit.passage_id, 0.0) + weight / (k + hit.rank)
    return ranked(list(scores.items()))
