"""Evaluate answering on a question set: per-question records and the aggregate metrics."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answering import answer_from_passages
from qa.answers import Answer
from qa.datasets import EvalExample, load_squad
from qa.errors import QAError
from qa.ingest.pipeline import text_passages
from qa.metrics import AnswerScore, no_answer_scores, recall_at, reciprocal_rank, score_answer
from qa.reading.base import Reader
from qa.records import Passage
from qa.retrieval.retriever import RetrievedPassage, Retriever

RECALL_DEPTH = 20
GOLD_SET = Path(__file__).resolve().parent / "gold" / "seed_gold.jsonl"


@dataclass(frozen=True)
class EvalSet:
    """Questions to evaluate and, for SQuAD files, their contexts by id (None for JSONL sets)."""

    examples: tuple[EvalExample, ...]
    contexts: dict[str, str] | None


@dataclass(frozen=True)
class EvalRecord:
    """One question's outcome: the answer, its score, where the first relevant passage ranked, timings."""

    example: EvalExample
    answer: Answer
    score: AnswerScore
    relevant_rank: int | None
    citation_correct: bool | None
    retrieve_ms: float
    read_ms: float


def load_eval_set(path: Path) -> EvalSet:
    """Return the questions of a JSONL (`{"id", "question", "answers"}` per line) or SQuAD JSON file."""
    path = Path(path)
    if not path.exists():
        raise QAError(f"{path}: no such dataset file")
    if path.suffix.lower() == ".jsonl":
        examples = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                examples.append(EvalExample(str(row["id"]), row["question"], tuple(row["answers"])))
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise QAError(f"{path}:{number}: not a dataset row ({error}); expected {{\"id\", \"question\", \"answers\": [...]}}") from error
        return EvalSet(tuple(examples), None)
    squad = load_squad(path)
    return EvalSet(squad.examples, squad.contexts)


def context_passages(contexts: dict[str, str]) -> list[Passage]:
    """Return the passages of SQuAD contexts; each passage's document is its context id."""
    return [passage for context_id, text in contexts.items() for passage in text_passages(text, context_id)]


def is_relevant(example: EvalExample, passage: Passage) -> bool:
    """Return True when the passage is relevant: cut from the source context if known, else holding an answer."""
    if example.context_id is not None:
        return passage.document == example.context_id
    return any(answer in passage.text for answer in example.answers)


def evaluate(
    examples: Sequence[EvalExample],
    reader: Reader,
    threshold: float,
    k: int,
    retriever: Retriever | None = None,
    mode: str = "hybrid",
    gold_contexts: dict[str, list[Passage]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[EvalRecord]:
    """Answer every example (from retrieval, or from its own context when gold_contexts is given) and score it.

    Questions are answered one at a time, as a user would ask them, so the timings are real latencies.
    """
    records = []
    for example in examples:
        started = time.perf_counter()
        if gold_contexts is not None:
            results = [RetrievedPassage(p, 1.0, rank) for rank, p in enumerate(gold_contexts[example.context_id], start=1)]
        else:
            results = retriever.search(example.question, max(k, RECALL_DEPTH), mode)
        retrieved_at = time.perf_counter()
        answer = answer_from_passages(example.question, results if gold_contexts is not None else results[:k], reader, threshold)
        finished = time.perf_counter()
        records.append(_record(example, answer, results, (retrieved_at - started) * 1000, (finished - retrieved_at) * 1000))
        if progress is not None:
            progress(1)
    return records


def _record(example: EvalExample, answer: Answer, results: Sequence[RetrievedPassage], retrieve_ms: float, read_ms: float) -> EvalRecord:
    relevant_rank = next((r.rank for r in results if example.answers and is_relevant(example, r.passage)), None)
    citation_correct = None
    if example.answers and answer.citations:
        cited = next(r.passage for r in results if r.passage.id == answer.citations[0].passage_id)
        citation_correct = any(reference in cited.text for reference in example.answers)
    return EvalRecord(example, answer, score_answer(answer.text, example.answers), relevant_rank, citation_correct, retrieve_ms, read_ms)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of the values by linear interpolation (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(records: Sequence[EvalRecord], retrieval: bool = True) -> dict[str, float | int | None]:
    """Return the flat metrics: n, em, f1 (over answerable questions), no-answer, recall@k, MRR@10, citation, latency."""
    answerable = [r for r in records if r.example.answers]
    ranks = [r.relevant_rank for r in answerable]
    no_answer = no_answer_scores([r.score for r in records])
    cited = [r.citation_correct for r in records if r.citation_correct is not None]
    totals = [r.retrieve_ms + r.read_ms for r in records]

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    metrics: dict[str, float | int | None] = {
        "n": len(records),
        "n_answerable": len(answerable),
        "em": mean([r.score.em for r in answerable]),
        "f1": mean([r.score.f1 for r in answerable]),
        "no_answer_accuracy": no_answer.accuracy,
        "no_answer_precision": no_answer.precision,
        "no_answer_recall": no_answer.recall,
        "answered": mean([0.0 if r.score.abstained else 1.0 for r in records]),
    }
    for k in (1, 5, 10, 20):
        metrics[f"recall@{k}"] = recall_at(ranks, k) if retrieval and ranks else None
    metrics["mrr@10"] = mean([reciprocal_rank(rank) for rank in ranks]) if retrieval and ranks else None
    metrics["citation_accuracy"] = mean([1.0 if ok else 0.0 for ok in cited])
    metrics["latency_p50_ms"] = percentile(totals, 50)
    metrics["latency_p95_ms"] = percentile(totals, 95)
    metrics["retrieve_p50_ms"] = percentile([r.retrieve_ms for r in records], 50)
    metrics["retrieve_p95_ms"] = percentile([r.retrieve_ms for r in records], 95)
    metrics["read_p50_ms"] = percentile([r.read_ms for r in records], 50)
    metrics["read_p95_ms"] = percentile([r.read_ms for r in records], 95)
    return metrics
