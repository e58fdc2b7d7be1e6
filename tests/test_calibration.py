"""Platt calibration of reader confidence: identity by default, monotone, fitted to recover a known map."""

from __future__ import annotations

import math

import pytest

from qa.reading.calibration import Calibration, fit_answer_confidence, fit_calibration


def test_identity_and_monotone_map() -> None:
    assert Calibration()(0.37) == 0.37
    halve = Calibration(1.0, math.log(0.5))  # odds halved
    assert halve(0.5) == pytest.approx(1 / 3)
    values = [halve(v) for v in (0.01, 0.2, 0.5, 0.9, 0.999)]
    assert values == sorted(values) and all(0 < v < 1 for v in values)


def test_fit_recovers_an_over_confident_reader() -> None:
    # a reader that says p where the truth is sigmoid(0.5 * logit(p) - 1): an over-confident one
    truth = Calibration(0.5, -1.0)
    raw = [i / 100 for i in range(2, 99)]
    fitted = fit_calibration(raw, [truth(p) for p in raw])
    assert fitted.slope == pytest.approx(0.5, abs=0.01) and fitted.intercept == pytest.approx(-1.0, abs=0.02)


def test_fit_refuses_too_little_or_useless_data() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        fit_calibration([0.5] * 3, [1.0] * 3)
    with pytest.raises(ValueError, match="slope <= 0"):
        fit_calibration([i / 20 for i in range(1, 20)], [1 - i / 20 for i in range(1, 20)])


def test_off_kind_weight_lowers_only_spans_of_the_wrong_kind() -> None:
    penalized = Calibration(1.0, 0.0, -2.0)
    assert penalized(0.6) == 0.6
    assert penalized(0.6, off_kind=True) == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) - 2.0))))
    assert Calibration()(0.6, off_kind=True) == 0.6


def test_fit_learns_an_off_kind_penalty_and_never_a_bonus() -> None:
    truth = Calibration(0.5, -1.0, -1.5)
    raw = [i / 100 for i in range(2, 99)] * 2
    flags = [False] * 97 + [True] * 97
    fitted = fit_calibration(raw, [truth(p, flag) for p, flag in zip(raw, flags, strict=True)], flags)
    assert (fitted.slope, fitted.intercept, fitted.off_kind) == (
        pytest.approx(0.5, abs=0.01),
        pytest.approx(-1.0, abs=0.02),
        pytest.approx(-1.5, abs=0.02),
    )
    bonus = Calibration(0.5, -1.0, 1.5)
    refit = fit_calibration(raw, [bonus(p, flag) for p, flag in zip(raw, flags, strict=True)], flags)
    assert refit.off_kind == 0.0 and refit.slope > 0


def test_answer_confidence_rescales_the_ranking_and_keeps_its_order() -> None:
    ranking = Calibration(0.5, -1.0, -1.5)
    # answers right as often as sigmoid(2 * (0.5 * logit(p) - 1.5 * off) + 0.4): a ranking twice too timid about them
    truth = Calibration(1.0, 0.4, -3.0)
    raw = [i / 100 for i in range(2, 99)] * 2
    flags = [False] * 97 + [True] * 97
    fitted = fit_answer_confidence(ranking, raw, flags, [truth(p, flag) for p, flag in zip(raw, flags, strict=True)])
    assert (fitted.slope, fitted.intercept, fitted.off_kind) == (
        pytest.approx(1.0, abs=0.01),
        pytest.approx(0.4, abs=0.02),
        pytest.approx(-3.0, abs=0.03),
    )
    assert fitted.off_kind / fitted.slope == pytest.approx(ranking.off_kind / ranking.slope)


def test_answer_confidence_refuses_too_little_or_useless_data() -> None:
    ranking = Calibration(0.5, -1.0, -1.5)
    with pytest.raises(ValueError, match="at least 10"):
        fit_answer_confidence(ranking, [0.5] * 3, [False] * 3, [1.0] * 3)
    raw = [i / 20 for i in range(1, 20)]
    with pytest.raises(ValueError, match="scale <= 0"):
        fit_answer_confidence(ranking, raw, [False] * len(raw), [1 - value for value in raw])


def test_unsupported_weight_adds_to_the_off_kind_one() -> None:
    penalized = Calibration(1.0, 0.0, -2.0, -1.0)
    assert penalized(0.6, unsupported=True) == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) - 1.0))))
    assert penalized(0.6, off_kind=True, unsupported=True) == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) - 3.0))))
    assert Calibration()(0.6, unsupported=True) == 0.6


def test_fit_learns_both_penalties_and_drops_only_a_bonus() -> None:
    truth = Calibration(0.5, -1.0, -1.5, -2.0)
    raw = [i / 100 for i in range(2, 99)] * 4
    off_kind = [False] * 194 + [True] * 194
    unsupported = ([False] * 97 + [True] * 97) * 2
    correctness = [truth(p, off, lacks) for p, off, lacks in zip(raw, off_kind, unsupported, strict=True)]
    fitted = fit_calibration(raw, correctness, off_kind, unsupported)
    assert (fitted.slope, fitted.intercept, fitted.off_kind, fitted.unsupported) == (
        pytest.approx(0.5, abs=0.01),
        pytest.approx(-1.0, abs=0.02),
        pytest.approx(-1.5, abs=0.02),
        pytest.approx(-2.0, abs=0.02),
    )
    bonus = Calibration(0.5, -1.0, -1.5, 1.0)
    refit = fit_calibration(
        raw, [bonus(p, off, lacks) for p, off, lacks in zip(raw, off_kind, unsupported, strict=True)], off_kind, unsupported
    )
    assert refit.unsupported == 0.0 and refit.off_kind < 0 and refit.slope > 0


def test_answer_confidence_rescales_the_unsupported_weight_with_the_ranking() -> None:
    ranking = Calibration(0.5, -1.0, -1.5, -1.0)
    truth = Calibration(1.0, 0.4, -3.0, -2.0)  # the ranking scaled by 2, intercept 0.4
    raw = [i / 100 for i in range(2, 99)] * 4
    off_kind = [False] * 194 + [True] * 194
    unsupported = ([False] * 97 + [True] * 97) * 2
    correctness = [truth(p, off, lacks) for p, off, lacks in zip(raw, off_kind, unsupported, strict=True)]
    fitted = fit_answer_confidence(ranking, raw, off_kind, correctness, unsupported)
    assert (fitted.slope, fitted.intercept, fitted.off_kind, fitted.unsupported) == (
        pytest.approx(1.0, abs=0.01),
        pytest.approx(0.4, abs=0.02),
        pytest.approx(-3.0, abs=0.03),
        pytest.approx(-2.0, abs=0.03),
    )


def test_second_look_weight_multiplies_the_logit_of_the_second_confidence() -> None:
    looking = Calibration(1.0, 0.0, -2.0, 0.0, 0.5)
    assert looking(0.6) == pytest.approx(0.6)  # no second look: the neutral 0.5, whose logit is 0
    assert looking(0.6, second_look=0.2) == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) + 0.5 * math.log(0.25)))))
    assert looking(0.6, off_kind=True, second_look=0.8) == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) - 2.0 + 0.5 * math.log(4)))))
    assert Calibration()(0.6, second_look=0.01) == 0.6


def test_fit_learns_a_second_look_weight_and_never_a_negative_one() -> None:
    truth = Calibration(0.5, -1.0, 0.0, 0.0, 0.8)
    raw = [i / 100 for i in range(2, 99)] * 3
    looks = [0.1] * 97 + [0.5] * 97 + [0.9] * 97
    fitted = fit_calibration(raw, [truth(p, second_look=look) for p, look in zip(raw, looks, strict=True)], second_look=looks)
    assert (fitted.slope, fitted.intercept, fitted.second_look) == (
        pytest.approx(0.5, abs=0.01),
        pytest.approx(-1.0, abs=0.02),
        pytest.approx(0.8, abs=0.02),
    )
    contrary = Calibration(0.5, -1.0, 0.0, 0.0, -0.8)
    refit = fit_calibration(raw, [contrary(p, second_look=look) for p, look in zip(raw, looks, strict=True)], second_look=looks)
    assert refit.second_look == 0.0 and refit.slope > 0


def test_answer_confidence_rescales_the_second_look_weight_with_the_ranking() -> None:
    ranking = Calibration(0.5, -1.0, -1.5, 0.0, 0.4)
    truth = Calibration(1.0, 0.4, -3.0, 0.0, 0.8)  # the ranking scaled by 2, intercept 0.4
    raw = [i / 100 for i in range(2, 99)] * 2
    off_kind = [False] * 97 + [True] * 97
    looks = [0.2, 0.7] * 97
    correctness = [truth(p, off, second_look=look) for p, off, look in zip(raw, off_kind, looks, strict=True)]
    fitted = fit_answer_confidence(ranking, raw, off_kind, correctness, second_look=looks)
    assert (fitted.slope, fitted.off_kind, fitted.second_look) == (
        pytest.approx(1.0, abs=0.01),
        pytest.approx(-3.0, abs=0.03),
        pytest.approx(0.8, abs=0.02),
    )
