"""Retrieval benchmark on SQuAD-format sets: recall@1/5/20 and MRR@10 for dense, BM25 and hybrid.

Contexts become the corpus (cut into passages like any document), questions are the queries, and
a hit is a passage cut from the question's source context. Prints one table with index throughput
and single-query latency. Usage:

    python -m qa.bench.retrieval ../shared/benchmarks/cmrc2018_dev.json ../shared/benchmarks/drcd_dev.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL, Encoder
from qa.config import resolve_data_dir
from qa.datasets import load_squad
from qa.evaluation import context_passages, percentile
from qa.metrics import recall_at, reciprocal_rank
from qa.records import Passage, RetrievedPassage
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.retriever import FUSION_DEPTH, RETRIEVERS
from qa.system import QASystem, Settings

DEPTH = FUSION_DEPTH


@dataclass(frozen=True)
class RankingScores:
    """Recall at 1, 5, 10 and 20 and MRR@10 over a question set."""

    recall_1: float
    recall_5: float
    recall_10: float
    recall_20: float
    mrr_10: float


def first_relevant_rank(results: Sequence[RetrievedPassage], relevant: set[str]) -> int | None:
    """Return the 1-based rank of the first relevant passage, or None."""
    return next((result.rank for result in results if result.passage.id in relevant), None)


def ranking_scores(ranks: Sequence[int | None]) -> RankingScores:
    """Return recall@k and MRR@10 from each question's first relevant rank (None: not retrieved)."""
    mrr = sum(reciprocal_rank(rank) for rank in ranks) / len(ranks)
    return RankingScores(recall_at(ranks, 1), recall_at(ranks, 5), recall_at(ranks, 10), recall_at(ranks, 20), mrr)


def relevant_ids(passages: Sequence[Passage], context_ids: Sequence[str | None]) -> list[set[str]]:
    """Return, per question, the ids of the passages cut from its source context."""
    by_context: dict[str, set[str]] = {}
    for passage in passages:
        by_context.setdefault(passage.document, set()).add(passage.id)
    return [by_context.get(context_id, set()) if context_id is not None else set() for context_id in context_ids]


def run_set(path: Path, system: QASystem, latency_queries: int) -> list[str]:
    """Benchmark one file with the system's model and return its table rows."""
    squad = load_squad(path)
    passages = context_passages(squad.contexts)
    started = time.perf_counter()
    corpus = system.over_passages(passages)
    build_seconds = time.perf_counter() - started
    questions = [example.question for example in squad.examples]
    rankings = corpus.search_all(questions, DEPTH, RETRIEVERS)
    relevant = relevant_ids(passages, [example.context_id for example in squad.examples])
    rows = []
    for name, lists in rankings.items():
        scores = ranking_scores([first_relevant_rank(results, rel) for results, rel in zip(lists, relevant, strict=True)])
        latency = single_query_latency(corpus, name, questions[:latency_queries])
        rows.append(
            f"| {path.name} | {name} | {len(questions)} | {len(passages)} | {scores.recall_1:.3f} | {scores.recall_5:.3f} | "
            f"{scores.recall_20:.3f} | {scores.mrr_10:.3f} | {percentile(latency, 50):.1f} | {percentile(latency, 95):.1f} |"
        )
    rows.append(f"<!-- {path.name}: index built in {build_seconds:.1f} s (vectors from the embedding cache where it had them) -->")
    return rows


def single_query_latency(system: QASystem, mode: str, questions: Sequence[str]) -> list[float]:
    """Return milliseconds per question for one question at a time through the product's search, model loaded."""
    timings = []
    for question in questions:
        started = time.perf_counter()
        system.search(question, DEPTH, mode)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_throughput(encoder: Encoder, texts: Sequence[str], repeats: int) -> list[float]:
    """Return passages/s of encoding the texts uncached, once per repeat."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        encoder.encode_passages(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return rates


def bench_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return a parser with the arguments every benchmark takes: SQuAD files, --model, --data-dir."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--data-dir")
    return parser


def bench_system(args: argparse.Namespace) -> QASystem:
    """Return the QASystem of the model and data dir the arguments name."""
    return QASystem(Settings(resolve_data_dir(args.data_dir), model=args.model))


def encoder_and_cache(args: argparse.Namespace) -> tuple[Encoder, EmbeddingCache]:
    """Return the encoder and the embedding cache of the data dir the arguments name."""
    system = bench_system(args)
    return system.encoder, system.embedding_cache


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on the given SQuAD files and print the table."""
    parser = bench_parser("python -m qa.bench.retrieval", __doc__.splitlines()[0])
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--throughput-passages", type=int, default=128)
    args = parser.parse_args(argv)
    system = bench_system(args)
    print("| set | retriever | questions | passages | R@1 | R@5 | R@20 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    first_passages: list[str] = []
    for path in args.datasets:
        for row in run_set(path, system, args.latency_queries):
            print(row, flush=True)
        if not first_passages:
            first_passages = [p.text for p in context_passages(load_squad(path).contexts)[: args.throughput_passages]]
    rates = measure_throughput(system.encoder, first_passages, 3)
    mean_chars = statistics.mean(len(text) for text in first_passages)
    print(
        f"\nindex throughput (encode {len(first_passages)} passages of {mean_chars:.0f} chars, uncached, 3 runs): "
        f"median {statistics.median(rates):.1f} passages/s (runs: {', '.join(f'{r:.1f}' for r in rates)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
