"""The store contract: the embedded store (FAISS + BM25) and the Milvus store (Milvus Lite here) answer alike.

Same corpus, same vectors (the fake encoder): the same top-10 ids for dense, BM25 and hybrid; add,
remove and update of a document; reopen after a restart; one-line errors for an unreachable server
and a Lite file locked by another process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus", reason="the Milvus store needs pymilvus and milvus-lite: pip install 'qa-bot[milvus]'")

from qa.config import SEEDS  # noqa: E402
from qa.datasets import load_squad  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.evaluation import context_passages  # noqa: E402
from qa.ingest.pipeline import ingest_paths  # noqa: E402
from qa.records import Passage  # noqa: E402
from qa.retrieval.backend import EmbeddedStore, PassageStore, open_store  # noqa: E402
from qa.retrieval.milvus_store import MilvusStore  # noqa: E402
from qa.retrieval.retriever import Retriever  # noqa: E402
from qa.retrieval.store import searchable_text  # noqa: E402
from qa.system import QASystem, Settings  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
ROOT = Path(__file__).resolve().parents[1]


def _vectors(encoder: FakeEncoder, passages: list[Passage]) -> np.ndarray:
    return encoder.encode_passages([searchable_text(passage) for passage in passages])


def _pair(tmp_path: Path, passages: list[Passage], encoder: FakeEncoder) -> tuple[EmbeddedStore, MilvusStore]:
    vectors = _vectors(encoder, passages)
    embedded = EmbeddedStore.in_memory(encoder.name, encoder.fingerprint, passages, vectors)
    milvus = MilvusStore(f"milvus:{tmp_path / 'qa.db'}")
    milvus.prepare(encoder.name, encoder.fingerprint, encoder.dimension)
    milvus.add(passages, vectors)
    return embedded, milvus


def _top_ids(store: PassageStore, encoder: FakeEncoder, queries: list[str], mode: str) -> list[list[str]]:
    return [[item.passage.id for item in result] for result in Retriever(store, encoder).search_many(queries, 10, mode)]


def _assert_same_rankings(embedded: PassageStore, milvus: PassageStore, encoder: FakeEncoder, queries: list[str]) -> None:
    for mode in ("dense", "bm25", "hybrid"):
        assert _top_ids(milvus, encoder, queries, mode) == _top_ids(embedded, encoder, queries, mode), mode


@pytest.fixture(scope="module")
def seed_passages() -> list[Passage]:
    return list(ingest_paths([SEEDS]).passages)


def _seed_queries(passages: list[Passage]) -> list[str]:
    gold = ROOT / "qa" / "gold" / "seed_gold.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()][:20]
    return questions + [passage.text[:24] for passage in passages[::7]]


def test_seed_corpus_ranks_alike(tmp_path: Path, seed_passages: list[Passage]) -> None:
    encoder = FakeEncoder()
    embedded, milvus = _pair(tmp_path, seed_passages, encoder)
    assert milvus.info() == embedded.info()
    _assert_same_rankings(embedded, milvus, encoder, _seed_queries(seed_passages))
    some = [passage.id for passage in seed_passages[:5]]
    assert milvus.fetch(some) == embedded.fetch(some) == seed_passages[:5]


def test_add_remove_and_update_a_document(tmp_path: Path, seed_passages: list[Passage]) -> None:
    encoder = FakeEncoder()
    documents = sorted({passage.document for passage in seed_passages})
    first = [passage for passage in seed_passages if passage.document == documents[0]]
    embedded, milvus = _pair(tmp_path, first, encoder)
    other = [
        Passage(f"extra.txt#1.{n}", "extra.txt", 1, "码头", (), text, first[0].provenance[:1])
        for n, text in enumerate(["独山港区新建码头泊位", "平湖市政协委员报到", "码头吞吐量增长"], start=1)
    ]
    queries = ["码头泊位", "政协委员", "吞吐量"] + [passage.text[:16] for passage in first[::5]]
    for store in (embedded, milvus):
        store.add(other, _vectors(encoder, other))
    assert milvus.info().documents == embedded.info().documents and milvus.info().documents["extra.txt"] == 3
    _assert_same_rankings(embedded, milvus, encoder, queries)
    updated = [other[0], Passage(other[1].id, "extra.txt", 1, "码头", (), "嘉兴港吞吐量再创新高", other[1].provenance)]
    for store in (embedded, milvus):
        assert store.remove(["extra.txt"]) == 3
        store.add(updated, _vectors(encoder, updated))
    assert milvus.fetch([other[1].id])[0].text == "嘉兴港吞吐量再创新高"
    _assert_same_rankings(embedded, milvus, encoder, queries)
    for store in (embedded, milvus):
        assert store.remove(["extra.txt"]) == 2
    assert milvus.info().documents == embedded.info().documents and "extra.txt" not in milvus.info().documents
    _assert_same_rankings(embedded, milvus, encoder, queries)


_CHILD = textwrap.dedent(
    """
    import sys, time
    from qa.retrieval.backend import open_store
    store = open_store(sys.argv[1])
    if sys.argv[2] == "hold":
        print("ready", flush=True)
        time.sleep(60)
    else:
        print(",".join(hit.passage_id for hit in store.sparse_search(sys.argv[3], 3)))
    """
)


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _CHILD, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_reopens_after_a_restart_and_refuses_a_locked_file(tmp_path: Path, seed_passages: list[Passage]) -> None:
    encoder = FakeEncoder()
    path = tmp_path / "restart.db"
    store = MilvusStore(f"milvus:{path}")
    store.prepare(encoder.name, encoder.fingerprint, encoder.dimension)
    store.add(seed_passages, _vectors(encoder, seed_passages))
    expected = ",".join(hit.passage_id for hit in store.sparse_search("码头", 3))
    store.close()
    reader = _child(f"milvus:{path}", "search", "码头")
    output, _ = reader.communicate(timeout=120)
    assert output.strip() == expected
    holder = _child(f"milvus:{path}", "hold")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(QAError) as raised:
            open_store(f"milvus:{path}")
        assert "open in another process" in str(raised.value) and "\n" not in str(raised.value)
    finally:
        holder.kill()
        holder.wait()


def test_unreachable_server_is_one_line() -> None:
    with pytest.raises(QAError) as raised:
        open_store("http://127.0.0.1:9")
    assert str(raised.value).startswith("cannot reach Milvus at http://127.0.0.1:9") and "\n" not in str(raised.value)


def test_unknown_uri_is_refused() -> None:
    with pytest.raises(QAError, match="milvus:./qa.db"):
        open_store("milvus:./qa")


def _benchmark_passages(count: int) -> list[Passage]:
    passages: list[Passage] = []
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json", "drcd_dev.json", "drcd_test.json"):
        passages += context_passages(load_squad(BENCHMARKS / name).contexts)
        if len(passages) >= count:
            break
    return passages[:count]


@pytest.mark.integration  # about 80 s on 2 busy cores: jieba tokenizes the 5k passages for both stores
@pytest.mark.skipif(not (BENCHMARKS / "cmrc2018_dev.json").exists(), reason=f"no benchmarks in {BENCHMARKS} (never copied here)")
def test_five_thousand_benchmark_passages_rank_alike(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    passages = _benchmark_passages(5000)
    assert len(passages) == 5000
    embedded, milvus = _pair(tmp_path, passages, encoder)
    questions = [example.question for example in load_squad(BENCHMARKS / "cmrc2018_dev.json").examples[:40]]
    _assert_same_rankings(embedded, milvus, encoder, questions)


def test_qa_system_indexes_searches_and_evaluates_through_a_milvus_store(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "data", store=f"milvus:{tmp_path / 'system.db'}")
    encoder = FakeEncoder()
    system = QASystem(settings, make_encoder=lambda model, data_dir: encoder)
    first = system.index([SEEDS])
    assert first.embedded == first.passages > 0 and first.added == first.passages
    again = system.index([SEEDS])
    assert (again.embedded, again.added, again.removed, again.passages) == (0, 0, 0, first.passages)
    embedded = QASystem(Settings(tmp_path / "data"), make_encoder=lambda model, data_dir: encoder)
    embedded.index([SEEDS])
    question = "獨山港區A3泊位的設計年綜合通過能力是多少？"
    for mode in ("dense", "bm25", "hybrid"):
        assert [r.passage.id for r in system.search(question, 10, mode)] == [r.passage.id for r in embedded.search(question, 10, mode)]
    passages = list(ingest_paths([SEEDS]).passages)[:30]
    corpus = system.over_passages(passages)
    assert {r.passage.id for r in corpus.search(question, 30, "bm25")} <= {passage.id for passage in passages}
    assert system.retriever.store.info().passages == first.passages  # the evaluation corpus has its own collection


def test_the_chat_service_starts_answers_and_takes_uploads_on_a_milvus_store(tmp_path: Path) -> None:
    from qa.chat.service import ChatService

    uri = f"milvus:{tmp_path / 'qa.db'}"

    def service() -> ChatService:
        return ChatService(tmp_path / "data", reader="span", make_encoder=lambda model, directory: FakeEncoder(), store=uri)

    first = service().start()
    assert (first.reused, first.passages, first.documents) == (False, 30, 1)
    assert first.message == f"indexed: 30 passages from 1 documents in {uri}"
    again = service()
    assert again.start().reused and not (tmp_path / "data" / "index").exists()
    assert again.ask("獨山港區A3泊位的設計年綜合通過能力是多少？", mode="bm25").answer.text == "169万吨"
    upload = tmp_path / "bridge.txt"
    upload.write_text("星河湾大桥全长1280米，于2025年5月1日正式通车。\n", encoding="utf-8")
    assert again.add([(upload, "bridge.txt")]).stored == ("bridge.txt",)
    assert [(document.name, document.passages) for document in again.documents()][0] == ("bridge.txt", 1)
    assert again.ask("星河湾大桥全长多少米？", mode="bm25").answer.text == "1280米"
