"""A fast stand-in for the e5 encoder, fitted to real e5 vectors, so scale benchmarks embed a million passages in minutes.

The stand-in maps a text's hashed character unigrams and bigrams (sublinear counts, L2-normalized)
linearly onto e5's 384 dimensions: a ridge regression fitted on real multilingual-e5-small vectors
of benchmark passages (`passage: ` prompt) and questions (`query: ` prompt), intercept included,
then L2-normalized like e5's own output. Its vectors therefore share e5's mean direction (e5 vectors
of unrelated texts have cosine ~0.7-0.8) and its principal subspace, which is what decides how well
an approximate index recalls the exact top 10. A regression shrinks its predictions toward the mean,
which would make the stand-in vectors far more alike than e5's (and an approximate index's job
harder than on real vectors), so along each principal axis of the real vectors the predictions are
scaled back to the real variance. `fit` reports the held-out cosine to the real vectors and the mean
cosine between vectors of different texts, real and stand-in.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

FEATURES = 2048
RIDGE = 0.3
MAX_SPREAD = 10.0


def features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the texts' hashed character unigram and bigram features: 1 + log(count), rows L2-normalized."""
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, text in enumerate(texts):
        grams = Counter(text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1))
        buckets: Counter[int] = Counter()
        for gram, count in grams.items():
            if gram.strip():
                buckets[zlib.crc32(gram.encode("utf-8")) % FEATURES] += 1 + np.log(count)
        norm = np.sqrt(sum(value * value for value in buckets.values())) or 1.0
        for column, value in buckets.items():
            rows.append(row)
            columns.append(column)
            values.append(value / norm)
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(texts), FEATURES), dtype=np.float32)


@dataclass(frozen=True)
class StandInEncoder:
    """An Encoder whose vectors are a fitted linear map of character n-gram features (see the module docstring)."""

    weights: np.ndarray
    bias: np.ndarray
    name: str = "e5-standin"

    @property
    def fingerprint(self) -> str:
        """Return a hash of the fitted map."""
        return "standin-" + hashlib.sha256(self.weights.tobytes() + self.bias.tobytes()).hexdigest()[:12]

    @property
    def dimension(self) -> int:
        """Return the vectors' length (e5-small's 384)."""
        return int(self.weights.shape[1])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return one normalized vector per query."""
        vectors = np.asarray(features(texts) @ self.weights) + self.bias
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return one normalized vector per passage, in batches of 10,000 reported to `progress`."""
        parts = []
        for start in range(0, len(texts), 10_000):
            parts.append(self.encode_queries(texts[start : start + 10_000]))
            if progress is not None:
                progress(len(parts[-1]))
        return np.vstack(parts) if parts else np.zeros((0, self.dimension), np.float32)

    def save(self, path: Path) -> None:
        """Write the fitted map to an .npz file."""
        np.savez(path, weights=self.weights, bias=self.bias)

    @classmethod
    def load(cls, path: Path) -> StandInEncoder:
        """Return the map saved by `save`."""
        data = np.load(path)
        return cls(data["weights"], data["bias"])


def fit(texts: Sequence[str], targets: np.ndarray, held_out: float = 0.1) -> tuple[StandInEncoder, dict[str, float]]:
    """Return the map fitted on all texts, and figures of one fitted without a held-out tenth: the mean cosine of its
    vectors to the real ones there, and the mean cosine between vectors of different texts (real and stand-in)."""
    order = np.random.default_rng(0).permutation(len(texts))
    test = order[: int(len(texts) * held_out)]
    train = order[len(test) :]
    X = features(texts)
    predicted = _fitted(X[train], targets[train]).encode_queries([texts[i] for i in test])
    real = targets[test]
    figures = {
        "held_out_cosine": float(np.mean(np.sum(predicted * real, axis=1))),
        "pairwise_cosine_e5": _mean_pairwise(real),
        "pairwise_cosine_standin": _mean_pairwise(predicted),
    }
    return _fitted(X, targets), figures


def _mean_pairwise(vectors: np.ndarray) -> float:
    similarities = vectors @ vectors.T
    return float((similarities.sum() - np.trace(similarities)) / (len(vectors) * (len(vectors) - 1)))


def _fitted(X: sparse.csr_matrix, Y: np.ndarray) -> StandInEncoder:
    """Return the ridge map from features to vectors, its spread restored: along each principal axis of the real
    vectors the predictions (which a regression shrinks toward the mean) are scaled to the real variance."""
    mean_x = np.asarray(X.mean(axis=0)).ravel()
    mean_y = Y.mean(axis=0)
    dense = X.toarray() - mean_x
    gram = dense.T @ dense + RIDGE * np.eye(FEATURES, dtype=np.float64)
    weights = np.linalg.solve(gram, dense.T @ (Y - mean_y))
    variances, axes = np.linalg.eigh(np.cov(Y - mean_y, rowvar=False))
    predicted = (dense @ weights) @ axes
    scale = np.sqrt(np.maximum(variances, 0) / np.maximum(predicted.var(axis=0), 1e-12))
    spread = axes @ np.diag(np.minimum(scale, MAX_SPREAD)) @ axes.T
    weights = weights @ spread
    return StandInEncoder(weights.astype(np.float32), (mean_y - mean_x @ weights).astype(np.float32))
