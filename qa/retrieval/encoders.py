"""The application's view of an embedding model: the embeddings package's encoder with its errors re-raised as
QAError, the one error type every front end reports as a one-line message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder, SentenceTransformerEncoder
from embeddings.errors import EmbeddingError
from qa.errors import QAError


class ProjectEncoder:
    """Delegates to an encoder; an EmbeddingError it raises (on first use, when the model loads) becomes a QAError."""

    def __init__(self, inner: Encoder) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        """Return the model's name."""
        return self._call(lambda: self._inner.name)

    @property
    def fingerprint(self) -> str:
        """Return the model's fingerprint (loads the model)."""
        return self._call(lambda: self._inner.fingerprint)

    @property
    def dimension(self) -> int:
        """Return the vectors' dimension (loads the model)."""
        return self._call(lambda: self._inner.dimension)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return the query vectors of the texts."""
        return self._call(lambda: self._inner.encode_queries(texts))

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return the passage vectors of the texts, reporting progress in passages."""
        return self._call(lambda: self._inner.encode_passages(texts, progress))

    @staticmethod
    def _call(work: Callable):
        try:
            return work()
        except EmbeddingError as error:
            raise QAError(str(error)) from error


def load_encoder(model: str, data_dir: Path) -> ProjectEncoder:
    """Return the encoder of a model name or folder (`default`: the bundled one), loaded on first use in `data_dir`."""
    return ProjectEncoder(SentenceTransformerEncoder(model, data_dir))
