"""EM/F1 as the official CMRC 2018 evaluation computes them, worked by hand; recall and MRR."""

from __future__ import annotations

import pytest

from qa.metrics import (
    AnswerScore,
    exact_match,
    f1_score,
    mixed_segmentation,
    no_answer_scores,
    recall_at,
    reciprocal_rank,
    score_answer,
    strip_punctuation,
)


def test_segmentation_splits_cjk_by_character_and_latin_by_word():
    assert mixed_segmentation("iPhone 15 Pro发布，售价7999元") == ["iphone", "15", "pro", "发", "布", "，", "售", "价", "7999", "元"]
    assert mixed_segmentation("265.9亿元") == ["265.9", "亿", "元"]
    assert mixed_segmentation("“政协好声音”", remove_punctuation=True) == ["政", "协", "好", "声", "音"]


def test_punctuation_is_the_official_list():
    assert strip_punctuation(" 《关于推进平湖新仓小落苏深加工产业的建议》 ") == "关于推进平湖新仓小落苏深加工产业的建议"
    assert strip_punctuation("好……") == "好……"  # the official list's "……" entry never matches one character
    assert strip_punctuation("A-B_C") == "abc"


@pytest.mark.parametrize(
    ("prediction", "references", "expected"),
    [
        ("265.9亿元", ["265.9亿元"], 1.0),
        ("《推进专业训练基地与文旅深度融合的建议》", ["推进专业训练基地与文旅深度融合的建议"], 1.0),
        ("FLUONICS", ["Fluonics"], 1.0),
        ("169万吨", ["设计年综合通过能力169万吨"], 0.0),
        ("", ["沈建锋"], 0.0),
        ("沈建锋", ["委员沈建锋", "沈建锋"], 1.0),
    ],
)
def test_exact_match(prediction, references, expected):
    assert exact_match(prediction, references) == expected


def test_f1_partial_answer_by_hand():
    # prediction 3 tokens (169 万 吨), reference 12 tokens, common run 3: P = 1, R = 0.25, F1 = 0.4
    assert f1_score("169万吨", ["设计年综合通过能力169万吨"]) == pytest.approx(0.4)


def test_f1_uses_the_longest_contiguous_run_not_a_subsequence():
    # 平湖市政府 vs 平湖政府: longest common run is 平湖 (2), not the subsequence 平湖政府 (4)
    # P = 2/4, R = 2/5, F1 = 2 * 0.5 * 0.4 / 0.9
    assert f1_score("平湖政府", ["平湖市政府"]) == pytest.approx(0.4 / 0.9)


def test_f1_mixed_chinese_english_with_punctuation():
    # prediction: 韩 国 fluonics 氟 祥 (5 tokens); reference: fluonics 氟 祥 半 导 体 (6); run fluonics 氟 祥 = 3
    expected = 2 * (3 / 5) * (3 / 6) / (3 / 5 + 3 / 6)
    assert f1_score("韩国“Fluonics”氟祥", ["Fluonics氟祥半导体"]) == pytest.approx(expected)


def test_f1_is_the_best_over_references_and_zero_without_overlap():
    assert f1_score("沈建锋", ["钟峨", "沈建锋"]) == 1.0
    assert f1_score("钟峨", ["沈建锋"]) == 0.0
    assert f1_score("", ["沈建锋"]) == 0.0


def test_score_answer_for_answerable_and_unanswerable_questions():
    assert score_answer("沈建锋", ["沈建锋"]) == AnswerScore(1.0, 1.0, answerable=True, abstained=False)
    assert score_answer(None, ["沈建锋"]) == AnswerScore(0.0, 0.0, answerable=True, abstained=True)
    assert score_answer(None, []) == AnswerScore(1.0, 1.0, answerable=False, abstained=True)
    assert score_answer("沈建锋", []) == AnswerScore(0.0, 0.0, answerable=False, abstained=False)


def test_no_answer_precision_recall_accuracy():
    scores = [score_answer(None, []), score_answer("x", []), score_answer(None, ["y"]), score_answer("y", ["y"])]
    result = no_answer_scores(scores)
    assert (result.precision, result.recall, result.accuracy) == (0.5, 0.5, 0.5)
    assert no_answer_scores([score_answer("y", ["y"])]).precision is None


def test_recall_and_mrr():
    ranks = [1, 3, None, 12]
    assert [recall_at(ranks, k) for k in (1, 5, 20)] == [0.25, 0.5, 0.75]
    assert [reciprocal_rank(rank) for rank in ranks] == [1.0, pytest.approx(1 / 3), 0.0, 0.0]
