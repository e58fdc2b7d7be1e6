"""BM25 top-k by partial selection gives exactly what a stable sort of all scores gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.retrieval.bm25 import top_k


def test_top_k_by_hand() -> None:
    scores = np.array([0.5, 2.0, 1.0, 2.0, 0.0, 1.0])
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 4).tolist() == [1, 3, 2, 5]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 5, 0, 4]
    assert top_k(scores, 0).tolist() == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.25]), min_size=1, max_size=60), st.integers(min_value=1, max_value=70))
def test_top_k_equals_a_stable_full_sort(values: list[float], k: int) -> None:
    scores = np.array(values)
    assert top_k(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()
