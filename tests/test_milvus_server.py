"""The dense path against a real Milvus standalone server (the pip package `milvus`), started and stopped here."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import SEEDS
from qa.ingest.pipeline import ingest_paths
from qa.retrieval.backend import EmbeddedStore
from qa.retrieval.store import searchable_text
from tests.fakes import FakeEncoder

pytestmark = pytest.mark.integration


@pytest.fixture
def server_uri(tmp_path: Path):
    pytest.importorskip("pymilvus", reason="the Milvus store needs pymilvus: pip install 'qa-bot[milvus]'")
    milvus = pytest.importorskip(
        "milvus", reason="the pip package milvus (a standalone server) is not installed: it needs setuptools<70 and marshmallow<4"
    )
    server = milvus.default_server
    server.set_base_dir(str(tmp_path / "server"))
    try:
        server.start()
    except Exception as error:  # the server's own start-up failures are many and undocumented
        pytest.skip(f"the Milvus standalone server did not start here ({str(error).splitlines()[0][:120]})")
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()


def test_dense_search_on_a_server_matches_the_embedded_store(server_uri: str) -> None:
    from pymilvus import MilvusClient

    version = MilvusClient(uri=server_uri).get_server_version()
    if tuple(int(part) for part in version.lstrip("v").split(".")[:2]) < (2, 4):
        pytest.skip(f"Milvus {version} has no sparse vectors, which the store's collection holds (2.4 or later needed)")
    from qa.retrieval.milvus_store import MilvusStore

    encoder = FakeEncoder()
    passages = list(ingest_paths([SEEDS]).passages)
    vectors = encoder.encode_passages([searchable_text(passage) for passage in passages])
    store = MilvusStore(server_uri)
    store.prepare(encoder.name, encoder.fingerprint, encoder.dimension)
    store.add(passages, vectors)
    embedded = EmbeddedStore.in_memory(encoder.name, encoder.fingerprint, passages, vectors)
    queries = encoder.encode_queries([passage.text[:24] for passage in passages[::9]])
    assert [[hit.passage_id for hit in hits] for hits in store.dense_search(queries, 10)] == [
        [hit.passage_id for hit in hits] for hits in embedded.dense_search(queries, 10)
    ]
    store.drop()
