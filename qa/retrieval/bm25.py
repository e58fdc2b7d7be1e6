"""Chinese BM25: jieba words (optionally plus character bigrams) over folded text, scored over the index's segments."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence

import jieba
import numpy as np

from qa.folding import TextNormalizer
from qa.retrieval.hits import Hit
from qa.retrieval.postings import build_postings, term_hash
from qa.retrieval.segment import Segments, rank_rows

_WORD = re.compile(r"\w", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
K1 = 1.5
B = 0.75


class ChineseTokenizer:
    """Splits folded text into jieba search-mode words, dropping punctuation and spaces."""

    def __init__(self, bigrams: bool) -> None:
        self.bigrams = bigrams
        self._normalize = TextNormalizer()

    def __call__(self, text: str) -> list[str]:
        """Return the tokens of a text; with bigrams, every CJK character pair is a token too."""
        # jieba's own shared tokenizer loads its dictionary once per process, on first use.
        jieba.setLogLevel(logging.WARNING)
        folded = self._normalize(text)
        tokens = [token for token in jieba.cut_for_search(folded) if _WORD.search(token)]
        if self.bigrams:
            for run in _CJK_RUN.findall(folded):
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        return tokens


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the k highest scores, best first, ties in index order (what a stable sort of all scores
    gives) by partial selection: only the k chosen scores are sorted."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    if k <= 0:
        return np.array([], dtype=np.int64)
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    above = np.flatnonzero(scores > kth)
    chosen = np.concatenate([above, np.flatnonzero(scores == kth)[: k - len(above)]])
    return chosen[np.argsort(-scores[chosen], kind="stable")]


class BM25Index:
    """Okapi BM25 (the Lucene variant bm25s uses: k1 1.5, b 0.75) over the postings of every segment, deleted rows left out.

    Document frequencies and the average length are those of the live rows of all segments together,
    computed at query time, so an index built incrementally scores exactly like one built at once.
    """

    def __init__(self, segments: Segments, tokenizer: ChineseTokenizer) -> None:
        self.segments = segments
        self.tokenizer = tokenizer
        self.count = 0
        total_length = 0
        for segment, alive in segments.live():
            lengths = np.asarray(segment.postings.lengths, dtype=np.int64)
            self.count += len(lengths) if alive is None else int(alive.sum())
            total_length += int(lengths.sum() if alive is None else lengths[alive].sum())
        self.average_length = total_length / self.count if self.count else 1.0

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], bigrams: bool = False) -> BM25Index:
        """Return an in-memory index of the texts; ids[i] names texts[i]."""
        tokenizer = ChineseTokenizer(bigrams)
        postings = build_postings(tokenizer, texts)
        return cls(Segments.single(ids, np.zeros((len(ids), 0), np.float32), postings), tokenizer)

    def search(self, query: str, k: int) -> list[Hit]:
        """Return up to k passages with a positive BM25 score for the query, best first (ties by passage id)."""
        tokens = self.tokenizer(query)
        if not tokens or not self.count or k <= 0:
            return []
        live = list(self.segments.live())
        matched: list[tuple[list[np.ndarray], list[np.ndarray]]] = [([], []) for _ in live]
        for term, repeats in Counter(term_hash(token) for token in tokens).items():
            found = [segment.postings.lookup(term) for segment, _ in live]
            frequency = sum(
                len(rows) if alive is None else int(alive[rows].sum()) for (rows, _), (_, alive) in zip(found, live, strict=True)
            )
            if not frequency:
                continue
            idf = np.log(1 + (self.count - frequency + 0.5) / (frequency + 0.5))
            for (rows, freqs), (segment, _), (all_rows, weights) in zip(found, live, matched, strict=True):
                lengths = np.asarray(segment.postings.lengths)[rows]
                tf = np.asarray(freqs, dtype=np.float64)
                all_rows.append(np.asarray(rows))
                weights.append(repeats * idf * tf / (tf + K1 * (1 - B + B * lengths / self.average_length)))
        pairs: list[tuple[float, int]] = []
        for (segment, alive), (all_rows, weights) in zip(live, matched, strict=True):
            if not all_rows:
                continue
            rows, totals = _sum_by_row(np.concatenate(all_rows), np.concatenate(weights), len(segment))
            if alive is not None:
                totals[~alive[rows]] = 0
            best = top_k(totals, k)
            pairs.extend((float(totals[i]), int(segment.rows[rows[i]])) for i in best if totals[i] > 0)
        return rank_rows(pairs, k, self.segments.resolve)


def _sum_by_row(rows: np.ndarray, weights: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct rows and the sum of their weights: by sorting when few rows matched, else over all `size` rows."""
    if len(rows) * 4 < size:
        distinct, inverse = np.unique(rows, return_inverse=True)
        return distinct, np.bincount(inverse, weights=weights)
    totals = np.bincount(rows, weights=weights, minlength=size)
    distinct = np.flatnonzero(totals)
    return distinct, totals[distinct]
