"""A deterministic fake encoder: hashed character unigrams and bigrams, L2-normalized."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np


class FakeEncoder:
    """Texts sharing characters get similar vectors; counts every passage it embeds."""

    def __init__(self, dimension: int = 64, name: str = "fake", fingerprint: str = "fake-0001") -> None:
        self.name = name
        self.fingerprint = fingerprint
        self.dimension = dimension
        self.passages_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            if gram.strip():
                bucket = int.from_bytes(hashlib.md5(gram.encode()).digest()[:4], "little") % self.dimension
                vector[bucket] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._vector(text) for text in texts], dtype=np.float32).reshape(len(texts), self.dimension)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.passages_embedded += len(texts)
        if progress is not None:
            progress(len(texts))
        return self.encode_queries(texts)
