"""The application's view of an embedding model: the embeddings package's encoder with its errors re-raised as
QAError, the one error type every front end reports as a one-line message."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from embeddings.encoder import DEFAULT_MODEL, Encoder, SentenceTransformerEncoder
from embeddings.errors import EmbeddingError
from embeddings.runtime_encoder import RuntimeEncoder
from embeddings.runtimes import BACKENDS
from qa.errors import QAError

BACKEND_ENV = "QA_EMBEDDING_BACKEND"
AUTO = "auto"
TORCH = "torch"
# What `auto` runs for the default model when its runtime is installed (measured in docs/BENCHMARKS.md); else torch.
PREFERRED_BACKEND = "openvino"
BACKEND_CHOICES = (AUTO, TORCH, *BACKENDS)


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


def load_encoder(model: str, data_dir: Path, backend: str | None = None) -> ProjectEncoder:
    """Return the encoder of a model name or folder (`default`: the bundled one), loaded on first use in `data_dir`.

    `backend` (else $QA_EMBEDDING_BACKEND, else `auto`) picks what runs the model: see `choose_backend`.
    """
    name = choose_backend(model, backend)
    inner: Encoder = SentenceTransformerEncoder(model, data_dir) if name == TORCH else RuntimeEncoder(BACKENDS[name], data_dir)
    return ProjectEncoder(inner)


def choose_backend(model: str, requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Return the backend to run `model` on: `torch`, or a runtime of BACKENDS for the default model.

    `auto` (the default) is PREFERRED_BACKEND for the default model when its runtime package is installed, and torch
    otherwise; a runtime named explicitly must be installed, and serves the default model only.
    """
    choice = (requested or (os.environ if environ is None else environ).get(BACKEND_ENV, "") or AUTO).strip().lower()
    if choice not in BACKEND_CHOICES:
        choices = ", ".join(BACKEND_CHOICES)
        raise QAError(f"unknown embedding backend {choice!r}; choose one of {choices} (--embedding-backend or ${BACKEND_ENV})")
    if choice == AUTO:
        preferred = BACKENDS[PREFERRED_BACKEND]
        return PREFERRED_BACKEND if model == DEFAULT_MODEL and preferred.available() else TORCH
    if choice == TORCH:
        return TORCH
    if model != DEFAULT_MODEL:
        raise QAError(f"the {choice} embedding backend runs the default model only; use ${BACKEND_ENV}=torch for '{model}'")
    if not BACKENDS[choice].available():
        packages = " ".join(BACKENDS[choice].packages)
        raise QAError(f"the {choice} embedding backend needs the packages {packages}: pip install {packages} (or ${BACKEND_ENV}=torch)")
    return choice
