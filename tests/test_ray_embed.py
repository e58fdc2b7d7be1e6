"""Bulk embedding on a local Ray instance gives the same vectors and the same index as the single-process path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="bulk embedding needs Ray: pip install 'qa-bot[cluster]'")

import tests.fakes  # noqa: E402
from qa.config import SEEDS  # noqa: E402
from qa.ingest.pipeline import ingest_paths  # noqa: E402
from qa.retrieval.cache import EmbeddingCache, text_key  # noqa: E402
from qa.retrieval.ray_embed import embed_on_ray  # noqa: E402
from qa.retrieval.retriever import Retriever  # noqa: E402
from qa.retrieval.store import load_index, searchable_text, update_index  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402

pytestmark = pytest.mark.integration  # a local Ray instance takes 20-70 s to start and run here, more on busy cores


def test_ray_fills_the_cache_with_the_single_process_vectors_and_the_same_index(tmp_path: Path) -> None:
    ray.cloudpickle.register_pickle_by_value(tests.fakes)  # Ray's workers need not find the tests package
    passages = list(ingest_paths([SEEDS]).passages)
    cache = EmbeddingCache(tmp_path / "ray" / "cache" / "embeddings.sqlite")
    run = embed_on_ray(passages, FakeEncoder, FakeEncoder().fingerprint, cache, "auto", actors=2)
    texts = list(dict.fromkeys(searchable_text(passage) for passage in passages))
    assert run.embedded == len(texts) and run.cached == 0 and run.rate > 0
    stored = cache.get_many(FakeEncoder().fingerprint, [text_key(text) for text in texts])
    assert np.array_equal(np.vstack([stored[text_key(text)] for text in texts]), FakeEncoder().encode_passages(texts))

    single, clustered = FakeEncoder(), FakeEncoder()
    update_index([SEEDS], tmp_path / "single", single)
    update_index([SEEDS], tmp_path / "ray", clustered)
    assert clustered.passages_embedded == 0 and single.passages_embedded == len(texts)
    queries = ["码头泊位的设计能力", "政协委员", "平湖"]
    for mode in ("dense", "bm25", "hybrid"):
        results = [Retriever(load_index(tmp_path / name), FakeEncoder()).search_many(queries, 10, mode) for name in ("single", "ray")]
        assert [[(r.passage.id, r.score) for r in found] for found in results[0]] == [
            [(r.passage.id, r.score) for r in found] for found in results[1]
        ]
    assert embed_on_ray(passages, FakeEncoder, FakeEncoder().fingerprint, cache, "auto").embedded == 0
