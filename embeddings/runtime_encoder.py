"""An Encoder for the default model on a faster runtime: its ONNX export run by ONNX Runtime or OpenVINO.

Tokenization, prompts, truncation, pooling and normalization are those of the sentence-transformers model the
export was traced from, so the vectors differ from it only by the runtime's arithmetic (fp32 reordering, int8
weights, or bf16 matrix products); the fingerprint names the backend and its precision, so an index built with
one backend is never searched with another's vectors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.default_model import DEFAULT_MODEL_NAME, ensure_default_model
from embeddings.errors import EmbeddingError
from embeddings.export import MARKER_FILE, ONNX_FILE, ensure_export
from embeddings.runtimes import Backend, Session, open_session

MAX_TOKENS = 512
BATCH_SIZE = 16


class RuntimeEncoder:
    """An Encoder running the default model's ONNX export on ``backend``; exported and loaded on first use."""

    def __init__(
        self,
        backend: Backend,
        data_dir: Path,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
        prepare: Callable[[Path], Path] = ensure_default_model,
    ) -> None:
        """`prepare(data_dir)` returns the converted model folder to export (the default model's, converting it if needed);
        `threads` defaults to torch's intra-op thread count when the model loads."""
        self._backend = backend
        self._data_dir = Path(data_dir)
        self._batch_size = batch_size
        self._threads = threads
        self._prepare = prepare
        self._loaded: _Loaded | None = None

    @property
    def name(self) -> str:
        """Return the default model's label (the backend shows in the fingerprint, not the name)."""
        return DEFAULT_MODEL_NAME

    @property
    def backend(self) -> Backend:
        """Return the backend this encoder runs on."""
        return self._backend

    @property
    def fingerprint(self) -> str:
        """Return a hash of the backend, the precision it runs at and the export's marker (loads the model)."""
        return self._load().fingerprint

    @property
    def dimension(self) -> int:
        """Return the length of the vectors (the model's hidden size)."""
        return self._load().dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return one normalized vector per query, with the model's query prompt."""
        return self._encode(texts, "query", None)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return one normalized vector per passage, with the model's passage prompt; reports passages done per batch."""
        return self._encode(texts, "passage", progress)

    def _encode(self, texts: Sequence[str], kind: str, progress: Callable[[int], None] | None) -> np.ndarray:
        loaded = self._load()
        prompt = loaded.prompts.get(kind, "")
        token_ids = loaded.tokenize([prompt + text.strip() for text in texts])
        vectors = np.zeros((len(texts), loaded.dimension), dtype=np.float32)
        for batch in length_sorted_batches([len(ids) for ids in token_ids], self._batch_size):
            input_ids, attention_mask = pad_batch([token_ids[i] for i in batch], loaded.pad_id)
            vectors[batch] = loaded.session.run(input_ids, attention_mask)
            if progress is not None:
                progress(len(batch))
        return vectors

    def _load(self) -> _Loaded:
        if self._loaded is None:
            self._loaded = _load(self._backend, self._prepare, self._data_dir, self._threads)
        return self._loaded


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Return the indices 0..n-1 in batches of at most ``batch_size``, shortest first, so a batch pads little."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def pad_batch(token_ids: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``input_ids`` and ``attention_mask`` ([rows, longest], int64) for rows padded at the end with ``pad_id``."""
    width = max((len(ids) for ids in token_ids), default=0)
    input_ids = np.full((len(token_ids), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(token_ids), width), dtype=np.int64)
    for row, ids in enumerate(token_ids):
        input_ids[row, : len(ids)] = ids
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


class _Loaded:
    """The prepared parts: tokenizer, prompts, session, dimension and fingerprint."""

    def __init__(self, export_dir: Path, backend: Backend, session: Session) -> None:
        from transformers import AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self._tokenizer = AutoTokenizer.from_pretrained(str(export_dir))
        self.pad_id = int(self._tokenizer.pad_token_id)
        self.prompts: dict[str, str] = _read_json(export_dir / "config_sentence_transformers.json").get("prompts", {})
        self.dimension = int(_read_json(export_dir / "config.json")["hidden_size"])
        self.session = session
        identity = {"backend": backend.name, "precision": session.precision, "export": _read_json(export_dir / MARKER_FILE)}
        self.fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        """Return the token ids of each text, special tokens added, truncated to MAX_TOKENS."""
        return self._tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"] if texts else []


def _load(backend: Backend, prepare: Callable[[Path], Path], data_dir: Path, threads: int | None) -> _Loaded:
    try:
        model_dir = prepare(data_dir)
        export_dir = ensure_export(model_dir, model_dir.with_name(f"{model_dir.name}-onnx-{backend.variant}"), backend.variant)
    except (ModuleNotFoundError, FileNotFoundError, ValueError) as error:
        raise EmbeddingError(f"cannot prepare the embedding model for the {backend.name} backend: {error}") from error
    try:
        session = open_session(backend, export_dir / ONNX_FILE, threads or _torch_threads())
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise EmbeddingError(f"{backend.runtime} cannot run {export_dir / ONNX_FILE} ({reason}); use the torch backend") from error
    return _Loaded(export_dir, backend, session)


def _torch_threads() -> int:
    """Return torch's intra-op thread count: the project's one thread setting (qa/threads.py sets it)."""
    import torch

    return torch.get_num_threads()


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
