"""Chinese BM25 with bm25s: jieba words (optionally plus character bigrams) over folded text."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import jieba
import numpy as np

from qa.folding import TextNormalizer
from qa.retrieval.hits import Hit, ranked

_WORD = re.compile(r"\w", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")


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


@dataclass
class BM25Index:
    """A bm25s index over passages, addressed by passage id."""

    ids: tuple[str, ...]
    tokenizer: ChineseTokenizer
    model: bm25s.BM25

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], bigrams: bool = False) -> BM25Index:
        """Return an index of the texts; ids[i] names texts[i]."""
        tokenizer = ChineseTokenizer(bigrams)
        model = bm25s.BM25()
        model.index([tokenizer(text) or [""] for text in texts], show_progress=False)
        return cls(tuple(ids), tokenizer, model)

    def search(self, query: str, k: int) -> list[Hit]:
        """Return up to k passages with a positive BM25 score for the query, best first."""
        tokens = self.tokenizer(query)
        if not tokens or not self.ids:
            return []
        scores = self.model.get_scores(tokens)
        top = top_k(scores, k)
        return ranked([(self.ids[i], float(scores[i])) for i in top if scores[i] > 0])

    def save(self, directory: Path) -> None:
        """Write the index to a folder: bm25s arrays, ids in row order and the tokenizer settings."""
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(str(directory), show_progress=False)
        (directory / "ids.json").write_text(json.dumps(list(self.ids), ensure_ascii=False), encoding="utf-8")
        (directory / "tokenizer.json").write_text(json.dumps({"bigrams": self.tokenizer.bigrams}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        """Return the index saved in a folder by `save`."""
        ids = tuple(json.loads((directory / "ids.json").read_text(encoding="utf-8")))
        settings = json.loads((directory / "tokenizer.json").read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(ids, ChineseTokenizer(settings["bigrams"]), model)
