"""SQuAD loading: odd files give one-line errors naming the field, never tracebacks or wrong scores."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.datasets import load_squad
from qa.errors import QAError


def squad(qas=None, context="独山港区泊位开放。") -> dict:
    qas = [{"id": "q1", "question": "什么开放？", "answers": [{"text": "泊位", "answer_start": 4}]}] if qas is None else qas
    return {"data": [{"paragraphs": [{"context": context, "qas": qas}]}]}


def refusal(tmp_path, data) -> str:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(QAError) as caught:
        load_squad(path)
    return str(caught.value).removeprefix(f"{path} is not SQuAD-format JSON: ")


def test_a_well_formed_file_loads(tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(squad(), ensure_ascii=False), encoding="utf-8")
    loaded = load_squad(path)
    assert [(e.id, e.question, e.answers, e.context_id) for e in loaded.examples] == [("q1", "什么开放？", ("泊位",), "0-0")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (squad(qas={"id": "q1", "question": "x", "answers": []}), "data[0].paragraphs[0].qas should be a list, not an object"),
        (squad(context=None), "data[0].paragraphs[0].context should be text, not null"),
        (
            squad(qas=[{"id": "q1", "question": 42, "answers": []}]),
            "data[0].paragraphs[0].qas[0].question should be text, not the number 42",
        ),
        (squad(qas=[{"id": "q1", "question": "x", "answers": "泊位"}]), "data[0].paragraphs[0].qas[0].answers should be a list, not text"),
        (
            squad(qas=[{"id": "q1", "question": "x", "answers": ["泊位"]}]),
            "data[0].paragraphs[0].qas[0].answers[0] should be an object, not text",
        ),
        (squad(qas=[{"question": "x", "answers": []}]), "data[0].paragraphs[0].qas[0].id is missing"),
        ({"data": {"paragraphs": []}}, "data should be a list, not an object"),
        ([1, 2], "the top level should be an object, not a list"),
    ],
)
def test_odd_squad_files_get_one_line_naming_the_field(tmp_path, data, message):
    assert refusal(tmp_path, data) == message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["data", "paragraphs", "context", "qas", "id", "question", "answers", "text", "is_impossible"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_loads_or_gives_a_qa_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "set.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        loaded = load_squad(path)
    except QAError as error:
        assert "\n" not in str(error)
        return
    for example in loaded.examples:
        assert isinstance(example.question, str) and all(isinstance(answer, str) for answer in example.answers)
