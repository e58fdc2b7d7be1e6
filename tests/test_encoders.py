"""The application's encoder boundary: the embeddings package's own errors become the project's one-line QAError."""

from __future__ import annotations

import pytest

from embeddings.errors import EmbeddingError
from qa.errors import QAError
from qa.retrieval.encoders import ProjectEncoder
from tests.fakes import FakeEncoder


class BrokenEncoder(FakeEncoder):
    def encode_queries(self, texts):
        raise EmbeddingError("cannot load embedding model 'x'; pass a local model folder")


def test_embedding_errors_become_qa_errors_and_results_pass_through() -> None:
    working = ProjectEncoder(FakeEncoder())
    assert (working.name, working.fingerprint, working.dimension) == ("fake", "fake-0001", 64)
    assert working.encode_passages(["甲乙"]).shape == (1, 64)
    with pytest.raises(QAError, match=r"^cannot load embedding model 'x'; pass a local model folder$"):
        ProjectEncoder(BrokenEncoder()).encode_queries(["q"])
