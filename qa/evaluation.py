"""Evaluate answering on a question set: per-question records and the aggregate metrics."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answering import TimedAnswer
from qa.answers import Answer
from qa.datasets import EvalExample, load_squad
from qa.errors import QAError
from qa.ingest.pipeline import text_passages
from qa.metrics import AnswerScore, no_answer_scores, recall_at, reciprocal_rank, score_answer, strip_punctuation
from qa.records import Passage, RetrievedPassage

RECALL_DEPTH = 20
# Calibration is judged on the confidence bins holding at least this many questions.
CALIBRATION_MIN_BIN = 20
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


def load_eval_set(path: Path, split: str | None = None) -> EvalSet:
    """Return the questions of a JSONL (`{"id", "question", "answers"}` per line, optionally `"type"` and `"split"`)
    or SQuAD JSON file; with `split`, only the JSONL rows of that split (`tune` or `test` in the gold set)."""
    path = Path(path)
    if not path.exists():
        raise QAError(f"{path}: no such dataset file")
    if path.suffix.lower() == ".jsonl":
        examples = []
        splits = set()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                splits.add(row.get("split"))
                if split is None or row.get("split") == split:
                    kind = row.get("type")
                    examples.append(EvalExample(str(row["id"]), row["question"], tuple(row["answers"]), kind=str(kind) if kind else None))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
                raise QAError(f'{path}:{number}: not a dataset row ({error}); expected {{"id", "question", "answers": [...]}}') from error
        if split is not None and split not in splits:
            named = ", ".join(sorted(str(name) for name in splits if name)) or "none"
            raise QAError(f"{path} has no split {split!r} (its splits: {named}); drop --split or name one of them")
        return EvalSet(tuple(examples), None)
    if split is not None:
        raise QAError(f"--split applies to JSONL question sets; {path} is SQuAD JSON, drop --split")
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
    examples: Sequence[EvalExample], ask: Callable[[EvalExample], TimedAnswer], progress: Callable[[int], None] | None = None
) -> list[EvalRecord]:
    """Answer every example with `ask` (QASystem.evaluate passes the path users' questions take) and score it.

    Questions are answered one at a time, as a user would ask them, so the timings are real latencies;
    the passages `ask` returns (up to RECALL_DEPTH) are where the relevant passage's rank is looked up.
    """
    records = []
    for example in examples:
        timed = ask(example)
        records.append(_record(example, timed.answer, timed.passages, timed.retrieve_ms, timed.read_ms))
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


@dataclass(frozen=True)
class KindSummary:
    """Answer accuracy on the questions of one kind: EM/F1 (for unanswerable ones, 1 for an abstention) and the share
    of them the system answered."""

    kind: str
    n: int
    em: float
    f1: float
    answered: float


def summarize_by_kind(records: Sequence[EvalRecord]) -> list[KindSummary]:
    """Return one summary per question kind (the dataset's `type`; questions with no answer always under
    `unanswerable`, untyped answerable ones under `untyped`), largest first, then by name."""
    grouped: dict[str, list[EvalRecord]] = {}
    for record in records:
        kind = "unanswerable" if not record.example.answers else (record.example.kind or "untyped")
        grouped.setdefault(kind, []).append(record)
    summaries = [
        KindSummary(
            kind,
            len(group),
            statistics.fmean(r.score.em for r in group),
            statistics.fmean(r.score.f1 for r in group),
            statistics.fmean(0.0 if r.score.abstained else 1.0 for r in group),
        )
        for kind, group in grouped.items()
    ]
    return sorted(summaries, key=lambda summary: (-summary.n, summary.kind))


# How an answer relates to its question's reference answers (miss_kind), in the order reports list them.
ANSWERABLE_MISS_KINDS = ("exact", "runs on", "cut short", "overlaps", "elsewhere", "abstained")
UNANSWERABLE_MISS_KINDS = ("abstained (no answer exists)", "answered (no answer exists)")
MISS_KINDS = ANSWERABLE_MISS_KINDS + UNANSWERABLE_MISS_KINDS


def miss_kind(record: EvalRecord) -> str:
    """Return how the record's answer relates to its reference answers (one of MISS_KINDS), comparing texts as the
    metric does (lowercased, without punctuation): `exact` (EM 1), `runs on` (it holds a whole reference answer and
    more), `cut short` (it lies inside one), `overlaps` (shares some tokens, F1 > 0), `elsewhere` (none), `abstained`;
    for an unanswerable question, whether the system abstained."""
    references = record.example.answers
    if not references:
        return UNANSWERABLE_MISS_KINDS[0] if record.score.abstained else UNANSWERABLE_MISS_KINDS[1]
    if record.score.abstained:
        return "abstained"
    if record.score.em == 1.0:
        return "exact"
    answer = strip_punctuation(record.answer.text or "")
    cleaned = [strip_punctuation(reference) for reference in references]
    if any(reference and reference in answer for reference in cleaned):
        return "runs on"
    if answer and any(answer in reference for reference in cleaned):
        return "cut short"
    return "overlaps" if record.score.f1 > 0 else "elsewhere"


@dataclass(frozen=True)
class MissCount:
    """How many of a run's answerable (or unanswerable) questions were answered in one way (MISS_KINDS), and their
    share of those questions."""

    kind: str
    n: int
    share: float


def miss_counts(records: Sequence[EvalRecord]) -> list[MissCount]:
    """Return, for each kind of MISS_KINDS that occurs, how many records are of it (miss_kind) and their share of the
    answerable questions (of the unanswerable ones for the last two kinds), in the order of MISS_KINDS."""
    kinds = [miss_kind(record) for record in records]
    unanswerable = sum(1 for record in records if not record.example.answers)
    answerable = len(records) - unanswerable
    counts = []
    for kind in MISS_KINDS:
        n = kinds.count(kind)
        if n:
            counts.append(MissCount(kind, n, n / (unanswerable if kind in UNANSWERABLE_MISS_KINDS else answerable)))
    return counts


@dataclass(frozen=True)
class CalibrationBin:
    """Questions whose confidence in what the system said fell in [low, high): how many, their mean confidence and mean
    correctness. Confidence is the answer's score, or 1 - the best span's score when it abstained; correctness is the
    answer's F1 (0 on an unanswerable question), or for an abstention 1 on an unanswerable question and 0 else."""

    low: float
    high: float
    n: int
    confidence: float
    accuracy: float

    @property
    def gap(self) -> float:
        """Return how far the bin's accuracy lies from its confidence (0: perfectly calibrated)."""
        return abs(self.accuracy - self.confidence)


def calibration_bins(records: Sequence[EvalRecord], bins: int = 10) -> list[CalibrationBin]:
    """Return the non-empty confidence bins of equal width over [0, 1], lowest first."""
    grouped: dict[int, list[tuple[float, float]]] = {}
    for record in records:
        confidence = min(max(record.answer.score, 0.0), 1.0)
        if not record.answer.text:
            confidence = 1.0 - confidence
        grouped.setdefault(min(int(confidence * bins), bins - 1), []).append((confidence, record.score.f1))
    return [
        CalibrationBin(
            key / bins,
            (key + 1) / bins,
            len(grouped[key]),
            statistics.fmean(c for c, _ in grouped[key]),
            statistics.fmean(a for _, a in grouped[key]),
        )
        for key in sorted(grouped)
    ]


@dataclass(frozen=True)
class ThresholdOutcome:
    """What a confidence threshold would have given on a run: overall accuracy (mean over all questions of F1, an
    abstention counting 1 on an unanswerable question and 0 on an answerable one), EM and F1 over the answerable
    questions, and the share of unanswerable questions abstained on (None without any)."""

    threshold: float
    overall: float
    em: float
    f1: float
    no_answer_accuracy: float | None


def answer_kept(record: EvalRecord, threshold: float) -> bool:
    """Return whether the record's answer stays at the threshold (it has text and its confidence reaches it)."""
    return bool(record.answer.text) and record.answer.score >= threshold


def threshold_sweep(records: Sequence[EvalRecord], thresholds: Sequence[float]) -> list[ThresholdOutcome]:
    """Return the outcome of each threshold, replaying the run's answers: an answer stays when its confidence reaches
    the threshold. Meaningful for thresholds at or above the one the run used (run with --threshold 0 to sweep all)."""
    outcomes = []
    answerable = [r for r in records if r.example.answers]
    unanswerable = [r for r in records if not r.example.answers]
    for threshold in thresholds:
        em = [r.score.em if answer_kept(r, threshold) else 0.0 for r in answerable]
        f1 = [r.score.f1 if answer_kept(r, threshold) else 0.0 for r in answerable]
        abstained = [0.0 if answer_kept(r, threshold) else 1.0 for r in unanswerable]
        outcomes.append(
            ThresholdOutcome(
                threshold,
                statistics.fmean(f1 + abstained) if records else 0.0,
                statistics.fmean(em) if em else 0.0,
                statistics.fmean(f1) if f1 else 0.0,
                statistics.fmean(abstained) if abstained else None,
            )
        )
    return outcomes
