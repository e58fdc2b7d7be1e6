"""Chinese BM25: jieba words (optionally plus character bigrams) over folded text, scored over the index's segments."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

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
# MaxScore gives up (and sums every posting) once its candidates exceed this share of the segment's rows.
_PROBE_SHARE = 2
# Partial scores are summed in another order than full ones: bounds are widened by this relative margin.
_ROUNDING = 1e-9


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
        terms: list[tuple[float, list[tuple[np.ndarray, np.ndarray]]]] = []
        for term, repeats in Counter(term_hash(token) for token in tokens).items():
            found = [segment.postings.lookup(term) for segment, _ in live]
            frequency = sum(
                len(rows) if alive is None else int(alive[rows].sum()) for (rows, _), (_, alive) in zip(found, live, strict=True)
            )
            if frequency:
                terms.append((repeats * float(np.log(1 + (self.count - frequency + 0.5) / (frequency + 0.5))), found))
        pairs: list[tuple[float, int]] = []
        for number, (segment, alive) in enumerate(live):
            query_terms = [QueryTerm(bound, *found[number]) for bound, found in terms if len(found[number][0])]
            if query_terms:
                scorer = _SegmentScorer(np.asarray(segment.postings.lengths), self.average_length, alive)
                rows, totals = scorer.best(query_terms, k)
                pairs.extend((float(total), int(segment.rows[row])) for row, total in zip(rows, totals, strict=True))
        return rank_rows(pairs, k, self.segments.resolve)


@dataclass(frozen=True)
class QueryTerm:
    """A query term's postings in one segment: rows (increasing) and frequencies, and its bound (repeats x idf), which
    no passage's share of the score reaches."""

    bound: float
    rows: np.ndarray
    freqs: np.ndarray


@dataclass(frozen=True)
class _SegmentScorer:
    """BM25 scores of one segment's rows: every matching row, or only those that can reach the top k (MaxScore)."""

    lengths: np.ndarray
    average_length: float
    alive: np.ndarray | None

    def weights(self, term: QueryTerm, positions: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Return the term's share of the score of its postings at `positions` (all by default)."""
        rows = term.rows[positions]
        tf = np.asarray(term.freqs[positions], dtype=np.float64)
        return term.bound * tf / (tf + K1 * (1 - B + B * self.lengths[rows] / self.average_length))

    def best(self, terms: Sequence[QueryTerm], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows with the k best positive scores (ties in row order) and their scores, best first.

        MaxScore (Turtle and Flood 1995): terms are read rarest first, summing each row's partial score.
        Once the bounds of the terms not yet read sum to less than the k-th best partial score (a lower
        bound of the k-th best score), no row outside those read can enter the top k. The unread terms
        are then only probed at the rows read, highest bound first, dropping each row that can no longer
        reach the k-th best; the long postings of common words are probed last, at a few rows. The rows
        left are scored in full in query-term order, so the scores equal `exhaustive`'s bit for bit.
        """
        by_length = sorted(range(len(terms)), key=lambda i: len(terms[i].rows))
        unread = sum(terms[i].bound for i in by_length)
        rows, partial = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        pending_rows: list[np.ndarray] = []
        pending_weights: list[np.ndarray] = []
        for number, position in enumerate(by_length):
            term = terms[position]
            pending = sum(len(part) for part in pending_rows)
            # A check costs a pass over the rows read: it comes before a term at least as long as all those read
            # since the last check (the long postings come last), and before the last term.
            if pending and (len(term.rows) >= pending or number == len(by_length) - 1):
                read = np.concatenate([rows, *pending_rows]), np.concatenate([partial, *pending_weights])
                rows, partial = _sum_by_row(*read, len(self.lengths))
                pending_rows, pending_weights = [], []
                if len(rows) * _PROBE_SHARE > len(self.lengths):
                    break
                if self.alive is not None:
                    live = self.alive[rows]
                    rows, partial = rows[live], partial[live]
                threshold = _kth_largest(partial, k) * (1 - _ROUNDING)
                if unread * (1 + _ROUNDING) < threshold:
                    return self._probe([terms[i] for i in by_length[number:]], terms, k, rows, partial, threshold)
            if number == len(by_length) - 1:
                break
            unread -= term.bound
            pending_rows.append(term.rows)
            pending_weights.append(self.weights(term))
        return self.exhaustive(terms, k)

    def _probe(
        self, unread: Sequence[QueryTerm], terms: Sequence[QueryTerm], k: int, rows: np.ndarray, partial: np.ndarray, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return `best`'s answer from the live rows read (with their partial scores), which hold the top k: the terms
        not read are probed at them, highest bound first, dropping rows that can no longer reach `threshold`."""
        left = sum(term.bound for term in unread)
        for term in sorted(unread, key=lambda term: -term.bound):
            keep = partial + left * (1 + _ROUNDING) >= threshold
            rows, partial = rows[keep], partial[keep]
            left -= term.bound
            self._add_at(term, rows, partial)
            threshold = max(threshold, _kth_largest(partial, k) * (1 - _ROUNDING))
        rows = rows[partial >= threshold]
        totals = self.at_rows(terms, rows)
        best = top_k(totals, k)
        return rows[best], totals[best]

    def at_rows(self, terms: Sequence[QueryTerm], rows: np.ndarray) -> np.ndarray:
        """Return the full scores of these rows (increasing), deleted rows scored 0."""
        totals = np.zeros(len(rows), dtype=np.float64)
        for term in terms:
            self._add_at(term, rows, totals)
        if self.alive is not None:
            totals[~self.alive[rows]] = 0
        return totals

    def _add_at(self, term: QueryTerm, rows: np.ndarray, totals: np.ndarray) -> None:
        """Add the term's share of the score to `totals` at those of these rows (increasing) that hold it."""
        positions = np.minimum(np.searchsorted(term.rows, rows), len(term.rows) - 1)
        present = term.rows[positions] == rows
        totals[present] += self.weights(term, positions[present])

    def exhaustive(self, terms: Sequence[QueryTerm], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return what `best` returns by summing every posting of every term."""
        rows, totals = _sum_by_row(
            np.concatenate([term.rows for term in terms]), np.concatenate([self.weights(term) for term in terms]), len(self.lengths)
        )
        if self.alive is not None:
            totals[~self.alive[rows]] = 0
        best = [i for i in top_k(totals, k) if totals[i] > 0]
        return rows[best], totals[best]


def _kth_largest(values: np.ndarray, k: int) -> float:
    """Return the k-th largest value (0 when there are fewer than k)."""
    return float(np.partition(values, len(values) - k)[len(values) - k]) if len(values) >= k else 0.0


def _sum_by_row(rows: np.ndarray, weights: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct rows and the sum of their weights: by sorting when few rows matched, else over all `size` rows."""
    if len(rows) * 4 < size:
        distinct, inverse = np.unique(rows, return_inverse=True)
        return distinct, np.bincount(inverse, weights=weights)
    totals = np.bincount(rows, weights=weights, minlength=size)
    distinct = np.flatnonzero(totals)
    return distinct, totals[distinct]
