"""Span scoring over several windows from forced logits: one softmax across windows and passages, the two
no-answer rules, overlap confidence and distinct candidates (hand-computed values)."""

from __future__ import annotations

import math

import pytest

from qa.reading.span_scoring import WindowLogits, balanced_span, null_score, rank_spans, strip_span, window_spans

LOW = -20.0
TEXTS = ("北京是首都。", "上海很大。")


def window(passage: int, offsets: list[tuple[int, int] | None], starts: list[float], ends: list[float]) -> WindowLogits:
    return WindowLogits(passage, tuple(offsets), tuple(starts), tuple(ends), 0)


# [CLS] then one token per character of each text
FIRST = [None, (0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
SECOND = [None, (0, 1), (1, 2), (2, 3), (3, 4)]


def test_strip_span_trims_whitespace() -> None:
    assert strip_span("  ab c  ", 0, 8) == (2, 6)
    assert strip_span("   ", 0, 3) == (3, 3)


def test_window_spans_pairs_best_starts_and_ends_within_the_passage() -> None:
    w = window(0, FIRST, [0.0, 3.0, LOW, 1.0, LOW, LOW], [0.0, LOW, 2.0, LOW, 4.0, LOW])
    spans = window_spans(w, TEXTS[0], top_n=2, max_answer_tokens=30)
    assert sorted(spans) == sorted([(5.0, 0, 2), (7.0, 0, 4), (5.0, 2, 4)])
    assert window_spans(w, TEXTS[0], top_n=2, max_answer_tokens=2) == [(5.0, 0, 2), (5.0, 2, 4)]


def test_null_rules_take_the_most_answerable_window_or_sum_them() -> None:
    windows = [window(0, FIRST, [1.0] + [LOW] * 5, [2.0] + [LOW] * 5), window(1, SECOND, [0.0] + [LOW] * 4, [0.0] + [LOW] * 4)]
    assert null_score(windows, "min") == 0.0
    assert null_score(windows, "shared") == pytest.approx(math.log(math.exp(3.0) + 1.0))
    with pytest.raises(ValueError, match="unknown null rule"):
        null_score(windows, "max")


def test_spans_of_two_passages_compete_in_one_softmax() -> None:
    # passage 0: 北京 (tokens 1-2) scores 4; passage 1: 上海 (tokens 1-2) scores 3; no answer scores 0 in both windows
    first = window(0, FIRST, [0.0, 2.0, LOW, LOW, LOW, LOW], [0.0, LOW, 2.0, LOW, LOW, LOW])
    second = window(1, SECOND, [0.0, 1.5, LOW, LOW, LOW], [0.0, LOW, 1.5, LOW, LOW])
    ranking = rank_spans([first, second], TEXTS, top_n=1)
    total = math.exp(4.0) + math.exp(3.0) + math.exp(0.0)
    assert [(s.passage, s.start, s.end) for s in ranking.spans] == [(0, 0, 2), (1, 0, 2)]
    assert [s.confidence for s in ranking.spans] == pytest.approx([math.exp(4.0) / total, math.exp(3.0) / total])
    assert ranking.no_answer == pytest.approx(1.0 / total)
    shared = rank_spans([first, second], TEXTS, top_n=1, null_rule="shared")
    shared_total = math.exp(4.0) + math.exp(3.0) + 2.0
    assert shared.no_answer == pytest.approx(2.0 / shared_total)


def test_a_confident_null_makes_every_span_unsure() -> None:
    w = window(0, FIRST, [5.0, 0.0, LOW, LOW, LOW, LOW], [5.0, LOW, 0.0, LOW, LOW, LOW])
    ranking = rank_spans([w], TEXTS[:1], top_n=1)
    assert ranking.no_answer == pytest.approx(math.exp(10.0) / (math.exp(10.0) + 1.0))
    assert ranking.spans[0].confidence == pytest.approx(1.0 / (math.exp(10.0) + 1.0))


def test_variants_of_one_answer_pool_their_mass_and_are_not_alternatives() -> None:
    # 北京 (0-2) and 北京是 (0-3) overlap: one candidate holding both; 首都 (3-5) is the distinct alternative
    w = window(0, FIRST, [0.0, 2.0, LOW, LOW, 1.0, LOW], [0.0, LOW, 2.0, 1.9, LOW, 1.0])
    ranking = rank_spans([w], TEXTS[:1], top_n=3)
    scores = {(0, 2): 4.0, (0, 3): 3.9, (0, 5): 3.0, (3, 5): 2.0}
    total = sum(math.exp(v) for v in scores.values()) + math.exp(0.0)
    assert [(s.start, s.end) for s in ranking.spans] == [(0, 2), (3, 5)]
    first_mass = (math.exp(4.0) + math.exp(3.9) + math.exp(3.0)) / total
    second_mass = (math.exp(3.0) + math.exp(2.0)) / total
    assert ranking.spans[0].confidence == pytest.approx(first_mass)
    assert ranking.spans[1].confidence == pytest.approx(min(second_mass, first_mass))


def test_a_length_prior_prefers_the_short_span_to_one_that_runs_on() -> None:
    # 北京 (tokens 1-2) scores 5, 北京是首 (tokens 1-4) 7 and 是首 (tokens 3-4) 5; a prior of 1.5 per token after the
    # first makes them 3.5, 2.5 and 3.5, so 北京 comes first and 是首, no longer overlapping the answer, is an alternative
    w = window(0, FIRST, [0.0, 3.0, LOW, 1.0, LOW, LOW], [0.0, LOW, 2.0, LOW, 4.0, LOW])
    assert sorted(window_spans(w, TEXTS[0], top_n=2, max_answer_tokens=30, length_penalty=1.5)) == [(2.5, 0, 4), (3.5, 0, 2), (3.5, 2, 4)]
    assert [(s.start, s.end) for s in rank_spans([w], TEXTS[:1], top_n=2).spans] == [(0, 4)]
    ranking = rank_spans([w], TEXTS[:1], top_n=2, length_penalty=1.5)
    total = 2 * math.exp(3.5) + math.exp(2.5) + math.exp(0.0)
    assert [(s.start, s.end) for s in ranking.spans] == [(0, 2), (2, 4)]
    assert ranking.spans[0].confidence == pytest.approx((math.exp(3.5) + math.exp(2.5)) / total)
    assert ranking.no_answer == pytest.approx(1.0 / total)


def test_expected_f1_decoding_takes_the_span_the_distribution_agrees_on() -> None:
    # 北京是首都 (0-5) scores 4.0, 首都 (3-5) 3.5 and 是首都 (2-5) 3.4: the most probable span is the longest, but
    # against the three (character F1 weighed by probability) 是首都 is right most: p = 0.460, 0.279, 0.253 of the
    # mass, and its expected F1 0.253 + 0.460 * 6/8 + 0.279 * 4/5 = 0.821 against 0.460 + 0.279 * 4/7 + 0.253 * 6/8 =
    # 0.809 for 北京是首都 and 0.744 for 首都
    w = window(0, FIRST, [0.0, 2.0, LOW, 1.4, 1.5, LOW], [0.0, LOW, LOW, LOW, LOW, 2.0])
    assert [(s.start, s.end) for s in rank_spans([w], TEXTS[:1], top_n=3).spans][0] == (0, 5)
    ranking = rank_spans([w], TEXTS[:1], top_n=3, decoding="expected_f1")
    total = math.exp(4.0) + math.exp(3.5) + math.exp(3.4) + math.exp(0.0)
    assert (ranking.spans[0].start, ranking.spans[0].end) == (2, 5)
    assert ranking.spans[0].confidence == pytest.approx((total - 1.0) / total)
    assert ranking.no_answer == pytest.approx(1.0 / total)
    with pytest.raises(ValueError, match="unknown decoding 'mode'"):
        rank_spans([w], TEXTS[:1], decoding="mode")


def test_no_windows_means_no_answer() -> None:
    ranking = rank_spans([], TEXTS)
    assert ranking.spans == () and ranking.no_answer == 1.0


def test_trim_span_drops_edge_punctuation_and_unpaired_quotes() -> None:
    from qa.reading.span_scoring import trim_span

    text = "增速 8.2%，“创新攻坚”作为主线。《名单》"
    assert text[slice(*trim_span(text, 2, 8))] == "8.2%"
    assert text[slice(*trim_span(text, 8, 14))] == "“创新攻坚”"
    assert text[slice(*trim_span(text, 8, 13))] == "创新攻坚"
    assert text[slice(*trim_span(text, 9, 14))] == "创新攻坚"
    assert text[slice(*trim_span(text, 19, 23))] == "《名单》"
    assert trim_span("，。", 0, 2) == (2, 2)


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("依据《关于调整学费的通知》（榕发改）执行", "《关于调整学费的通知》（", "《关于调整学费的通知》"),
        ("见《甲方案》和《乙方案》等", "《甲方案》和《乙方案", "《甲方案》和《乙方案》"),
        ("“云岙通”交通卡", "“云岙通", "“云岙通”"),
        ("管理办法（2024年修订）为准", "2024年修订）", "2024年修订"),
        ("管理办法（2024年修订）为准", "管理办法（2024年修订）", "管理办法（2024年修订）"),
        ("（其中）丙", "）丙", "丙"),
        ("甲（乙）丙", "乙）丙", "乙）丙"),
        ("共“两千”人", "”人", "人"),
        ("标准》（", "》（", "》（"),
        ("3万吨级", "3万吨级", "3万吨级"),
    ],
)
def test_balanced_span_drops_stray_marks_and_closes_what_it_opened(text: str, span: str, expected: str) -> None:
    start = text.index(span)
    balanced = balanced_span(text, start, start + len(span))
    assert text[balanced[0] : balanced[1]] == expected
