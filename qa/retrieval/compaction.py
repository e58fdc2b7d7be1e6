"""Making segments: one from new passages, or one from several old ones with their deleted rows dropped (compaction).

Compaction runs when it pays: a segment whose deleted rows pass `DEAD_SHARE` of its rows is rewritten,
and when there are more than `MAX_SEGMENTS` segments the `MERGE_FACTOR` smallest are merged, so a
long run of one-document updates costs a logarithmic number of rewrites per passage and a search
visits a bounded number of segments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.retrieval.dense import build_ann
from qa.retrieval.postings import Postings, Tokenize, build_postings
from qa.retrieval.segment import Segment

MAX_SEGMENTS = 8
MERGE_FACTOR = 4
DEAD_SHARE = 0.3


def new_segment(
    name: str,
    first_row: int,
    vectors: np.ndarray,
    texts: Sequence[str],
    tokenize: Tokenize,
    kind: str,
    progress: Callable[[int], None] | None = None,
) -> Segment:
    """Return a segment of new passages (rows first_row, first_row + 1, ...): their vectors, postings and approximate index."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    postings = build_postings(tokenize, texts, progress)
    rows = np.arange(first_row, first_row + len(texts), dtype=np.int64)
    return Segment(name, rows, vectors, postings, build_ann(vectors, kind))


@dataclass(frozen=True)
class SegmentState:
    """A segment and which of its rows are live (None: all of them)."""

    segment: Segment
    alive: np.ndarray | None

    @property
    def dead(self) -> int:
        """Return how many of its rows are deleted."""
        return 0 if self.alive is None else len(self.segment) - int(self.alive.sum())


def alive_mask(rows: np.ndarray, dead_rows: np.ndarray) -> np.ndarray | None:
    """Return which of the rows are not dead (None when all are live)."""
    if not len(dead_rows):
        return None
    mask = ~np.isin(rows, dead_rows)
    return None if mask.all() else mask


def merge_plan(states: Sequence[SegmentState]) -> list[int]:
    """Return the positions of the segments worth merging now (empty when none is); see the module docstring."""
    chosen = {i for i, state in enumerate(states) if len(state.segment) and state.dead / len(state.segment) > DEAD_SHARE}
    chosen |= {i for i, state in enumerate(states) if len(state.segment) == state.dead}
    if len(states) - len(chosen) + (1 if chosen else 0) > MAX_SEGMENTS:
        by_size = sorted((i for i in range(len(states)) if i not in chosen), key=lambda i: len(states[i].segment) - states[i].dead)
        chosen |= set(by_size[:MERGE_FACTOR])
    return sorted(chosen)


def merge(name: str, states: Sequence[SegmentState], kind: str) -> Segment:
    """Return one segment of the live rows of several, in order; postings are merged, never re-tokenized."""
    keeps = [np.ones(len(state.segment), bool) if state.alive is None else state.alive for state in states]
    rows = np.concatenate([np.asarray(state.segment.rows)[keep] for state, keep in zip(states, keeps, strict=True)])
    vectors = np.concatenate([np.asarray(state.segment.vectors)[keep] for state, keep in zip(states, keeps, strict=True)])
    postings = Postings.merge([(state.segment.postings, keep) for state, keep in zip(states, keeps, strict=True)])
    return Segment(name, rows.astype(np.int64), np.ascontiguousarray(vectors, dtype=np.float32), postings, build_ann(vectors, kind))
