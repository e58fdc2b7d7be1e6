"""The tightening table's arguments: answer types to hold tightening to, and tuning documents by name."""

from __future__ import annotations

import pytest

from qa.bench.tighten import document_sets, parse_kinds
from qa.errors import QAError
from qa.reading.question import AnswerType


def test_kinds_are_answer_types_named_with_commas() -> None:
    assert parse_kinds("number, date,person") == frozenset({AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON})
    with pytest.raises(QAError, match="unknown answer type 'amount'"):
        parse_kinds("number,amount")
    with pytest.raises(QAError, match="names no answer type"):
        parse_kinds(" , ")


def test_a_tuning_document_is_its_questions_over_its_own_text() -> None:
    ((name, (examples, passages)),) = document_sets(["board"]).items()
    assert (name, len(examples), sum(1 for e in examples if not e.answers)) == ("board", 45, 10)
    assert {passage.document for passage in passages} == {"qa/gold/tuning/board.txt"}
    with pytest.raises(QAError, match="no tuning document 'nope'"):
        document_sets(["nope"])
