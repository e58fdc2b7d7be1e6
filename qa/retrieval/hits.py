"""The result of every retriever: passage ids with scores, best first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    """One retrieved passage: its id, the retriever's score (higher is better) and its 1-based rank."""

    passage_id: str
    score: float
    rank: int


def ranked(pairs: list[tuple[str, float]]) -> list[Hit]:
    """Return hits ranked by descending score (ties keep their order) from (passage id, score) pairs."""
    ordered = sorted(pairs, key=lambda pair: -pair[1])
    return [Hit(passage_id, float(score), rank) for rank, (passage_id, score) in enumerate(ordered, start=1)]
