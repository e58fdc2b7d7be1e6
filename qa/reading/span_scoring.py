"""From a span-extraction model's start/end logits over several windows to ranked, calibrated answer spans.

Pure functions over logits (no model, no tokenizer), so every rule here is tested on forced logits.

Every distinct span (passage, start, end) of every window is one option, scored start_logit + end_logit, less a
length prior of `length_penalty` per token after its first (0 by default; a model whose answers run on past the
asked span is held back by a positive one, chosen on tuning data), a span found in several windows keeping its best
score; "no answer" is one more option. One softmax runs over all of them,
across windows and passages alike, so spans from different passages compete on one scale. How the windows' null
scores (start_logits[cls] + end_logits[cls]) make the "no answer" option depends on how the model was trained:

- `min` (a model trained window by window, SQuAD 2.0 style): the smallest null score over the windows read, since
  the question is unanswerable only as far as its most answerable window says so;
- `shared` (a model trained with shared normalization over several windows of one question, Clark & Gardner 2018):
  the log-sum-exp of the windows' null scores, the same quantity its training loss normalizes.

A candidate's confidence is the probability that the answer overlaps its span: the softmax summed over the spans of
its passage that share a character with it, capped by the confidence of the candidate before it, so that a
confident answer's mass is not split among its variants with a word more or less.

Which spans come first depends on `decoding`: `argmax` takes the most probable span, then the most probable one not
overlapping it, and so on; `expected_f1` (minimum Bayes risk decoding, Kumar & Byrne 2004) takes, among the
`_HYPOTHESES` most probable spans, the one with the highest expected character F1 against the span distribution (the
`_EVIDENCE` most probable spans, each weighed by its probability; a span of another passage shares nothing), the
metric an answer is scored by, so that where the model spreads its mass over an answer and longer spans running on
past it, the span they agree on wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

NULL_RULES = ("min", "shared")
DECODINGS = ("argmax", "expected_f1")
_HYPOTHESES = 30
_EVIDENCE = 200
# Marks a span never starts or ends with (a model's span often takes the comma or full stop after an answer).
_EDGE_PUNCTUATION = frozenset("，。；：、！？,.;:!?")
_PAIRS = {"“": "”", "‘": "’", "《": "》", "（": "）", "(": ")", "「": "」", "『": "』", "【": "】"}
_OPENED_BY = {closing: opening for opening, closing in _PAIRS.items()}


@dataclass(frozen=True)
class WindowLogits:
    """One window's model output: the passage it was cut from (an index), each token's [start, end) characters in that
    passage (None for question, special and padding tokens), the start and end logits, and the CLS token's position."""

    passage: int
    offsets: tuple[tuple[int, int] | None, ...]
    start_logits: tuple[float, ...]
    end_logits: tuple[float, ...]
    cls: int = 0


@dataclass(frozen=True)
class ScoredSpan:
    """An answer span: passage index, [start, end) characters in it, and the probability that the answer overlaps it."""

    passage: int
    start: int
    end: int
    confidence: float


@dataclass(frozen=True)
class SpanRanking:
    """The distinct answer spans best first, and the probability that no window holds the answer."""

    spans: tuple[ScoredSpan, ...]
    no_answer: float


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return [start, end) narrowed to exclude whitespace at either end (empty when it is all whitespace)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return [start, end) without surrounding whitespace, sentence punctuation at either end, or an opening (closing)
    quote or bracket at its start (end) whose partner is not inside the span; empty when nothing is left."""
    while True:
        start, end = strip_span(text, start, end)
        if start < end and text[start] in _EDGE_PUNCTUATION:
            start += 1
        elif start < end and text[end - 1] in _EDGE_PUNCTUATION:
            end -= 1
        elif start < end and text[start] in _PAIRS and _PAIRS[text[start]] not in text[start + 1 : end]:
            start += 1
        elif _ends_on_unopened_mark(text, start, end):
            end -= 1
        else:
            return start, end


def _ends_on_unopened_mark(text: str, start: int, end: int) -> bool:
    """Return True when the span [start, end) ends on a closing mark whose opening one it does not hold."""
    return start < end and text[end - 1] in _OPENED_BY and _OPENED_BY[text[end - 1]] not in text[start : end - 1]


def balanced_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span with its brackets and quotation marks balanced: without an opening mark at its end or a closing
    one at its start, without a closing mark at its end whose opening one it lacks, and taking in the closing mark that
    follows it when it left the last one it opened unclosed (`…通知》（` gives `…通知》`, `《A》和《B` before `》`
    gives `《A》和《B》`); a span of marks alone stays as it is. A model reading subword tokens can end a span inside a
    token such as `》（`."""
    given = (start, end)
    while start < end and (text[end - 1] in _PAIRS or text[start] in _OPENED_BY):
        if text[end - 1] in _PAIRS:
            end -= 1
        else:
            start += 1
    while _ends_on_unopened_mark(text, start, end):
        end -= 1
    if start == end:
        return given
    unclosed = _unclosed(text[start:end])
    if unclosed and end < len(text) and text[end] == _PAIRS[unclosed[-1]]:
        end += 1
    return start, end


def _unclosed(span: str) -> list[str]:
    """Return the opening marks of the span that are not closed within it, in order."""
    opened: list[str] = []
    for character in span:
        if character in _PAIRS:
            opened.append(character)
        elif character in _OPENED_BY and opened and opened[-1] == _OPENED_BY[character]:
            opened.pop()
    return opened


def window_spans(
    window: WindowLogits, text: str, top_n: int, max_answer_tokens: int, length_penalty: float = 0.0
) -> list[tuple[float, int, int]]:
    """Return (score, start, end) of a window's candidate spans in passage characters: every pair of the `top_n` best
    start and end tokens of the passage with start <= end and at most `max_answer_tokens` tokens, trimmed (trim_span),
    scored start logit + end logit - `length_penalty` * (tokens - 1)."""
    offsets = {i: span for i, span in enumerate(window.offsets) if span is not None and span[1] > span[0]}
    context = list(offsets)
    if not context:
        return []
    best_starts = sorted(context, key=lambda i: -window.start_logits[i])[:top_n]
    best_ends = sorted(context, key=lambda i: -window.end_logits[i])[:top_n]
    spans = []
    for first in best_starts:
        for last in best_ends:
            if last < first or last - first + 1 > max_answer_tokens:
                continue
            start, end = trim_span(text, offsets[first][0], offsets[last][1])
            if end > start:
                score = window.start_logits[first] + window.end_logits[last] - length_penalty * (last - first)
                spans.append((score, start, end))
    return spans


def null_score(windows: Sequence[WindowLogits], rule: str) -> float:
    """Return the score of the "no answer" option over the windows read, by `rule` (`min` or `shared`)."""
    scores = [w.start_logits[w.cls] + w.end_logits[w.cls] for w in windows]
    if rule == "min":
        return min(scores)
    if rule == "shared":
        top = max(scores)
        return top + math.log(sum(math.exp(score - top) for score in scores))
    raise ValueError(f"unknown null rule {rule!r}; use one of {', '.join(NULL_RULES)}")


def rank_spans(
    windows: Sequence[WindowLogits],
    texts: Sequence[str],
    top_n: int = 20,
    max_answer_tokens: int = 30,
    max_candidates: int = 4,
    null_rule: str = "min",
    length_penalty: float = 0.0,
    decoding: str = "argmax",
) -> SpanRanking:
    """Return up to `max_candidates` distinct spans (none overlapping an earlier one of the same passage), best first by
    `decoding`, each with its overlap confidence, and the no-answer probability; `texts` are the passages the windows
    index, and each span's score is lowered by `length_penalty` per token after its first."""
    if decoding not in DECODINGS:
        raise ValueError(f"unknown decoding {decoding!r}; use one of {', '.join(DECODINGS)}")
    if not windows:
        return SpanRanking((), 1.0)
    best: dict[tuple[int, int, int], float] = {}
    for window in windows:
        for score, start, end in window_spans(window, texts[window.passage], top_n, max_answer_tokens, length_penalty):
            key = (window.passage, start, end)
            if key not in best or score > best[key]:
                best[key] = score
    null = null_score(windows, null_rule)
    if not best:
        return SpanRanking((), 1.0)
    top = max(null, max(best.values()))
    total = math.exp(null - top) + sum(math.exp(score - top) for score in best.values())
    probability = {key: math.exp(score - top) / total for key, score in best.items()}
    spans: list[ScoredSpan] = []
    confidence = 1.0
    order = sorted(best, key=lambda span: -best[span])
    if decoding == "expected_f1":
        order = _by_expected_f1(order, probability)
    for key in order:
        if any(_overlap(key, (taken.passage, taken.start, taken.end)) for taken in spans):
            continue
        mass = sum(p for other, p in probability.items() if _overlap(key, other))
        confidence = min(max(mass, 0.0), confidence)
        spans.append(ScoredSpan(key[0], key[1], key[2], confidence))
        if len(spans) == max_candidates:
            break
    return SpanRanking(tuple(spans), math.exp(null - top) / total)


def _by_expected_f1(order: list[tuple[int, int, int]], probability: dict[tuple[int, int, int], float]) -> list[tuple[int, int, int]]:
    """Return the spans (most probable first) reordered so that the `_HYPOTHESES` most probable come first by their
    expected character F1 against the `_EVIDENCE` most probable (the more probable of equals first), the rest after."""
    evidence = order[:_EVIDENCE]

    def expected_f1(span: tuple[int, int, int]) -> float:
        return sum(probability[other] * _char_f1(span, other) for other in evidence)

    hypotheses = order[:_HYPOTHESES]
    ranked = sorted(range(len(hypotheses)), key=lambda i: (-expected_f1(hypotheses[i]), i))
    return [hypotheses[i] for i in ranked] + order[_HYPOTHESES:]


def _char_f1(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """Return the character F1 of two (passage, start, end) spans: 0 unless they are in the same passage and overlap."""
    if first[0] != second[0]:
        return 0.0
    shared = min(first[2], second[2]) - max(first[1], second[1])
    return 2 * shared / (first[2] - first[1] + second[2] - second[1]) if shared > 0 else 0.0


def _overlap(first: tuple[int, int, int], second: tuple[int, int, int]) -> bool:
    """Return whether two (passage, start, end) spans are in the same passage and share a character."""
    return first[0] == second[0] and first[1] < second[2] and second[1] < first[2]
