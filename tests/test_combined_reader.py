"""The combined reader: the rules answer typed questions they are sure of, the model everything else."""

from __future__ import annotations

from qa.answers import Candidate, Citation
from qa.reading.combined import RULES_TRUSTED_FROM, CombinedReader


def candidate(text: str, score: float) -> Candidate:
    return Candidate(text, score, Citation("d#1.1", "d", None, 0, len(text), 1, 1, text))


class FixedReader:
    """Returns the same candidates for every question and counts its calls."""

    def __init__(self, *candidates: Candidate) -> None:
        self.candidates = list(candidates)
        self.calls = 0

    def read(self, question, passages):
        self.calls += 1
        return list(self.candidates)


def test_sure_typed_rule_answer_skips_the_model_even_against_a_higher_model_score():
    rules, model = FixedReader(candidate("169万吨", RULES_TRUSTED_FROM)), FixedReader(candidate("169", 0.95))
    assert [c.text for c in CombinedReader(rules, model).read("设计年综合通过能力是多少？", [])] == ["169万吨"]
    assert model.calls == 0


def test_unsure_rules_leave_a_typed_question_to_the_model():
    rules = FixedReader(candidate("许静", 0.19), candidate("王建坤", 0.1))
    model = FixedReader(candidate("市政协副主席许静", 0.6), candidate("仲旭东", 0.25))
    read = CombinedReader(rules, model).read("会议由谁主持？", [])
    assert [(c.text, c.score) for c in read] == [("市政协副主席许静", 0.6), ("仲旭东", 0.25)]
    assert (rules.calls, model.calls) == (1, 1)


def test_untyped_questions_go_to_the_model_alone_in_any_language():
    for question in ("这次口岸开放意味着什么？", "Why was the port opened?"):
        rules, model = FixedReader(candidate("外轮可以靠泊", 0.9)), FixedReader(candidate("外轮", 0.95))
        assert CombinedReader(rules, model).read(question, [])[0].text == "外轮"
        assert (rules.calls, model.calls) == (0, 1)


def test_english_typed_questions_are_read_by_the_rules_first():
    rules, model = FixedReader(candidate("许静", 0.5)), FixedReader(candidate("仲旭东", 0.95))
    assert CombinedReader(rules, model).read("Who presided over the meeting?", [])[0].text == "许静"
    assert model.calls == 0


def test_the_rules_answer_when_the_model_finds_nothing():
    rules, model = FixedReader(candidate("许静", 0.1)), FixedReader()
    assert [c.text for c in CombinedReader(rules, model).read("会议由谁主持？", [])] == ["许静"]
