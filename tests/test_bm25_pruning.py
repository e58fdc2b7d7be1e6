"""MaxScore top-k of BM25 gives exactly (rows, scores, tie order) what summing every posting gives."""

from __future__ import annotations

import numpy as np
import pytest

from qa.retrieval import bm25
from qa.retrieval.bm25 import QueryTerm, _SegmentScorer


def _zipf_corpus(rng: np.random.Generator, rows: int, vocabulary: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Return each term's increasing rows and frequencies, and every row's length: a few common words, many rare ones."""
    lengths = rng.integers(20, 60, size=rows)
    draws = [rng.zipf(1.3, size=length) % vocabulary for length in lengths]
    postings: list[dict[int, int]] = [{} for _ in range(vocabulary)]
    for row, words in enumerate(draws):
        for word in words.tolist():
            postings[word][row] = postings[word].get(row, 0) + 1
    term_rows = [np.array(sorted(p), dtype=np.int32) for p in postings]
    term_freqs = [np.array([p[r] for r in sorted(p)], dtype=np.uint16) for p in postings]
    return term_rows, term_freqs, lengths.astype(np.int32)


@pytest.mark.parametrize("deleted_share", [0.0, 0.3])
def test_maxscore_top_k_equals_the_exhaustive_sum_bit_for_bit(deleted_share: float) -> None:
    rng = np.random.default_rng(7)
    rows, vocabulary = 3000, 400
    term_rows, term_freqs, lengths = _zipf_corpus(rng, rows, vocabulary)
    alive = rng.random(rows) >= deleted_share if deleted_share else None
    scorer = _SegmentScorer(lengths, float(lengths.mean()), alive)
    pruned = 0
    for _ in range(300):
        words = rng.choice(vocabulary, size=rng.integers(1, 9), replace=False)
        terms = [QueryTerm(float(rng.uniform(0.1, 8.0)), term_rows[w], term_freqs[w]) for w in words if len(term_rows[w])]
        if not terms:
            continue
        k = int(rng.choice([1, 5, 10, 50]))
        best_rows, best_scores = scorer.best(terms, k)
        all_rows, all_scores = scorer.exhaustive(terms, k)
        assert best_rows.tolist() == all_rows.tolist()
        assert best_scores.tolist() == all_scores.tolist()  # the same floats, not approximately
        pruned += _prunes(scorer, terms, k)
    assert pruned >= 50  # the queries exercised the early exit, not only the fallback


def _prunes(scorer: _SegmentScorer, terms: list[QueryTerm], k: int) -> bool:
    """Return whether `best` answers without summing every posting."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_SegmentScorer, "exhaustive", lambda *args: (_ for _ in ()).throw(AssertionError("exhaustive")))
        try:
            scorer.best(terms, k)
        except AssertionError:
            return False
    return True


def test_ties_at_the_kth_score_keep_row_order() -> None:
    lengths = np.full(100, 10, dtype=np.int32)
    common = QueryTerm(0.5, np.arange(100, dtype=np.int32), np.ones(100, dtype=np.uint16))
    rare = QueryTerm(5.0, np.array([10, 20, 30, 40], dtype=np.int32), np.ones(4, dtype=np.uint16))
    scorer = _SegmentScorer(lengths, 10.0, None)
    assert _prunes(scorer, [common, rare], 2)
    rows, scores = scorer.best([common, rare], 2)
    assert rows.tolist() == [10, 20] == scorer.exhaustive([common, rare], 2)[0].tolist()
    assert scores.tolist() == [pytest.approx(5.5 / 2.5), pytest.approx(5.5 / 2.5)]
    assert bm25.K1 == 1.5 and bm25.B == 0.75
