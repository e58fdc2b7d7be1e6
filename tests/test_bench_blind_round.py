"""The blind-round table: documents found by name in a folder, and each document's figures from its records."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answers import Answer, Citation
from qa.bench.blind_round import RoundScore, round_documents, round_score, table_row
from qa.datasets import EvalExample
from qa.errors import QAError
from qa.evaluation import EvalRecord
from qa.metrics import score_answer

CITATION = Citation("d.txt#1.1", "d.txt", None, 0, 1, 1, 1, "x")


def record(question: str, answers: tuple[str, ...], text: str | None) -> EvalRecord:
    """Return a record whose answer is the text (None: abstained)."""
    answer = Answer(question, text, 0.5, (CITATION,) if text else (), (), ())
    return EvalRecord(EvalExample("q", question, answers), answer, score_answer(text, answers), 1, True, 1.0, 1.0)


def test_a_documents_figures_count_answerable_unanswerable_and_english_questions() -> None:
    records = [
        record("泊位的建设等级是多少？", ("3万吨级",), "3万吨级"),
        record("谁主持会议？", ("仲旭东",), "许静"),
        record("What is the berth's grade?", ("3万吨级",), "3万吨级"),
        record("Who chaired the meeting?", ("仲旭东",), None),
        record("A4泊位什么时候开放？", (), None),
        record("A5泊位什么时候开放？", (), "2023年"),
    ]
    assert round_score(records) == RoundScore(4, 2, 2.0, 2, 1, 2, 1, 1.0)
    assert table_row("d", round_score(records)) == "| d | 2 / 4 | 2.00 | 1 / 2 | 1 / 2 | 1.00 |"


def test_documents_are_the_question_files_with_their_texts(tmp_path: Path) -> None:
    (tmp_path / "port.txt").write_text("独山港区A3泊位建设等级为3万吨级。\n\n仲旭东主持会议。\n", encoding="utf-8")
    (tmp_path / "port_gold.jsonl").write_text(
        '{"id": "p-1", "question": "A3泊位的建设等级？", "answers": ["3万吨级"], "type": "number"}\n', encoding="utf-8"
    )
    ((name, (examples, passages)),) = round_documents(tmp_path).items()
    assert (name, [example.answers for example in examples]) == ("port", [("3万吨级",)])
    assert [(Path(passage.document).name, passage.text) for passage in passages] == [
        ("port.txt", "独山港区A3泊位建设等级为3万吨级。\n仲旭东主持会议。")
    ]


def test_a_folder_without_questions_or_with_a_missing_document_is_reported(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="no NAME_gold.jsonl question files"):
        round_documents(tmp_path)
    (tmp_path / "lost_gold.jsonl").write_text('{"id": "l-1", "question": "？", "answers": []}\n', encoding="utf-8")
    with pytest.raises(QAError, match="has no document lost.txt beside it"):
        round_documents(tmp_path)
