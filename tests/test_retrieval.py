"""Retrieval units on tiny hand-checked corpora with the fake encoder: FAISS, BM25, fusion, the index store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.errors import QAError
from qa.retrieval.bm25 import BM25Index, ChineseTokenizer
from qa.retrieval.dense import DenseIndex
from qa.retrieval.fusion import reciprocal_rank_fusion
from qa.retrieval.hits import Hit
from qa.retrieval.retriever import Retriever
from qa.retrieval.segment import Segment
from qa.retrieval.store import index_dir, load_index, update_index
from tests.fakes import FakeEncoder

CORPUS = {
    "p1": "独山港区A3泊位正式对外开放，设计年综合通过能力169万吨。",
    "p2": "平湖市国际电子商务产业园获评省级电子商务产业示范基地。",
    "p3": "市政协十四届三次会议今天上午开幕。",
    "p4": "The Fluonics semiconductor project invests 30 million US dollars.",
}


def test_dense_index_returns_exact_inner_product_order(tmp_path):
    vectors = np.eye(3, dtype=np.float32)
    index = DenseIndex.build(["a", "b", "c"], vectors)
    hits = index.search(np.array([[0.1, 0.9, 0.3]], dtype=np.float32), k=5)[0]
    assert [(h.passage_id, h.rank) for h in hits] == [("b", 1), ("c", 2), ("a", 3)]
    assert hits[0].score == pytest.approx(0.9)


def test_a_segment_round_trips_and_rejects_rows_that_do_not_match_its_vectors(tmp_path):
    segment = DenseIndex.build(["a", "b"], np.eye(2, dtype=np.float32)).segments.segments[0]
    checksums = segment.write(tmp_path / "s")
    again = Segment.load(tmp_path / "s", checksums)
    assert again.rows.tolist() == [0, 1] and np.array_equal(again.vectors, np.eye(2))
    np.save(tmp_path / "s" / "rows.npy", np.array([0], dtype=np.int64))
    with pytest.raises(ValueError, match="rows.npy does not match its checksum"):
        Segment.load(tmp_path / "s", checksums)
    with pytest.raises(ValueError, match="the rows, vectors and lengths files hold different numbers of rows"):
        Segment.load(tmp_path / "s", {})


def test_hnsw_index_finds_the_nearest_vector():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex.build([f"p{i}" for i in range(200)], vectors, "hnsw")
    assert index.search(vectors[17:18], k=1)[0][0].passage_id == "p17"


def test_tokenizer_folds_script_width_and_case():
    tokenize = ChineseTokenizer(bigrams=False)
    assert tokenize("獨山港") == tokenize("独山港")
    assert tokenize("ＡＢＣ１２３") == tokenize("abc123")
    assert "，" not in tokenize("独山港，平湖")


def test_bm25_traditional_query_finds_simplified_passage():
    index = BM25Index.build(list(CORPUS), list(CORPUS.values()))
    assert index.search("獨山港區的泊位", k=2)[0].passage_id == "p1"
    assert index.search("FLUONICS", k=1)[0].passage_id == "p4"
    assert index.search("完全无关的词语", k=3) == []


def test_bm25_bigrams_add_character_pairs():
    assert ChineseTokenizer(bigrams=True)("泊位开放")[-3:] == ["泊位", "位开", "开放"]


def test_rrf_scores_by_hand():
    dense = [Hit("a", 0.9, 1), Hit("b", 0.8, 2)]
    bm25 = [Hit("b", 12.0, 1), Hit("c", 3.0, 2)]
    fused = reciprocal_rank_fusion([dense, bm25], k=60)
    assert [h.passage_id for h in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1].score == pytest.approx(1 / 61)
    assert fused[2].score == pytest.approx(1 / 62)


def write_corpus(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_reindexing_unchanged_folder_embeds_nothing(tmp_path):
    docs = tmp_path / "docs"
    write_corpus(docs, {"a.txt": CORPUS["p1"], "b.txt": CORPUS["p2"] + "\n\n" + CORPUS["p3"]})
    encoder = FakeEncoder()
    first = update_index([docs], tmp_path / "data", encoder)
    assert (first.passages, first.embedded) == (2, 2)
    second = update_index([docs], tmp_path / "data", encoder)
    assert (second.passages, second.embedded, second.reused, second.added, second.removed) == (2, 0, 2, 0, 0)
    assert encoder.passages_embedded == 2


def test_changing_one_file_reembeds_only_its_passages(tmp_path):
    docs = tmp_path / "docs"
    write_corpus(docs, {"a.txt": CORPUS["p1"], "b.txt": CORPUS["p2"], "c.txt": CORPUS["p3"]})
    encoder = FakeEncoder()
    update_index([docs], tmp_path / "data", encoder)
    write_corpus(docs, {"b.txt": "平湖市新建了一座图书馆，明年开放。"})
    (docs / "c.txt").unlink()
    update = update_index([docs], tmp_path / "data", encoder)
    assert (update.passages, update.embedded, update.added, update.removed) == (2, 1, 1, 2)
    loaded = load_index(tmp_path / "data")
    assert sorted(p.text for p in loaded.passages.values()) == sorted([CORPUS["p1"], "平湖市新建了一座图书馆，明年开放。"])


def test_indexing_another_folder_keeps_the_first(tmp_path):
    write_corpus(tmp_path / "one", {"a.txt": CORPUS["p1"]})
    write_corpus(tmp_path / "two", {"b.txt": CORPUS["p2"]})
    encoder = FakeEncoder()
    update_index([tmp_path / "one"], tmp_path / "data", encoder)
    update = update_index([tmp_path / "two"], tmp_path / "data", encoder)
    assert (update.passages, update.documents, update.embedded) == (2, 2, 1)


def test_index_files_and_manifest(tmp_path):
    write_corpus(tmp_path / "docs", {"a.txt": CORPUS["p1"], "b.txt": CORPUS["p4"]})
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    folder = index_dir(tmp_path / "data")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {k: manifest[k] for k in ("model", "model_fingerprint", "dimension", "normalized", "index_kind", "count")} == {
        "model": "fake",
        "model_fingerprint": "fake-0001",
        "dimension": 64,
        "normalized": True,
        "index_kind": "flat",
        "count": 2,
    }
    assert "documents" not in manifest and manifest["segments"] == ["g1"]
    assert list(load_index(tmp_path / "data").passages) == [
        f"{(tmp_path / 'docs' / 'a.txt').as_posix()}#1.1",
        f"{(tmp_path / 'docs' / 'b.txt').as_posix()}#1.1",
    ]
    assert load_index(tmp_path / "data").manifest.documents == {
        (tmp_path / "docs" / "a.txt").as_posix(): 1,
        (tmp_path / "docs" / "b.txt").as_posix(): 1,
    }


def test_search_with_another_model_is_refused(tmp_path):
    write_corpus(tmp_path / "docs", {"a.txt": CORPUS["p1"]})
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    retriever = Retriever(load_index(tmp_path / "data"), FakeEncoder(fingerprint="other"))
    with pytest.raises(QAError, match="re-index"):
        retriever.search("泊位", mode="dense")
    assert retriever.search("泊位", mode="bm25")[0].passage.text == CORPUS["p1"]


def test_damaged_index_is_refused(tmp_path):
    write_corpus(tmp_path / "docs", {"a.txt": CORPUS["p1"], "b.txt": CORPUS["p2"]})
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    rows = index_dir(tmp_path / "data") / "segments" / "g1" / "rows.npy"
    np.save(rows, np.load(rows)[::-1])
    with pytest.raises(QAError, match="damaged \\(segments/g1/rows.npy does not match its checksum"):
        load_index(tmp_path / "data")


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(QAError, match="qa index"):
        load_index(tmp_path / "nothing")


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_retriever_modes_find_the_matching_passage(tmp_path, mode):
    write_corpus(tmp_path / "docs", {f"{key}.txt": text for key, text in CORPUS.items()})
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    retriever = Retriever(load_index(tmp_path / "data"), FakeEncoder())
    results = retriever.search("政协会议什么时候开幕", k=2, mode=mode)
    assert results[0].passage.text == CORPUS["p3"]
    assert results[0].rank == 1


def test_score_fusion_by_hand():
    from qa.retrieval.fusion import score_fusion

    dense = [Hit("a", 0.9, 1), Hit("b", 0.8, 2), Hit("c", 0.5, 3)]
    bm25 = [Hit("b", 12.0, 1), Hit("d", 4.0, 2)]
    fused = score_fusion(dense, bm25, dense_weight=0.4)
    # dense scaled: a 1, b 0.75, c 0; bm25 scaled: b 1, d 0
    assert [(h.passage_id, h.rank) for h in fused] == [("b", 1), ("a", 2), ("c", 3), ("d", 4)]
    assert [h.score for h in fused] == [pytest.approx(0.4 * 0.75 + 0.6), pytest.approx(0.4), 0.0, 0.0]
    assert [h.passage_id for h in score_fusion(dense, [])] == ["a", "b", "c"]


def test_a_large_segment_gets_an_hnsw_graph_reranked_exactly():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(20, 32))
    vectors = (centres[rng.integers(0, 20, 3000)] + 0.5 * rng.normal(size=(3000, 32))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"p{i}" for i in range(3000)]
    approximate = DenseIndex.build(ids, vectors, ann_min_rows=1000)
    assert type(approximate.segments.segments[0].ann).__name__ == "IndexHNSWSQ"
    exact = DenseIndex.build(ids[:999], vectors[:999], ann_min_rows=1000)
    assert exact.segments.segments[0].ann is None
    queries = vectors[:50] + 0.1 * rng.normal(size=(50, 32)).astype(np.float32)
    found = approximate.search(queries, 10)
    recall = []
    for query, hits in zip(queries, found, strict=True):
        scores = vectors @ query
        best = set(np.argsort(-scores)[:10].tolist())
        recall.append(len(best & {int(hit.passage_id[1:]) for hit in hits}) / 10)
        assert [hit.score for hit in hits] == pytest.approx([float(scores[int(hit.passage_id[1:])]) for hit in hits], abs=1e-5)
    assert np.mean(recall) >= 0.95


def test_an_ivf_segment_written_by_an_earlier_version_is_still_searched_and_reranked():
    import faiss

    from qa.retrieval.postings import Postings
    from qa.retrieval.segment import Segments

    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(16), 16, 4, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.add(vectors)
    ivf.nprobe = 4  # every list: the candidates are exact
    empty = Postings.from_entries(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(400, np.int32))
    index = DenseIndex(Segments.single([f"p{i}" for i in range(400)], vectors, empty, ivf))
    hits = index.search(vectors[7:8], 3)[0]
    best = np.argsort(-(vectors @ vectors[7]))[:3]
    assert [hit.passage_id for hit in hits] == [f"p{i}" for i in best]
    assert hits[0].passage_id == "p7" and hits[0].score == pytest.approx(1.0, abs=1e-6)
