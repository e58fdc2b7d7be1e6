"""BM25 postings of one segment: for each term (a stable 64-bit hash of the token), the rows holding it and how often.

Tokens are computed once, when a passage is added: merging segments concatenates their postings and
never tokenizes again. Bulk tokenization runs in one process per core.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_CHUNK = 2000
_PARALLEL_FROM = 4000


def term_hash(token: str) -> int:
    """Return the stable 64-bit hash of a token (the same in every process and run)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class Postings:
    """Sorted term hashes; for term i, postings rows[starts[i]:starts[i+1]] (local rows) with their term frequencies."""

    terms: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    freqs: np.ndarray
    lengths: np.ndarray

    def lookup(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the local rows holding a term and its frequency in each (empty arrays when absent)."""
        position = int(np.searchsorted(self.terms, np.uint64(term)))
        if position == len(self.terms) or int(self.terms[position]) != term:
            return self.rows[:0], self.freqs[:0]
        start, end = int(self.starts[position]), int(self.starts[position + 1])
        return self.rows[start:end], self.freqs[start:end]

    @classmethod
    def from_entries(cls, terms: np.ndarray, rows: np.ndarray, freqs: np.ndarray, lengths: np.ndarray) -> Postings:
        """Return the postings of (term, row, frequency) entries; `lengths` gives each row's token count.

        Terms may come in any order, but each term's entries must come in increasing row order (a stable
        sort by term then orders them by term and row); both callers produce them so.
        """
        order = np.argsort(terms, kind="stable")
        terms = terms[order]
        boundaries = np.flatnonzero(terms[1:] != terms[:-1]) + 1
        unique = terms[np.concatenate([[0], boundaries])] if len(terms) else terms
        starts = np.concatenate([[0], boundaries, [len(terms)]]).astype(np.int64)
        del terms
        rows = rows[order].astype(np.int32, copy=False)
        freqs = np.minimum(freqs[order], np.iinfo(np.uint16).max).astype(np.uint16, copy=False)
        return cls(unique.astype(np.uint64, copy=False), starts, rows, freqs, lengths.astype(np.int32, copy=False))

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return every (term, local row, frequency) entry as three arrays."""
        counts = np.diff(self.starts)
        return np.repeat(self.terms, counts), np.asarray(self.rows), np.asarray(self.freqs)

    @classmethod
    def merge(cls, parts: Sequence[tuple[Postings, np.ndarray]]) -> Postings:
        """Return the postings of several segments' kept rows, in order; each part is (postings, boolean mask of rows kept)."""
        terms, rows, freqs, lengths = [], [], [], []
        offset = 0
        for postings, keep in parts:
            new_row = np.cumsum(keep) - 1 + offset
            part_terms, part_rows, part_freqs = postings.entries()
            alive = keep[part_rows]
            terms.append(part_terms[alive])
            rows.append(new_row[part_rows[alive]])
            freqs.append(part_freqs[alive])
            lengths.append(np.asarray(postings.lengths)[keep])
            offset += int(keep.sum())
        return cls.from_entries(
            np.concatenate(terms) if terms else np.zeros(0, np.uint64),
            np.concatenate(rows) if rows else np.zeros(0, np.int32),
            np.concatenate(freqs) if freqs else np.zeros(0, np.uint16),
            np.concatenate(lengths) if lengths else np.zeros(0, np.int32),
        )


Tokenize = Callable[[str], list[str]]


def _chunk_entries(tokenize: Tokenize, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (term hashes, local rows, frequencies, row lengths) of a chunk of texts; an empty text counts one empty token."""
    hashes: dict[str, int] = {}
    terms: list[int] = []
    rows: list[int] = []
    freqs: list[int] = []
    lengths = np.zeros(len(texts), np.int32)
    for row, text in enumerate(texts):
        tokens = tokenize(text) or [""]
        lengths[row] = len(tokens)
        for token, count in Counter(tokens).items():
            term = hashes.get(token)
            if term is None:
                term = hashes[token] = term_hash(token)
            terms.append(term)
            rows.append(row)
            freqs.append(count)
    return np.array(terms, np.uint64), np.array(rows, np.int32), np.array(freqs, np.uint16), lengths


_WORKER_TOKENIZE: list[Tokenize] = []


def _worker_chunk(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _chunk_entries(_WORKER_TOKENIZE[0], texts)


def build_postings(tokenize: Tokenize, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Postings:
    """Return the postings of the texts (row i is texts[i]), tokenized in one process per core for bulk input.

    Worker processes are forked, so they are used only from a single-threaded process (`qa index`, benchmarks).
    """
    chunks = [texts[start : start + _CHUNK] for start in range(0, len(texts), _CHUNK)]
    workers = min(os.cpu_count() or 1, len(chunks))
    results = []
    if len(texts) >= _PARALLEL_FROM and workers > 1 and threading.active_count() == 1:
        tokenize("预热")  # load jieba's dictionary once, before forking
        _WORKER_TOKENIZE[:] = [tokenize]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for result in pool.imap(_worker_chunk, chunks):
                results.append(result)
                if progress is not None:
                    progress(len(result[3]))
    else:
        for chunk in chunks:
            results.append(_chunk_entries(tokenize, chunk))
            if progress is not None:
                progress(len(chunk))
    if not results:
        return Postings.from_entries(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.uint16), np.zeros(0, np.int32))
    offsets = np.cumsum([0] + [len(result[3]) for result in results])
    terms = np.concatenate([result[0] for result in results])
    rows = np.concatenate([(result[1] + offset).astype(np.int32) for result, offset in zip(results, offsets, strict=False)])
    freqs = np.concatenate([result[2] for result in results])
    lengths = np.concatenate([result[3] for result in results])
    del results
    return Postings.from_entries(terms, rows, freqs, lengths)
