"""The reader tuning's candidate bookkeeping: every candidate of a run with its kind and correctness, and re-ranking."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa.answers import Answer, Candidate, Citation
from qa.bench.tune_reader import (
    LeftOut,
    Setting,
    TunedCandidate,
    abstained_count,
    balanced_f1,
    calibration_argument,
    choose_calibration,
    choose_setting,
    choose_threshold,
    first_answers,
    leave_one_out,
    near_miss_examples,
    reranked_f1,
    rescored,
    tuned_candidates,
)
from qa.datasets import EvalExample
from qa.evaluation import EvalRecord
from qa.metrics import score_answer
from qa.reading.calibration import Calibration

CITATION = Citation("d.txt#1.1", "d.txt", None, 0, 1, 1, 1, "x")
ELSEWHERE = Citation("d.txt#2.1", "d.txt", None, 0, 1, 1, 1, "x")
PASSAGES = {"d.txt#1.1": "独山港区A3泊位建设等级为3万吨级，外轮可以靠泊。仲旭东主持会议。", "d.txt#2.1": "今天阴有小雨。"}


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
    assert tuned_candidates(RECORDS, PASSAGES) == [
        TunedCandidate(0, 0.33, True, 0.0, text="外轮"),
        TunedCandidate(0, 0.10, False, 1.0, first_correctness=1.0, text="3万吨级"),
        TunedCandidate(1, 0.8, False, 1.0, first_correctness=1.0, text="仲旭东"),
        TunedCandidate(2, 0.2, False, 0.0, text="阴有小雨"),
    ]


def test_a_candidate_whose_passage_lacks_the_questions_code_is_flagged() -> None:
    answer = Answer("A4泊位可以停靠多大的船？", "3万吨级", 0.6, (CITATION,), (Candidate("小雨", 0.1, ELSEWHERE),), ())
    asked = EvalRecord(EvalExample("q", answer.question, ()), answer, score_answer("3万吨级", ()), 1, True, 1.0, 1.0)
    assert tuned_candidates([asked], PASSAGES) == [
        TunedCandidate(0, 0.6, False, 0.0, True, text="3万吨级"),
        TunedCandidate(0, 0.1, True, 0.0, True, text="小雨"),
    ]
    same_code = replace(asked, example=replace(asked.example, question="A3泊位可以停靠多大的船？"))
    assert [c.unsupported for c in tuned_candidates([same_code], PASSAGES)] == [False, True]


class RecordingLooker:
    """Stands in for the reader's second look: records what it is asked to look at and gives back set confidences."""

    def __init__(self, confidences: list[float], gloss: str = "") -> None:
        self.confidences = confidences
        self.gloss = gloss
        self.asked: list[tuple[str, list]] = []
        self.read_over: list[list[str]] = []

    def question_as_read(self, question: str, texts: list[str]) -> str:
        self.read_over.append(list(texts))
        return question + self.gloss

    def second_look(self, question: str, looks: list) -> list[float]:
        self.asked.append((question, list(looks)))
        return self.confidences[: len(looks)]


def test_each_candidate_gets_the_second_look_at_its_own_sentence() -> None:
    from qa.reading.hf import Look

    passage = PASSAGES["d.txt#1.1"]
    berth, chair = passage.index("外轮"), passage.index("仲旭东")
    cited = [replace(CITATION, start=berth, end=berth + 2), replace(CITATION, start=chair, end=chair + 3)]
    answer = Answer("谁可以靠泊？", "外轮", 0.5, (cited[0],), (Candidate("仲旭东", 0.2, cited[1]),), ())
    asked = EvalRecord(EvalExample("q", answer.question, ("外轮",)), answer, score_answer("外轮", ("外轮",)), 1, True, 1.0, 1.0)
    looker = RecordingLooker([0.9, 0.05])
    assert [(c.text, c.second_look) for c in tuned_candidates([asked], PASSAGES, looker)] == [("外轮", 0.9), ("仲旭东", 0.05)]
    first_sentence = "独山港区A3泊位建设等级为3万吨级，外轮可以靠泊。"
    assert looker.asked == [("谁可以靠泊？", [Look(first_sentence, berth, berth + 2), Look("仲旭东主持会议。", 0, 3)])]
    assert [c.second_look for c in tuned_candidates([asked], PASSAGES)] == [0.5, 0.5]  # no looker: the neutral look


def test_the_second_look_reads_the_question_as_the_reader_read_it_over_the_passages_it_read() -> None:
    passage = PASSAGES["d.txt#1.1"]
    berth = passage.index("外轮")
    answer = Answer("Who may berth here?", "外轮", 0.5, (replace(CITATION, start=berth, end=berth + 2),), (), ("d.txt#1.1",))
    asked = EvalRecord(EvalExample("q", answer.question, ("外轮",)), answer, score_answer("外轮", ("外轮",)), 1, True, 1.0, 1.0)
    looker = RecordingLooker([0.9], gloss="（泊位）")
    assert [c.second_look for c in tuned_candidates([asked], PASSAGES, looker)] == [0.9]
    assert looker.read_over == [[passage]]
    assert [question for question, _ in looker.asked] == ["Who may berth here?（泊位）"]


def test_reranking_by_the_calibration_changes_the_first_answer() -> None:
    candidates = tuned_candidates(RECORDS, PASSAGES)
    assert reranked_f1(candidates, Calibration(), {0, 1}) == pytest.approx(0.5)
    assert reranked_f1(candidates, Calibration(1.0, 0.0, -2.0), {0, 1}) == pytest.approx(1.0)
    assert first_answers(candidates, Calibration()) == {0: candidates[0], 1: candidates[2], 2: candidates[3]}
    assert first_answers(candidates, Calibration(1.0, 0.0, -2.0)) == {0: candidates[1], 1: candidates[2], 2: candidates[3]}


def test_a_calibration_is_replayed_on_the_records_without_reading_again() -> None:
    candidates = tuned_candidates(RECORDS, PASSAGES)
    penalised = Calibration(1.0, 0.0, -2.0)
    replayed = rescored(RECORDS, candidates, penalised)
    # 外轮 (0.33, off kind) falls to sigmoid(logit(0.33) - 2) = 0.0625 under 3万吨级 (0.10): the right answer first
    assert [(r.answer.text, round(r.answer.score, 4), r.score.em) for r in replayed] == [
        ("3万吨级", 0.1, 1.0),
        ("仲旭东", 0.8, 1.0),
        ("阴有小雨", 0.2, 0.0),
    ]
    assert replayed[1] == RECORDS[1]
    unanswered = replace(RECORDS[2], answer=replace(RECORDS[2].answer, text=None, alternatives=()))
    assert rescored([*RECORDS[:2], unanswered], tuned_candidates([*RECORDS[:2], unanswered], PASSAGES), penalised)[2] == unanswered


def test_the_balanced_f1_weighs_each_group_of_tuning_questions_alike() -> None:
    # One newspaper question answered wrongly, two encyclopedia questions answered rightly: pooled 2/3, balanced 1/2.
    records = [*RECORDS, record("谁主持了会议？", ("仲旭东",), [("仲旭东", 0.8)])]
    candidates = tuned_candidates(records, PASSAGES)
    assert reranked_f1(candidates, Calibration(), {0, 1, 3}) == pytest.approx(2 / 3)
    assert balanced_f1(candidates, Calibration(), [{0}, {1, 3}]) == pytest.approx(0.5)
    assert balanced_f1(candidates, Calibration(), [{0}, {1, 3}, set()]) == pytest.approx(0.5)
    assert balanced_f1(candidates, Calibration(1.0, 0.0, -2.0), [{0}, {1, 3}]) == pytest.approx(1.0)
    assert balanced_f1(candidates, Calibration(), []) == 0.0


def test_a_setting_replaces_the_reference_only_by_the_margin_asked() -> None:
    shipped, short, cheap, dear = Setting(4, "overlap"), Setting(4, "overlap", 0.1), Setting(2, "overlap"), Setting(6, "idf", 0.1)
    settings = [shipped, short, cheap, dear]
    balanced = {shipped: 0.700, short: 0.708, cheap: 0.650, dear: 0.750}
    assert choose_setting(settings, balanced, [shipped, short, cheap], min_gain=0.0) == short
    assert choose_setting(settings, balanced, [shipped, short, cheap], min_gain=0.01) == shipped
    assert choose_setting(settings, balanced, settings, min_gain=0.01) == dear
    assert choose_setting(settings, {**balanced, short: 0.700}, [shipped, short], min_gain=0.0) == shipped
    assert choose_setting(settings, balanced, [], min_gain=0.01) == cheap
    assert str(short) == "4 overlap length 0.1 argmax"
    assert str(Setting(4, "overlap", 0.0, "expected_f1")) == "4 overlap length 0 expected_f1"


def test_the_choice_can_score_an_answer_against_the_first_reference_alone() -> None:
    # 总投资46亿元 is a listed variant: right against every reference; against the first, 46亿元, it holds its 3 tokens
    # (46 亿 元) among 6, F1 2/3
    outcome = record("一共投了多少钱？", ("46亿元", "总投资46亿元"), [("总投资46亿元", 0.6), ("46亿元", 0.3)])
    candidates = tuned_candidates([outcome], PASSAGES)
    assert [c.correctness for c in candidates] == [1.0, 1.0]
    assert [c.first_correctness for c in candidates] == pytest.approx([2 / 3, 1.0])
    assert reranked_f1(candidates, Calibration(), {0}) == 1.0
    assert reranked_f1(candidates, Calibration(), {0}, against_first=frozenset({0})) == pytest.approx(2 / 3)
    assert balanced_f1(candidates, Calibration(), [{0}], against_first=frozenset({0})) == pytest.approx(2 / 3)


def test_a_refit_replaces_the_cards_calibration_only_by_re_ranking_better() -> None:
    candidates = tuned_candidates(RECORDS, PASSAGES)
    card, refit = Calibration(), Calibration(1.0, 0.0, -2.0)
    assert choose_calibration([("card", card), ("refit", refit)], candidates, [{0, 1}]) == (1, [0.5, 1.0])
    assert choose_calibration([("card", refit), ("refit", card)], candidates, [{0, 1}]) == (0, [1.0, 0.5])
    # of equals the card's current calibration, listed first, stays
    assert choose_calibration([("card", refit), ("refit", Calibration(1.0, 0.0, -3.0))], candidates, [{0, 1}]) == (0, [1.0, 1.0])
    with pytest.raises(ValueError, match="at least one contender"):
        choose_calibration([], candidates, [{0, 1}])


def pair(question: int, off_kind_right: bool) -> list[TunedCandidate]:
    """Return a question's two candidates: an off-kind span with raw 0.6 and one of the asked kind with raw 0.4, the
    off-kind one right or the other."""
    right, wrong = (1.0, 0.0) if off_kind_right else (0.0, 1.0)
    return [
        TunedCandidate(question, 0.6, True, right, first_correctness=right),
        TunedCandidate(question, 0.4, False, wrong, first_correctness=wrong),
    ]


def test_leaving_a_document_out_fits_its_calibration_on_the_others_alone() -> None:
    # Document a rewards the asked kind, document b the other kind; twelve one-candidate questions make confidence
    # predict correctness. Fitted without b (on a), the off-kind weight turns b's answers wrong; fitted without a (on b),
    # the weight comes out positive, is left at 0, and a keeps the raw order, which is wrong for a.
    singles = [TunedCandidate(q, 0.9 if q % 2 else 0.1, False, float(q % 2), first_correctness=float(q % 2)) for q in range(12, 24)]
    candidates = [*(c for q in range(6) for c in pair(q, False)), *(c for q in range(6, 12) for c in pair(q, True)), *singles]
    documents = {"a": range(6), "b": range(6, 12)}
    answerable = set(range(24))
    assert leave_one_out(candidates, documents, answerable, Calibration()) == [
        LeftOut("a", 6, 0.0, 0.0, 0.0),
        LeftOut("b", 6, 0.0, 1.0, 1.0),
    ]
    assert leave_one_out(candidates, documents, answerable, None)[1] == LeftOut("b", 6, 0.0, None, 1.0)


def test_a_contender_calibration_is_four_or_five_numbers() -> None:
    import argparse

    assert calibration_argument("0.2382,-0.1025,-0.6330,-0.2775") == Calibration(0.2382, -0.1025, -0.633, -0.2775)
    assert calibration_argument("0.2,-0.1,-0.6,-0.3,0.4") == Calibration(0.2, -0.1, -0.6, -0.3, 0.4)
    for wrong in ("0.2,-0.1", "0.2,-0.1,-0.6,-0.3,0.4,1", "a,b,c,d"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not four or five numbers"):
            calibration_argument(wrong)


def test_the_threshold_weighs_answers_kept_against_unanswerable_questions_turned_down() -> None:
    answerable = [record("谁主持了会议？", ("仲旭东",), [("仲旭东", 0.8)]), record("几时开幕？", ("今天",), [("今天", 0.3)])]
    unanswerable = [record("A4泊位几时启用？", (), [("2023年", 0.5)]), record("谁是副市长？", (), [("许静", 0.1)])]
    best, outcomes = choose_threshold(answerable, [unanswerable], 0.25, thresholds=(0.0, 0.2, 0.4, 0.6, 0.9))
    assert [(o.threshold, o.answerable_f1, o.abstained) for o in outcomes] == [
        (0.0, 1.0, 0.0),
        (0.2, 1.0, 0.5),
        (0.4, 0.5, 0.5),
        (0.6, 0.5, 1.0),
        (0.9, 0.0, 1.0),
    ]
    assert [o.weighted for o in outcomes] == pytest.approx([0.75, 0.875, 0.5, 0.625, 0.25])
    assert best == outcomes[1]
    # where unanswerable questions weigh more, turning them all down pays
    assert choose_threshold(answerable, [unanswerable], 0.75, thresholds=(0.0, 0.2, 0.4, 0.6, 0.9))[0].threshold == 0.6


def test_each_group_of_unanswerable_questions_weighs_alike_however_many_it_holds() -> None:
    answerable = [record("谁主持了会议？", ("仲旭东",), [("仲旭东", 0.8)]), record("几时开幕？", ("今天",), [("今天", 0.3)])]
    written = [record("A4泊位几时启用？", (), [("2023年", 0.5)])]
    near_misses = [record(f"A{n}泊位有多长？", (), [("300米", 0.1)]) for n in range(5, 9)]
    best, outcomes = choose_threshold(answerable, [written, near_misses], 0.5, thresholds=(0.0, 0.2, 0.4, 0.6))
    assert [(o.threshold, o.answerable_f1, o.abstained) for o in outcomes] == [
        (0.0, 1.0, 0.0),
        (0.2, 1.0, 0.5),
        (0.4, 0.5, 0.5),
        (0.6, 0.5, 1.0),
    ]
    assert [o.weighted for o in outcomes] == pytest.approx([0.5, 0.75, 0.5, 0.75])
    # the middle of the two best; pooled, the four near misses would have made 0.2 the only best (abstained 0.8)
    assert best.threshold == 0.6


def test_thresholds_within_the_tolerance_of_the_best_count_as_equally_good() -> None:
    answerable = [record("几时开幕？", ("今天",), [("今天", 0.3)])] + [record("谁主持了会议？", ("仲旭东",), [("仲旭东", 0.9)])] * 9
    unanswerable = [record("A4泊位几时启用？", (), [("2023年", 0.35)])]
    thresholds = (0.0, 0.2, 0.4, 0.6)
    best, outcomes = choose_threshold(answerable, [unanswerable], 0.1, thresholds=thresholds)
    assert [(o.threshold, o.answerable_f1, o.abstained) for o in outcomes] == [
        (0.0, 1.0, 0.0),
        (0.2, 1.0, 0.0),
        (0.4, 0.9, 1.0),
        (0.6, 0.9, 1.0),
    ]
    assert [o.weighted for o in outcomes] == pytest.approx([0.9, 0.9, 0.91, 0.91])
    # by default only the two best, 0.01 above the rest, tie: the upper of them
    assert best.threshold == 0.6
    # within 0.02 of the best all four are equally good: the middle of them
    assert choose_threshold(answerable, [unanswerable], 0.1, thresholds=thresholds, tolerance=0.02)[0].threshold == 0.4


def test_an_unanswerable_question_counts_as_abstained_below_the_threshold_or_with_no_answer() -> None:
    unanswerable = [
        record("A4泊位几时启用？", (), [("2023年", 0.5)]),
        record("谁是副市长？", (), [("许静", 0.1)]),
        record("后天几度？", (), [("", 0.0)]),
    ]
    assert [abstained_count(unanswerable, t) for t in (0.0, 0.1, 0.2, 0.5, 0.6)] == [1, 1, 2, 2, 3]


def test_a_threshold_needs_both_kinds_of_tuning_question() -> None:
    with pytest.raises(ValueError, match="both answerable and unanswerable"):
        choose_threshold(RECORDS[:2], [], 0.1)
    with pytest.raises(ValueError, match="both answerable and unanswerable"):
        choose_threshold(RECORDS[:2], [RECORDS[2:], []], 0.1)


def test_near_miss_tuning_questions_are_unanswerable_copies_with_one_word_swapped() -> None:
    examples = [
        EvalExample("1", "PCX是哪家公司开发的？", ("ZSoft公司",), "c1"),
        EvalExample("2", "GIF是哪家公司开发的？", ("CompuServe",), "c2"),
        EvalExample("3", "没有上下文的问题？", ("甲",), None),
    ]
    contexts = {"c1": "PCX是ZSoft公司开发的影像档格式。", "c2": "GIF由CompuServe公司开发。"}
    made = near_miss_examples(examples, contexts)
    assert made == [
        EvalExample("1-near-miss", "GIF是哪家公司开发的？", (), "c1", "unanswerable"),
        EvalExample("2-near-miss", "PCX是哪家公司开发的？", (), "c2", "unanswerable"),
    ]


def test_the_default_threshold_is_the_one_the_shipped_card_records() -> None:
    # tune_reader --write records the chosen threshold in the card, which every default reads.
    from qa.answering import SPAN_THRESHOLD, default_threshold
    from qa.reading.neural.model import read_card

    assert read_card()["reading"]["threshold"] == default_threshold("neural") == default_threshold("neural-torch") == 0.36
    assert default_threshold("span") == SPAN_THRESHOLD == 0.32


def test_a_card_without_a_threshold_says_how_to_choose_one(tmp_path: Path) -> None:
    from qa.errors import QAError
    from qa.reading.neural.delta import card_threshold

    delta = tmp_path / "reader-delta.safetensors"
    delta.write_bytes(b"")
    (tmp_path / "reader-delta.json").write_text('{"reading": {}}', encoding="utf-8")
    with pytest.raises(QAError, match="records no threshold; choose one with `python -m qa.bench.tune_reader --write`"):
        card_threshold(delta)
    (tmp_path / "reader-delta.json").write_text('{"reading": {"threshold": 0.5}}', encoding="utf-8")
    assert card_threshold(delta) == 0.5


def test_every_tuning_set_is_answered_with_one_encoder(tmp_path: Path) -> None:
    from qa.bench.tune_reader import set_systems
    from qa.evaluation import context_passages
    from tests.fakes import FakeEncoder

    loaded: list[FakeEncoder] = []

    def load(model: str, directory: Path) -> FakeEncoder:
        loaded.append(FakeEncoder())
        return loaded[-1]

    corpora = {name: context_passages({name: f"{name}公司今年营收增长。"}) for name in ("甲", "乙", "丙")}
    systems = set_systems(corpora, tmp_path, 5, load)
    assert list(systems) == ["甲", "乙", "丙"] and len(loaded) == 1 and loaded[0].passages_embedded == 3
    assert [systems[name].search("公司今年营收", 1, "bm25")[0].passage.document for name in systems] == ["甲", "乙", "丙"]
