"""Questions written over made-up documents become training questions over the passages `qa index` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.training.data import TrainExample
from qa.training.written import CORPUS_DIR, corpus_examples, written_examples

DOCUMENT = "码头扩建工程昨日开工，总投资12亿元。\n\n新码头可停靠5万吨级船舶，明年6月建成。\n"
# `qa index` joins paragraphs this short into one passage.
PASSAGE = "码头扩建工程昨日开工，总投资12亿元。\n新码头可停靠5万吨级船舶，明年6月建成。"


def _write(folder: Path, rows: list[dict]) -> tuple[Path, Path]:
    document, questions = folder / "port.txt", folder / "port_qa.jsonl"
    document.write_text(DOCUMENT, encoding="utf-8")
    questions.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return document, questions


def test_written_questions_are_located_in_the_passage_of_their_evidence(tmp_path: Path) -> None:
    rows = [
        {"question": "能停多大的船？", "answer": "5万吨级", "evidence": "可停靠5万吨级船舶", "type": "number"},
        {"question": "年吞吐量多少？", "answer": "", "evidence": "总投资12亿元", "type": "unanswerable"},
    ]
    document, questions = _write(tmp_path, rows)
    assert written_examples(document, questions) == (
        TrainExample("port-001", "能停多大的船？", PASSAGE, 26, "5万吨级"),
        TrainExample("port-002", "年吞吐量多少？", PASSAGE, -1, ""),
    )
    assert corpus_examples(tmp_path) == written_examples(document, questions)


def test_written_questions_name_an_ambiguous_evidence_or_a_misplaced_answer(tmp_path: Path) -> None:
    document, questions = _write(tmp_path, [{"question": "何？", "answer": "12亿元", "evidence": "建", "type": "number"}])
    with pytest.raises(QAError, match="question 1: its evidence occurs 2 times in the passages"):
        written_examples(document, questions)
    document, questions = _write(tmp_path, [{"question": "何？", "answer": "13亿元", "evidence": "总投资12亿元", "type": "number"}])
    with pytest.raises(QAError, match="the answer '13亿元' is not inside its evidence"):
        written_examples(document, questions)
    questions.write_text('{"question": "何？"}\n', encoding="utf-8")
    with pytest.raises(QAError, match="port_qa.jsonl:1: not a written question"):
        written_examples(document, questions)
    with pytest.raises(QAError, match="no written questions"):
        corpus_examples(tmp_path / "empty")


def test_the_shipped_written_corpus_reads_cleanly() -> None:
    examples = corpus_examples(CORPUS_DIR)
    assert (len(examples), sum(e.answerable for e in examples)) == (2931, 2355)
    assert len({e.id for e in examples}) == len(examples)
    assert all(e.context[e.answer_start : e.answer_end] == e.answer for e in examples if e.answerable)


def test_sample_draws_file_questions_beside_every_written_one(tmp_path: Path) -> None:
    from qa.training.train import TrainConfig, split_examples

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, [{"question": "能停多大的船？", "answer": "5万吨级", "evidence": "可停靠5万吨级船舶", "type": "number"}])
    qas = [{"id": f"f{n}", "question": "何？", "answers": [{"text": "甲", "answer_start": 0}]} for n in range(10)]
    squad = tmp_path / "train.json"
    squad.write_text(json.dumps({"data": [{"paragraphs": [{"context": "甲乙丙", "qas": qas}]}]}), encoding="utf-8")
    config = TrainConfig(Path(), tmp_path, (squad,), written=corpus, sample=3, seed=5)
    assert [e.id for e in split_examples(config).training] == ["port-001", "f0", "f1", "f7"]  # seed 5 draws 0, 1 and 7
    every = split_examples(TrainConfig(Path(), tmp_path, (squad,), written=corpus)).training
    assert [e.id for e in every] == ["port-001", *(q["id"] for q in qas)]
