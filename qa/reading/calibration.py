"""Confidence calibration of a reader: Platt scaling of its raw span confidence, fitted on tuning questions.

A reader's raw confidence (the probability mass its model puts on the answer's span) is a useful ranking but not a
probability of being right: trained on one passage at a time, a model is over-confident when reading several. A
monotone map fitted on held-out tuning answers, sigmoid(slope * logit(raw) + intercept), turns it into the expected
correctness of the answer, so that a threshold means what it says.

One more feature is fitted beside it: whether the span is of the kind the question asks for (a number or a date; see
qa.reading.spans.has_expected_kind). A model that answers `多大的船` with `外轮` puts mass on a span no one would take
for an answer; the fitted `off_kind` weight (added to the logit of such spans, never positive) lets a span of the
right kind with a little less mass rank first. With `off_kind` 0 the map is monotone and candidates keep their order.

Both are fitted in two steps: on every candidate, which ranks them (fit_calibration), then, with that order kept, on
the answers alone (fit_answer_confidence), so that an answer's confidence is its expected correctness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_EDGE = 1e-6


def _logit(value: float) -> float:
    value = min(max(value, _EDGE), 1 - _EDGE)
    return math.log(value / (1 - value))


@dataclass(frozen=True)
class Calibration:
    """sigmoid(slope * logit(raw) + intercept + off_kind * [span not of the asked kind]); the identity when slope is 1
    and intercept and off_kind 0."""

    slope: float = 1.0
    intercept: float = 0.0
    off_kind: float = 0.0

    def __call__(self, raw: float, off_kind: bool = False) -> float:
        """Return the calibrated confidence of a raw confidence in [0, 1], for a span of the asked kind or not."""
        if self.slope == 1.0 and self.intercept == 0.0 and (self.off_kind == 0.0 or not off_kind):
            return raw
        z = self.slope * _logit(raw) + self.intercept + (self.off_kind if off_kind else 0.0)
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def fit_calibration(raw: Sequence[float], correctness: Sequence[float], off_kind: Sequence[bool] | None = None) -> Calibration:
    """Return the calibration that best predicts each answer's correctness (its F1 in [0, 1]; 0 for any answer to an
    unanswerable question) from its raw confidence and, when `off_kind` is given, whether its span is of the asked
    kind: a logistic regression on logit(raw) (and the off-kind flag), each answer counted as a right one with weight
    F1 and a wrong one with weight 1 - F1. An off-kind weight that comes out positive is left at 0 (a span of the wrong
    kind is never preferred). Raises ValueError with fewer than 10 answers or when confidence does not predict
    correctness."""
    if len(raw) != len(correctness) or len(raw) < 10 or (off_kind is not None and len(off_kind) != len(raw)):
        raise ValueError("fitting a calibration needs the same number (at least 10) of confidences and correctness values")
    logits = [_logit(value) for value in raw]
    flags = [1.0 if flag else 0.0 for flag in off_kind] if off_kind is not None else None
    slope, intercept, weight = _fit(logits, correctness, flags)
    if flags is not None and weight > 0:
        slope, intercept, weight = _fit(logits, correctness, None)
    if slope <= 0:
        raise ValueError("confidence does not predict correctness on these answers (fitted slope <= 0); keep the identity")
    return Calibration(slope, intercept, weight)


def fit_answer_confidence(
    ranking: Calibration, raw: Sequence[float], off_kind: Sequence[bool], correctness: Sequence[float]
) -> Calibration:
    """Return `ranking` rescaled so that its score predicts the correctness of the answers given (each question's first
    candidate under it, with its raw confidence, kind flag and F1): a logistic regression on its logit, whose positive
    scale keeps the order of any two candidates. A calibration fitted on every candidate ranks them well but, answers
    being right more often than alternatives of the same raw confidence, says too little about an answer. Raises
    ValueError with fewer than 10 answers or when the ranking score does not predict their correctness."""
    if not len(raw) == len(off_kind) == len(correctness) or len(raw) < 10:
        raise ValueError("fitting answer confidence needs the same number (at least 10) of confidences, flags and correctness values")
    ranked = [ranking.slope * _logit(value) + (ranking.off_kind if flag else 0.0) for value, flag in zip(raw, off_kind, strict=True)]
    scale, intercept, _ = _fit(ranked, correctness, None)
    if scale <= 0:
        raise ValueError("the ranking score does not predict the answers' correctness (fitted scale <= 0); keep the ranking calibration")
    return Calibration(scale * ranking.slope, intercept, scale * ranking.off_kind)


def _fit(logits: list[float], correctness: Sequence[float], flags: list[float] | None) -> tuple[float, float, float]:
    """Return (slope, intercept, off-kind weight) of a logistic regression of correctness on the features."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = [[value, flag] for value, flag in zip(logits, flags, strict=True)] if flags is not None else [[value] for value in logits]
    x = np.array(rows * 2)
    y = np.array([1] * len(rows) + [0] * len(rows))
    weights = np.array([*correctness, *(1 - value for value in correctness)], dtype=float)
    model = LogisticRegression(C=1e4).fit(x, y, sample_weight=weights)
    coefficients = [float(value) for value in model.coef_[0]]
    return coefficients[0], float(model.intercept_[0]), coefficients[1] if flags is not None else 0.0
