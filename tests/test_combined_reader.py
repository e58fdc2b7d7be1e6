"""The combined reader: rules alone when they are sure of a typed answer, else the best of both readers."""

from __future__ import annotations

from qa.answers import Candidate, Citation
from qa.reading.combined import CombinedReader


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


def test_confident_typed_rule_answer_skips_the_model():
    rules, model = FixedReader(candidate("169万吨", 0.9)), FixedReader(candidate("169", 0.95))
    assert [c.text for c in CombinedReader(rules, model).read("设计年综合通过能力是多少？", [])] == ["169万吨"]
    assert model.calls == 0


def test_unsure_rules_compete_with_the_model_on_score():
    rules = FixedReader(candidate("许静", 0.3), candidate("王建坤", 0.2))
    model = FixedReader(candidate("市政协副主席许静", 0.6), candidate("许静", 0.25))
    read = CombinedReader(rules, model).read("会议由谁主持？", [])
    assert [(c.text, c.score) for c in read] == [("市政协副主席许静", 0.6), ("许静", 0.3), ("王建坤", 0.2)]


def test_untyped_and_foreign_questions_always_ask_the_model():
    for question in ("这次口岸开放意味着什么？", "Who chaired the meeting?"):
        rules, model = FixedReader(candidate("外轮可以靠泊", 0.9)), FixedReader(candidate("外轮", 0.95))
        assert CombinedReader(rules, model).read(question, [])[0].text == "外轮"
        assert model.calls == 1
