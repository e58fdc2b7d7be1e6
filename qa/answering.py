"""Retrieve, read, answer: one prepared query in, one cited Answer out, with per-stage timings."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from qa.answers import Answer
from qa.reading.base import Reader
from qa.records import Query, RetrievedPassage
from qa.retrieval.retriever import Retriever

# The rule-based span reader's scores are on their own scale: its threshold, chosen on the whole gold set before the
# split (its rules were fitted there too).
SPAN_THRESHOLD = 0.32


def default_threshold(reader: str) -> float:
    """Return the abstention threshold a reader's confidence was chosen for: the span reader's own, else the one the
    shipped neural reader's card records (chosen on tuning data only: python -m qa.bench.tune_reader, docs/EVALUATION.md)."""
    if reader == "span":
        return SPAN_THRESHOLD
    from qa.reading.neural.delta import card_threshold

    return card_threshold()


@dataclass(frozen=True)
class TimedAnswer:
    """An answer, the passages it was read from, and milliseconds spent retrieving and reading."""

    answer: Answer
    passages: tuple[RetrievedPassage, ...]
    retrieve_ms: float
    read_ms: float


def answer_from_passages(question: str, passages: list[RetrievedPassage], reader: Reader, threshold: float) -> Answer:
    """Return the reader's best span as the answer, or an abstention when its score is below the threshold."""
    candidates = reader.read(question, passages)
    retrieved = tuple(result.passage.id for result in passages)
    if not candidates or candidates[0].score < threshold:
        best_score = candidates[0].score if candidates else 0.0
        return Answer(question, None, best_score, (), tuple(candidates[:3]), retrieved)
    best = candidates[0]
    return Answer(question, best.text, best.score, (best.citation,), tuple(candidates[1:4]), retrieved)


def answer_query(
    query: Query,
    retriever: Retriever,
    reader: Reader,
    k: int,
    mode: str,
    threshold: float,
    depth: int | None = None,
) -> TimedAnswer:
    """Return the answer to a prepared query (qa.query) read from its top-k passages, with timings.

    With depth > k, that many passages are retrieved and returned (evaluation measures recall on
    them) while only the top k are read, so the answer is the one k alone gives.
    """
    started = time.perf_counter()
    passages = retriever.search(query, max(k, depth or k), mode)
    retrieved_at = time.perf_counter()
    answer = answer_from_passages(query.text, passages[:k], reader, threshold)
    answer = replace(answer, question=query.asked, resolved_question=query.resolved)
    finished = time.perf_counter()
    return TimedAnswer(answer, tuple(passages), (retrieved_at - started) * 1000, (finished - retrieved_at) * 1000)


def not_found_message(question: str) -> str:
    """Return 'not in the documents' in the question's language (Chinese or English)."""
    if re.search(r"[\u4e00-\u9fff]", question):
        return "文档中没有找到这个问题的答案。最接近的段落："
    return "The documents do not contain the answer. Closest passages:"
