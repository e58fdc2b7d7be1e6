"""Writing passages into a store through the PassageStore interface (the embedded in-memory store here; Milvus in
test_store_contract.py): only changed documents are written, prune drops the others, the model is checked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.errors import QAError
from qa.records import Passage, ProvenanceRun
from qa.retrieval.backend import EmbeddedStore, PassageStore
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.retriever import Retriever
from qa.retrieval.sync import sync_passages
from tests.fakes import FakeEncoder


def _passage(document: str, number: int, text: str) -> Passage:
    return Passage(f"{document}#1.{number}", document, 1, None, (), text, (ProvenanceRun(0, len(text), 1, 0),))


def _empty(encoder: FakeEncoder) -> EmbeddedStore:
    return EmbeddedStore.in_memory(encoder.name, encoder.fingerprint, [], np.zeros((0, encoder.dimension), np.float32))


def test_only_changed_documents_are_written_and_prune_drops_the_rest(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    store: PassageStore = _empty(encoder)
    harbour = [_passage("a.txt", 1, "独山港区码头泊位"), _passage("a.txt", 2, "年综合通过能力")]
    weather = [_passage("b.txt", 1, "傍晚到夜里阴有小雨")]
    first = sync_passages(harbour + weather, store, encoder, cache)
    assert (first.passages, first.documents, first.embedded, first.added, first.removed) == (3, 2, 3, 3, 0)
    again = sync_passages(harbour + weather, store, encoder, cache)
    assert (again.embedded, again.added, again.removed) == (0, 0, 0)
    changed = [harbour[0], replace(harbour[1], text="年吞吐能力五百万吨")]
    update = sync_passages(changed, store, encoder, cache, prune=True)
    assert (update.added, update.removed, update.embedded, update.documents) == (2, 3, 1, 1)
    assert update.notes == ("pruned 1 documents not under the given paths",)
    assert store.info().documents == {"a.txt": 2}
    assert [r.passage.text for r in Retriever(store, encoder).search("吞吐能力", 1, "bm25")] == ["年吞吐能力五百万吨"]


def test_a_store_of_another_model_is_refused(tmp_path: Path) -> None:
    store = _empty(FakeEncoder(fingerprint="other"))
    with pytest.raises(QAError, match="re-index"):
        sync_passages([_passage("a.txt", 1, "码头")], store, FakeEncoder(), EmbeddingCache(tmp_path / "cache.sqlite"))
