"""The Encoder protocol the index depends on, and its sentence-transformers implementation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.errors import EmbeddingError

DEFAULT_MODEL = "default"

# Prompts for model families whose hub configs do not declare them; a model's own prompts win.
_FAMILY_PROMPTS = {
    "e5": {"query": "query: ", "passage": "passage: "},
    "bge-small-zh": {"query": "为这个句子生成表示以用于检索相关文章：", "passage": ""},
    "bge-base-zh": {"query": "为这个句子生成表示以用于检索相关文章：", "passage": ""},
    "bge-large-zh": {"query": "为这个句子生成表示以用于检索相关文章：", "passage": ""},
}


class Encoder(Protocol):
    """Turns texts into L2-normalized float32 vectors; the index never sees anything else of a model."""

    @property
    def name(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


def family_prompts(model_name: str) -> dict[str, str]:
    """Return the query/passage prompts known for a model family, or {} when none is known."""
    lowered = model_name.lower()
    for family, prompts in _FAMILY_PROMPTS.items():
        if family in lowered:
            return prompts
    return {}


class SentenceTransformerEncoder:
    """An Encoder backed by `SentenceTransformer(name_or_path)`, loaded on first use."""

    def __init__(self, model: str, data_dir: Path, batch_size: int = 32) -> None:
        self._requested = model
        self._data_dir = data_dir
        self._batch_size = batch_size
        self._model = None
        self._fingerprint: str | None = None

    @property
    def name(self) -> str:
        """Return the model's name: the default model's label, or the name or path the user gave."""
        if self._requested == DEFAULT_MODEL:
            from embeddings.default_model import DEFAULT_MODEL_NAME

            return DEFAULT_MODEL_NAME
        return self._requested

    @property
    def fingerprint(self) -> str:
        """Return a hash of the loaded weights' shapes and leading values: same weights, same fingerprint."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for name, parameter in self._load().named_parameters():
                digest.update(name.encode())
                digest.update(str(tuple(parameter.shape)).encode())
                digest.update(parameter.detach().flatten()[:64].float().numpy().tobytes())
            self._fingerprint = digest.hexdigest()[:16]
        return self._fingerprint

    @property
    def dimension(self) -> int:
        """Return the length of the vectors the model produces."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return one normalized vector per query, with the model's query prompt."""
        return self._encode(texts, "query", None)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return one normalized vector per passage, with the model's passage prompt; reports batches done."""
        return self._encode(texts, "passage", progress)

    def _encode(self, texts: Sequence[str], kind: str, progress: Callable[[int], None] | None) -> np.ndarray:
        model = self._load()
        prompt = model.prompts.get(kind, "")
        stripped = [text.strip() for text in texts]
        # Batches of similar length waste little on padding; results go back in the callers' order.
        order = sorted(range(len(stripped)), key=lambda i: len(stripped[i]))
        vectors = np.zeros((len(stripped), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            vectors[batch] = model.encode(
                [stripped[i] for i in batch],
                prompt=prompt,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
            if progress is not None:
                progress(len(batch))
        return vectors

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()

            source = self._requested
            if source == DEFAULT_MODEL:
                from embeddings.default_model import ensure_default_model

                try:
                    source = str(ensure_default_model(self._data_dir))
                except (ModuleNotFoundError, FileNotFoundError, ValueError) as error:
                    raise EmbeddingError(f"cannot prepare the default embedding model: {error}") from error
            try:
                model = SentenceTransformer(source, device="cpu")
            except (OSError, ValueError) as error:
                raise EmbeddingError(
                    f"cannot load embedding model '{source}' ({str(error).splitlines()[0]}); "
                    "pass a local model folder, or a hub name on a machine with network access"
                ) from error
            if not model.prompts.get("query") and not model.prompts.get("passage"):
                model.prompts.update(family_prompts(source))
            self._model = model
        return self._model
