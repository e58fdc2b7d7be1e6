"""The reader tuning's candidate bookkeeping: every candidate of a run with its kind and correctness, and re-ranking."""

from __future__ import annotations

import pytest

from qa.answers import Answer, Candidate, Citation
from qa.bench.tune_reader import TunedCandidate, first_answers, reranked_f1, tuned_candidates
from qa.datasets import EvalExample
from qa.evaluation import EvalRecord
from qa.metrics import score_answer
from qa.reading.calibration import Calibration

CITATION = Citation("d.txt#1.1", "d.txt", None, 0, 1, 1, 1, "x")


def record(question: str, answers: tuple[str, ...], spans: list[tuple[str, float]]) -> EvalRecord:
    """Return a record whose answer is the first span and whose alternatives are the others."""
    (text, score), *others = spans
    answer = Answer(question, text, score, (CITATION,), tuple(Candidate(t, s, CITATION) for t, s in others), ())
    return EvalRecord(EvalExample("q", question, answers), answer, score_answer(text, answers), 1, True, 1.0, 1.0)


RECORDS = [
    record("A3泊位可以停靠多大的船？", ("3万吨级",), [("外轮", 0.33), ("3万吨级", 0.10)]),
    record("谁主持了会议？", ("仲旭东",), [("仲旭东", 0.8)]),
    record("后天的天气怎么样？", (), [("阴有小雨", 0.2)]),
]


def test_every_candidate_is_kept_with_its_kind_and_correctness() -> None:
    assert tuned_candidates(RECORDS) == [
        TunedCandidate(0, 0.33, True, 0.0),
        TunedCandidate(0, 0.10, False, 1.0),
        TunedCandidate(1, 0.8, False, 1.0),
        TunedCandidate(2, 0.2, False, 0.0),
    ]


def test_reranking_by_the_calibration_changes_the_first_answer() -> None:
    candidates = tuned_candidates(RECORDS)
    assert reranked_f1(candidates, Calibration(), {0, 1}) == pytest.approx(0.5)
    assert reranked_f1(candidates, Calibration(1.0, 0.0, -2.0), {0, 1}) == pytest.approx(1.0)
    assert first_answers(candidates, Calibration()) == {0: candidates[0], 1: candidates[2], 2: candidates[3]}
    assert first_answers(candidates, Calibration(1.0, 0.0, -2.0)) == {0: candidates[1], 1: candidates[2], 2: candidates[3]}
