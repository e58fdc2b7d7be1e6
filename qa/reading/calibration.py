"""Confidence calibration of a reader: Platt scaling of its raw span confidence, fitted on tuning questions.

A reader's raw confidence (the probability mass its model puts on the answer's span) is a useful ranking but not a
probability of being right: trained on one passage at a time, a model is over-confident when reading several. A
monotone map fitted on held-out tuning answers, sigmoid(slope * logit(raw) + intercept), turns it into the expected
correctness of the answer, so that a threshold means what it says.

One more feature is fitted beside it: whether the span is of the kind the question asks for (a number or a date; see
qa.reading.spans.has_expected_kind). A model that answers `多大的船` with `外轮` puts mass on a span no one would take
for an answer; the fitted `off_kind` weight (added to the logit of such spans, never positive) lets a span of the
right kind with a little less mass rank first. A second one, `unsupported`, is whether the span's passage lacks one of
the question's names, places, numbers or codes (qa.reading.support): a span of `独山港区A3泊位…` answers no question
about berth A4. With both weights 0 the map is monotone and candidates keep their order.

A third, `second_look`, weighs how sure the same model is of the span when it reads the span's sentence alone
(qa.reading.hf.HFReader.second_look): an answer lifted from a sentence about a neighbouring thing, last year's figure
or another district's, draws mass when the whole window is read, and much less once the sentence stands by itself.
Its weight multiplies the logit of that second confidence and is never negative.

All are fitted in two steps: on every candidate, which ranks them (fit_calibration), then, with that order kept, on
the answers alone (fit_answer_confidence), so that an answer's confidence is its expected correctness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_EDGE = 1e-6
# The second-look confidence of a candidate that had no second look: its logit is 0, so its weight adds nothing.
NEUTRAL_LOOK = 0.5


def _logit(value: float) -> float:
    value = min(max(value, _EDGE), 1 - _EDGE)
    return math.log(value / (1 - value))


@dataclass(frozen=True)
class Calibration:
    """sigmoid(slope * logit(raw) + intercept + off_kind * [span not of the asked kind] + unsupported * [its passage
    lacks a name or number of the question] + second_look * logit(confidence of the span read in its sentence alone));
    the identity when slope is 1 and the other weights 0."""

    slope: float = 1.0
    intercept: float = 0.0
    off_kind: float = 0.0
    unsupported: float = 0.0
    second_look: float = 0.0

    def __call__(self, raw: float, off_kind: bool = False, unsupported: bool = False, second_look: float = NEUTRAL_LOOK) -> float:
        """Return the calibrated confidence of a raw confidence in [0, 1], for a span of the asked kind or not, from a
        passage that names what the question names or not, with the confidence of its second look (NEUTRAL_LOOK, whose
        logit is 0, when there was none)."""
        if self.slope == 1.0 and self.intercept == 0.0 and self._penalty(off_kind, unsupported, second_look) == 0.0:
            return raw
        z = self.ranking_score(raw, off_kind, unsupported, second_look) + self.intercept
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))

    def ranking_score(self, raw: float, off_kind: bool = False, unsupported: bool = False, second_look: float = NEUTRAL_LOOK) -> float:
        """Return the part of the calibrated logit that orders candidates: slope * logit(raw) plus the features' terms."""
        return self.slope * _logit(raw) + self._penalty(off_kind, unsupported, second_look)

    def _penalty(self, off_kind: bool, unsupported: bool, second_look: float) -> float:
        looked = self.second_look * _logit(second_look) if self.second_look else 0.0
        return (self.off_kind if off_kind else 0.0) + (self.unsupported if unsupported else 0.0) + looked


def fit_calibration(
    raw: Sequence[float],
    correctness: Sequence[float],
    off_kind: Sequence[bool] | None = None,
    unsupported: Sequence[bool] | None = None,
    second_look: Sequence[float] | None = None,
) -> Calibration:
    """Return the calibration that best predicts each answer's correctness (its F1 in [0, 1]; 0 for any answer to an
    unanswerable question) from its raw confidence and, for each feature given, whether its span is of the asked kind
    (`off_kind`), whether its passage lacks a name or number of the question (`unsupported`) and its second-look
    confidence (`second_look`): a logistic regression on logit(raw), the flags and logit(second look), each answer
    counted as a right one with weight F1 and a wrong one with weight 1 - F1. A flag whose weight comes out positive,
    or a second look whose weight comes out negative, is left at 0 (such a span is never preferred). Raises ValueError
    with fewer than 10 answers or when confidence does not predict correctness."""
    given = {"off_kind": off_kind, "unsupported": unsupported, "second_look": second_look}
    if len(raw) != len(correctness) or len(raw) < 10 or any(values is not None and len(values) != len(raw) for values in given.values()):
        raise ValueError("fitting a calibration needs the same number (at least 10) of confidences and correctness values")
    flags = {"off_kind": off_kind, "unsupported": unsupported}
    columns = {name: [1.0 if flag else 0.0 for flag in values] for name, values in flags.items() if values is not None}
    if second_look is not None:
        columns["second_look"] = [_logit(value) for value in second_look]
    slope, intercept, weights = _fit_penalties([_logit(value) for value in raw], correctness, columns)
    if slope <= 0:
        raise ValueError("confidence does not predict correctness on these answers (fitted slope <= 0); keep the identity")
    return Calibration(slope, intercept, **weights)


def fit_answer_confidence(
    ranking: Calibration,
    raw: Sequence[float],
    off_kind: Sequence[bool],
    correctness: Sequence[float],
    unsupported: Sequence[bool] | None = None,
    second_look: Sequence[float] | None = None,
) -> Calibration:
    """Return `ranking` rescaled so that its score predicts the correctness of the answers given (each question's first
    candidate under it, with its raw confidence, flags and F1): a logistic regression on its logit, whose positive
    scale keeps the order of any two candidates. A calibration fitted on every candidate ranks them well but, answers
    being right more often than alternatives of the same raw confidence, says too little about an answer. Raises
    ValueError with fewer than 10 answers or when the ranking score does not predict their correctness."""
    lacking = unsupported if unsupported is not None else [False] * len(raw)
    looks = second_look if second_look is not None else [NEUTRAL_LOOK] * len(raw)
    if not len(raw) == len(off_kind) == len(correctness) == len(lacking) == len(looks) or len(raw) < 10:
        raise ValueError("fitting answer confidence needs the same number (at least 10) of confidences, flags and correctness values")
    ranked = [ranking.ranking_score(*features) for features in zip(raw, off_kind, lacking, looks, strict=True)]
    scale, intercept, _ = _fit(ranked, correctness, [])
    if scale <= 0:
        raise ValueError("the ranking score does not predict the answers' correctness (fitted scale <= 0); keep the ranking calibration")
    return Calibration(scale * ranking.slope, intercept, scale * ranking.off_kind, scale * ranking.unsupported, scale * ranking.second_look)


def _fit_penalties(
    logits: list[float], correctness: Sequence[float], flags: dict[str, list[float]]
) -> tuple[float, float, dict[str, float]]:
    """Return (slope, intercept, weight of each feature column) of a logistic regression of correctness on the logits
    and the columns, refitted without any whose weight comes out of the wrong sign (its weight then 0): a flag's must
    not be positive, the second look's not negative."""
    kept = dict(flags)
    while True:
        slope, intercept, weights = _fit(logits, correctness, list(kept.values()))
        fitted = dict(zip(kept, weights, strict=True))
        wrong = [name for name, weight in fitted.items() if (weight < 0 if name == "second_look" else weight > 0)]
        if not wrong:
            return slope, intercept, {name: fitted.get(name, 0.0) for name in flags}
        for name in wrong:
            del kept[name]


def _fit(logits: list[float], correctness: Sequence[float], columns: list[list[float]]) -> tuple[float, float, list[float]]:
    """Return (slope, intercept, weight of each flag column) of a logistic regression of correctness on the features."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = [[value, *flags] for value, *flags in zip(logits, *columns, strict=True)]
    x = np.array(rows * 2)
    y = np.array([1] * len(rows) + [0] * len(rows))
    weights = np.array([*correctness, *(1 - value for value in correctness)], dtype=float)
    model = LogisticRegression(C=1e4).fit(x, y, sample_weight=weights)
    coefficients = [float(value) for value in model.coef_[0]]
    return coefficients[0], float(model.intercept_[0]), coefficients[1:]
