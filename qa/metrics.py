"""Answer and retrieval metrics as pure functions, EM/F1 exactly as the official CMRC 2018 script.

The official script (cmrc2018_evaluate.py) lowercases and strips both strings, removes the
punctuation marks below, and then
- EM: 1 when the cleaned prediction equals a cleaned reference;
- F1: splits each string into tokens (every CJK character U+4E00-U+9FA5 and every listed mark is
  a token; runs of other characters are split into words, as nltk.word_tokenize does for the
  simple runs that occur here), takes the longest common *contiguous* run of tokens, and scores
  precision = run / prediction tokens, recall = run / reference tokens;
both taking the maximum over the reference answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# The official list; "……" is a two-character entry that never matches a single character, as there.
PUNCTUATION = frozenset(
    [
        "-",
        ":",
        "_",
        "*",
        "^",
        "/",
        "\\",
        "~",
        "`",
        "+",
        "=",
        "，",
        "。",
        "：",
        "？",
        "！",
        "“",
        "”",
        "；",
        "’",
        "《",
        "》",
        "……",
        "·",
        "、",
        "「",
        "」",
        "（",
        "）",
        "－",
        "～",
        "『",
        "』",
    ]
)
_CJK = re.compile(r"[\u4e00-\u9fa5]")
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?|\w+|[^\w\s]")


def mixed_segmentation(text: str, remove_punctuation: bool = False) -> list[str]:
    """Return the tokens of a string: each CJK character and listed mark alone, other runs as words."""
    tokens: list[str] = []
    run = ""
    for char in str(text).lower().strip():
        if remove_punctuation and char in PUNCTUATION:
            continue
        if _CJK.match(char) or char in PUNCTUATION:
            tokens.extend(_WORD.findall(run))
            run = ""
            tokens.append(char)
        else:
            run += char
    tokens.extend(_WORD.findall(run))
    return tokens


def strip_punctuation(text: str) -> str:
    """Return the string lowercased and stripped, without the listed punctuation marks."""
    return "".join(char for char in str(text).lower().strip() if char not in PUNCTUATION)


def longest_common_run(first: Sequence[str], second: Sequence[str]) -> int:
    """Return the length of the longest contiguous run of tokens shared by the two sequences."""
    best = 0
    previous = [0] * (len(second) + 1)
    for token in first:
        current = [0] * (len(second) + 1)
        for j, other in enumerate(second):
            if token == other:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def f1_score(prediction: str, references: Sequence[str]) -> float:
    """Return the CMRC F1 of a prediction: the best over the references (0 when there are none)."""
    predicted = mixed_segmentation(prediction, remove_punctuation=True)
    scores = [0.0]
    for reference in references:
        expected = mixed_segmentation(reference, remove_punctuation=True)
        run = longest_common_run(expected, predicted)
        if run:
            precision, recall = run / len(predicted), run / len(expected)
            scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """Return 1.0 when the cleaned prediction equals any cleaned reference, else 0.0."""
    cleaned = strip_punctuation(prediction)
    return 1.0 if any(cleaned == strip_punctuation(reference) for reference in references) else 0.0


@dataclass(frozen=True)
class AnswerScore:
    """EM and F1 of one question; for an unanswerable one, both are 1 exactly when the system abstained."""

    em: float
    f1: float
    answerable: bool
    abstained: bool


def score_answer(prediction: str | None, references: Sequence[str]) -> AnswerScore:
    """Return the score of a prediction (None or empty: the system said the answer is not there)."""
    abstained = not prediction
    if not references:
        value = 1.0 if abstained else 0.0
        return AnswerScore(value, value, answerable=False, abstained=abstained)
    if not prediction:
        return AnswerScore(0.0, 0.0, answerable=True, abstained=True)
    return AnswerScore(exact_match(prediction, references), f1_score(prediction, references), True, False)


@dataclass(frozen=True)
class NoAnswerScores:
    """How well abstention works: precision and recall of 'not in the documents', and accuracy on unanswerable items."""

    precision: float | None
    recall: float | None
    accuracy: float | None


def no_answer_scores(scores: Sequence[AnswerScore]) -> NoAnswerScores:
    """Return no-answer precision (abstentions that were right), recall and accuracy (None when undefined)."""
    abstained = [s for s in scores if s.abstained]
    unanswerable = [s for s in scores if not s.answerable]
    correct = sum(1 for s in abstained if not s.answerable)
    precision = correct / len(abstained) if abstained else None
    recall = correct / len(unanswerable) if unanswerable else None
    return NoAnswerScores(precision, recall, recall)


def reciprocal_rank(rank: int | None, cutoff: int = 10) -> float:
    """Return 1/rank when the first relevant result is within the cutoff, else 0."""
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Return the share of questions whose first relevant result is within the top k."""
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks) if ranks else 0.0
