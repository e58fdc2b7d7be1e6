"""Retrieval with the real default model on the real seed corpus."""

from __future__ import annotations

import pytest

from qa.retrieval.store import update_index
from qa.system import QASystem, Settings
from tests.conftest import SEED

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seed_system(real_data_dir, real_encoder):
    system = QASystem(Settings(real_data_dir), make_encoder=lambda model, data_dir: real_encoder)
    system.index([SEED])
    return system


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("獨山港區A3泊位的設計年綜合通過能力是多少？", "169万吨"),
        ("平湖去年網絡零售額是多少？", "265.9亿元"),
        ("How long is the tunnel project of the 302 provincial road and 525 national road?", "1.13公里"),
        ("Which company is setting up its Jiaxing regional headquarters in Pinghu?", "盒马嘉兴地区总部"),
        ("What was Pinghu's online retail sales last year?", "265.9亿元"),
    ],
)
@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_traditional_and_english_questions_find_the_answer_passage(seed_system, question, answer, mode):
    top5 = [result.passage.text for result in seed_system.search(question, k=5, retriever=mode)]
    assert any(answer in text for text in top5), top5


def test_reindexing_the_seed_embeds_nothing(real_data_dir, real_encoder, seed_system):
    update = update_index([SEED], real_data_dir, real_encoder)
    assert (update.passages, update.embedded, update.reused) == (30, 0, 30)


def test_search_cli_json(real_data_dir, seed_system, capsys):
    import json

    from qa.cli import main

    assert main(["--data-dir", str(real_data_dir), "search", "獨山港 泊位 吞吐量", "-k", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["rank"] for row in result["results"]] == [1, 2, 3]
    assert result["results"][0]["title"] == "A3泊位正式对外开放 独山港再“扩容”"


def test_eval_on_the_gold_set_writes_the_report(real_data_dir, tmp_path, capsys):
    import json

    from qa.cli import main

    out = tmp_path / "report"
    assert main(["--data-dir", str(real_data_dir), "eval", "--retriever", "hybrid", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 104 and metrics["n_answerable"] == 92
    assert metrics["recall@5"] >= 0.95
    assert (out / "report.md").exists() and (out / "calibration.png").exists()


def test_ask_cli_answers_with_a_cited_verbatim_span(real_data_dir, seed_system, capsys):
    import json

    from qa.cli import main

    assert main(["--data-dir", str(real_data_dir), "ask", "獨山港區A3泊位的設計年綜合通過能力是多少？", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["answer"] == "169万吨" and answer["abstained"] is False
    citation = answer["citations"][0]
    passage = seed_system.retriever.index.passages[citation["passage_id"]]
    assert passage.text[citation["start"] : citation["end"]] == "169万吨"
    assert (citation["line_start"], citation["line_end"]) == (61, 61)
    assert main(["--data-dir", str(real_data_dir), "ask", "平湖市的常住人口是多少？", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] is None


def test_follow_up_question_uses_the_previous_turn(seed_system):
    span = QASystem(Settings(seed_system.settings.data_dir, reader="span"), make_encoder=lambda model, data_dir: seed_system.encoder)
    timed = span.ask("它的总投资是多少？", history=["302省道与525国道平改立工程项目位于哪里？"])
    assert timed.answer.resolved_question == "302省道与525国道平改立工程项目的总投资是多少？"
    assert timed.answer.text == "1.41亿元"
