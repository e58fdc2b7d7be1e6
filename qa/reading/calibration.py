"""Confidence calibration of a reader: Platt scaling of its raw span confidence, fitted on tuning questions.

A reader's raw confidence (the probability mass its model puts on the answer's span) is a useful ranking but not a
probability of being right: trained on one passage at a time, a model is over-confident when reading several. A
monotone map fitted on held-out tuning answers, sigmoid(slope * logit(raw) + intercept), turns it into the expected
correctness of the answer, so that a threshold means what it says and candidates keep their order.
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
    """sigmoid(slope * logit(raw) + intercept); the identity when slope is 1 and intercept 0."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, raw: float) -> float:
        """Return the calibrated confidence of a raw confidence in [0, 1]."""
        if self.slope == 1.0 and self.intercept == 0.0:
            return raw
        z = self.slope * _logit(raw) + self.intercept
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def fit_calibration(raw: Sequence[float], correctness: Sequence[float]) -> Calibration:
    """Return the Platt scaling that best predicts each answer's correctness (its F1 in [0, 1]; 0 for any answer to an
    unanswerable question) from its raw confidence: a logistic regression on logit(raw), each answer counted as a
    right one with weight F1 and a wrong one with weight 1 - F1. Raises ValueError with fewer than 10 answers."""
    if len(raw) != len(correctness) or len(raw) < 10:
        raise ValueError("fitting a calibration needs the same number (at least 10) of confidences and correctness values")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[_logit(value)] for value in raw] * 2)
    y = np.array([1] * len(raw) + [0] * len(raw))
    weights = np.array([*correctness, *(1 - value for value in correctness)], dtype=float)
    model = LogisticRegression(C=1e4).fit(x, y, sample_weight=weights)
    slope = float(model.coef_[0][0])
    if slope <= 0:
        raise ValueError("confidence does not predict correctness on these answers (fitted slope <= 0); keep the identity")
    return Calibration(slope, float(model.intercept_[0]))
