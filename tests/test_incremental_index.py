"""An index updated by random add/remove sequences searches exactly like one built at once from the same documents."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.ingest.pipeline import ingest_paths
from qa.retrieval import compaction
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.postings import Postings, build_postings
from qa.retrieval.store import LoadedIndex, build_index, load_index, update_index
from tests.fakes import FakeEncoder

WORDS = ["独山港", "泊位", "开放", "平湖市", "图书馆", "会议", "开幕", "电子商务", "产业园", "政协", "通过能力", "明年"]
QUERIES = ["独山港泊位", "平湖市图书馆明年开放", "政协会议开幕", "电子商务产业园", "通过能力", "无关"]
DOCUMENTS = 6

paragraph = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(lambda words: "，".join(words) + "。")
document_text = st.lists(paragraph, min_size=1, max_size=3).map("\n\n".join)
step = st.one_of(
    st.tuples(st.just("write"), st.integers(0, DOCUMENTS - 1), document_text),
    st.tuples(st.just("delete"), st.integers(0, DOCUMENTS - 1), st.just("")),
)


def results(index: LoadedIndex) -> list[object]:
    """Every query's full dense and BM25 ranking (ids and rounded scores), and the passages by id."""
    vectors = FakeEncoder().encode_queries(QUERIES)
    depth = index.manifest.count + 5
    dense = [[(h.passage_id, round(h.score, 5), h.rank) for h in hits] for hits in index.dense.search(vectors, depth)]
    bm25 = [[(h.passage_id, round(h.score, 5), h.rank) for h in index.bm25.search(query, depth)] for query in QUERIES]
    passages = {passage_id: index.passages[passage_id] for passage_id in sorted(index.passages)}
    return [dense, bm25, passages, dict(index.manifest.documents), index.manifest.count]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14), policy=st.sampled_from([(8, 4), (2, 2)]))
def test_random_adds_and_removes_search_like_a_full_rebuild(steps, policy):
    with tempfile.TemporaryDirectory() as scratch, mock.patch.multiple(compaction, MAX_SEGMENTS=policy[0], MERGE_FACTOR=policy[1]):
        docs, data = Path(scratch) / "docs", Path(scratch) / "data"
        docs.mkdir()
        for action, number, text in steps:
            path = docs / f"{number}.txt"
            if action == "write":
                path.write_text(text, encoding="utf-8")
            else:
                path.unlink(missing_ok=True)
            if not any(docs.iterdir()):
                continue
            update_index([docs], data, FakeEncoder())
            passages = list(ingest_paths([docs]).passages)
            rebuilt, _ = build_index(passages, FakeEncoder(), EmbeddingCache(Path(scratch) / "cache.sqlite"))
            assert results(load_index(data)) == results(rebuilt)


def test_merged_postings_equal_postings_built_from_the_kept_texts():
    texts = ["独山港泊位开放", "平湖市图书馆", "政协会议开幕", "独山港平湖市"]
    tokenize = list  # one token per character
    first, second = build_postings(tokenize, texts[:2]), build_postings(tokenize, texts[2:])
    merged = Postings.merge([(first, np.array([True, False])), (second, np.array([True, True]))])
    expected = build_postings(tokenize, [texts[0], texts[2], texts[3]])
    for field in ("terms", "starts", "rows", "freqs", "lengths"):
        assert np.array_equal(getattr(merged, field), getattr(expected, field)), field


def test_adding_a_document_writes_only_its_own_segment_and_loading_reads_no_passage(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(3):
        (docs / f"{number}.txt").write_text("，".join(WORDS[number : number + 4]) + "。", encoding="utf-8")
    update_index([docs], tmp_path / "data", FakeEncoder())
    segments = tmp_path / "data" / "index" / "segments"
    before = {path: path.stat().st_mtime_ns for path in segments.rglob("*")}
    (tmp_path / "new.txt").write_text("平湖市图书馆明年开放。", encoding="utf-8")
    update = update_index([tmp_path / "new.txt"], tmp_path / "data", FakeEncoder())
    assert (update.passages, update.embedded, update.added) == (4, 1, 1)
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in before.items())
    assert sorted(path.name for path in segments.iterdir()) == ["g1", "g2"]
    from qa.retrieval import passage_db

    def unexpected_read(data):
        raise AssertionError("a passage was read while loading")

    monkeypatch.setattr(passage_db, "passage_from_dict", unexpected_read)
    loaded = load_index(tmp_path / "data")
    assert loaded.manifest.count == 4 and len(loaded.manifest.documents) == 4


def test_an_index_in_a_relative_data_dir_loads(tmp_path, monkeypatch):
    # The default data dir is the relative `.qa`; read-only SQLite opens go through file URIs, which need absolute paths.
    monkeypatch.chdir(tmp_path)
    docs = Path("docs")
    docs.mkdir()
    (docs / "a.txt").write_text("独山港，泊位。\n\n平湖市，图书馆。", encoding="utf-8")
    update_index([docs], Path(".qa"), FakeEncoder())
    index = load_index(Path(".qa"))
    assert (index.manifest.count, sorted(index.manifest.documents)) == (1, ["docs/a.txt"])  # two short paragraphs make one passage
    assert [hit.rank for hit in index.bm25.search("图书馆", 5)] == [1]
