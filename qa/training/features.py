"""SQuAD-style training windows: question + context cut with a document stride, answers labelled as token positions."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa.reading.base import sentence_spans
from qa.training.data import TrainExample


@dataclass(frozen=True)
class Window:
    """One model input: token ids (and type ids) of question + context window, and the answer's start/end token
    (both the CLS position when the answer is not inside the window)."""

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    start: int
    end: int


def label_window(
    offsets: Sequence[Sequence[int]], sequence_ids: Sequence[int | None], answer_start: int, answer_end: int, cls: int = 0
) -> tuple[int, int]:
    """Return the (start, end) token positions covering characters [answer_start, answer_end) of the context
    (sequence id 1), or (cls, cls) when the window's context does not hold the whole answer."""
    context = [i for i, sequence in enumerate(sequence_ids) if sequence == 1 and offsets[i][1] > offsets[i][0]]
    if not context or offsets[context[0]][0] > answer_start or offsets[context[-1]][1] < answer_end:
        return cls, cls
    start = max(i for i in context if offsets[i][0] <= answer_start)
    end = min(i for i in context if i >= start and offsets[i][1] >= answer_end)
    return start, end


def build_windows(
    tokenizer: Any,
    examples: Sequence[TrainExample],
    max_length: int,
    stride: int,
    negative_share: float,
    seed: int,
) -> list[Window]:
    """Return one window holding its question's answer per question (a random one when the answer is in several) and,
    for a `negative_share` of the questions with any (every unanswerable question), one window without it; picks are
    made with `seed`. The tokenizer must be fast and put the question first."""
    rng = random.Random(seed)
    windows: list[Window] = []
    chunk = 256
    for first in range(0, len(examples), chunk):
        batch = examples[first : first + chunk]
        encoding = tokenizer(
            [example.question for example in batch],
            [example.context for example in batch],
            truncation="only_second",
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        positives: dict[int, list[Window]] = {}
        negatives: dict[int, list[Window]] = {}
        for index, owner in enumerate(encoding["overflow_to_sample_mapping"]):
            example = batch[owner]
            ids = encoding["input_ids"][index]
            types = encoding["token_type_ids"][index] if "token_type_ids" in encoding else [0] * len(ids)
            start, end = (
                label_window(encoding["offset_mapping"][index], encoding.sequence_ids(index), example.answer_start, example.answer_end)
                if example.answerable
                else (0, 0)
            )
            (positives if start > 0 else negatives).setdefault(owner, []).append(Window(tuple(ids), tuple(types), start, end))
        for owner in range(len(batch)):
            if owner in positives:
                windows.append(rng.choice(positives[owner]))
            if owner in negatives and (not batch[owner].answerable or rng.random() < negative_share):
                windows.append(rng.choice(negatives[owner]))
    return windows


@dataclass(frozen=True)
class WindowGroup:
    """The windows of one question trained together under shared normalization: first the one holding the answer
    (absent when the group is a no-answer group), then windows without it."""

    windows: tuple[Window, ...]
    answerable: bool


def _windows_of(
    tokenizer: Any, question: str, contexts: Sequence[str], max_length: int, stride: int, span: tuple[int, int] | None
) -> tuple[list[Window], list[Window]]:
    """Return (windows holding the answer at character `span` of the first context, windows without it) of a question
    over its contexts (only the first context can hold the answer)."""
    if not contexts:
        return [], []
    encoding = tokenizer(
        [question] * len(contexts),
        list(contexts),
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    positives: list[Window] = []
    negatives: list[Window] = []
    for index, owner in enumerate(encoding["overflow_to_sample_mapping"]):
        ids = encoding["input_ids"][index]
        types = encoding["token_type_ids"][index] if "token_type_ids" in encoding else [0] * len(ids)
        start, end = 0, 0
        if owner == 0 and span is not None:
            start, end = label_window(encoding["offset_mapping"][index], encoding.sequence_ids(index), *span)
        (positives if start > 0 else negatives).append(Window(tuple(ids), tuple(types), start, end))
    return positives, negatives


def build_groups(
    tokenizer: Any,
    examples: Sequence[TrainExample],
    distractors: Mapping[str, Sequence[str]],
    max_length: int,
    stride: int,
    group_size: int,
    no_answer_share: float,
    seed: int,
    near_misses: Mapping[str, str] | None = None,
    ablated: frozenset[str] = frozenset(),
) -> list[WindowGroup]:
    """Return one group of `group_size` windows per question: a window holding the answer (a random one when several
    do) and `group_size - 1` windows without it, drawn from the other windows of its context and of its `distractors`
    (retrieved contexts without the answer). For a `no_answer_share` of the questions the answer window is left out and
    the group is all windows without it; an unanswerable question's group is always so. Each answerable question with a
    near miss (`near_misses`: its id -> the question about a neighbouring thing, qa.reading.near_miss) adds a no-answer
    group of that question: the window that holds the original answer first, then others as above. Each answerable
    question in `ablated` (ids) adds a no-answer group of the same question over its context with the answer's sentence
    cut out (ablated_context). Draws are made with `seed`; a question with no window to draw is skipped."""
    rng = random.Random(seed)
    near_rng = random.Random(f"{seed}-near-miss")
    ablation_rng = random.Random(f"{seed}-ablation")
    groups: list[WindowGroup] = []
    for example in examples:
        if example.answerable and example.id in ablated:
            groups.extend(_ablated_group(tokenizer, example, distractors, max_length, stride, group_size, ablation_rng))
        if near_misses and example.answerable and example.id in near_misses:
            groups.extend(
                _near_miss_group(tokenizer, example, near_misses[example.id], distractors, max_length, stride, group_size, near_rng)
            )
        contexts = [example.context, *distractors.get(example.id, ())]
        span = (example.answer_start, example.answer_end) if example.answerable else None
        positives, negatives = _windows_of(tokenizer, example.question, contexts, max_length, stride, span)
        unanswerable = bool(negatives) and (not example.answerable or rng.random() < no_answer_share)
        if not positives and not unanswerable:
            continue
        chosen = [] if unanswerable else [rng.choice(positives)]
        wanted = group_size - len(chosen)
        if negatives:
            pool = rng.sample(negatives, min(wanted, len(negatives)))
            chosen += pool + [rng.choice(negatives) for _ in range(wanted - len(pool))]
        else:
            chosen += [chosen[0]] * wanted
        groups.append(WindowGroup(tuple(chosen), not unanswerable))
    return groups


def ablated_context(example: TrainExample) -> str | None:
    """Return the example's context with the sentence holding its answer cut out, or None when the answer crosses a
    sentence boundary or its text occurs again in what is left (the question would still be answered)."""
    bounds = next(((start, end) for start, end in sentence_spans(example.context) if start <= example.answer_start < end), None)
    if bounds is None or example.answer_end > bounds[1]:
        return None
    left = example.context[: bounds[0]] + example.context[bounds[1] :]
    answer = example.context[example.answer_start : example.answer_end]
    return None if not answer.strip() or answer in left else left


def _ablated_group(
    tokenizer: Any,
    example: TrainExample,
    distractors: Mapping[str, Sequence[str]],
    max_length: int,
    stride: int,
    group_size: int,
    rng: random.Random,
) -> list[WindowGroup]:
    """Return a no-answer group of the question over its context without the answer's sentence (ablated_context): a
    window of that context (its neighbouring sentences, the hardest to turn down) and `group_size - 1` others of it or
    of the distractors; none when there is no such context."""
    left = ablated_context(example)
    if left is None:
        return []
    _, own = _windows_of(tokenizer, example.question, [left], max_length, stride, None)
    _, others = _windows_of(tokenizer, example.question, list(distractors.get(example.id, ())), max_length, stride, None)
    return _no_answer_group(own, others, group_size, rng)


def _near_miss_group(
    tokenizer: Any,
    example: TrainExample,
    question: str,
    distractors: Mapping[str, Sequence[str]],
    max_length: int,
    stride: int,
    group_size: int,
    rng: random.Random,
) -> list[WindowGroup]:
    """Return a no-answer group of the near-miss question over the example's contexts: a window where the original
    answer is (labelled "no answer": the hardest window to turn down) and `group_size - 1` others; none when the
    original answer is in no window."""
    contexts = [example.context, *distractors.get(example.id, ())]
    holding, others = _windows_of(tokenizer, question, contexts, max_length, stride, (example.answer_start, example.answer_end))
    return _no_answer_group(holding, others, group_size, rng)


def _no_answer_group(leading: Sequence[Window], others: Sequence[Window], group_size: int, rng: random.Random) -> list[WindowGroup]:
    """Return a group of `group_size` windows labelled "no answer": one of the `leading` windows (the hardest to turn
    down) first, then others drawn from the rest of them and `others` (the first repeated when too few); none when
    there is no leading window."""
    if not leading:
        return []
    first = rng.choice(leading)
    pool = [window for window in leading if window is not first] + list(others)
    chosen = [first, *rng.sample(pool, min(group_size - 1, len(pool)))]
    chosen += [first] * (group_size - len(chosen))
    return [WindowGroup(tuple(Window(w.input_ids, w.token_type_ids, 0, 0) for w in chosen), False)]
