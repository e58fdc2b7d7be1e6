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

from embeddings.encoder import DEFAULT_MODEL, SentenceTransformerEncoder
from qa.config import resolve_data_dir
from qa.datasets import load_squad
from qa.evaluation import percentile
from qa.ingest.pipeline import text_passages
from qa.metrics import recall_at, reciprocal_rank
from qa.records import Passage
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.dense import DenseIndex
from qa.retrieval.fusion import reciprocal_rank_fusion, score_fusion
from qa.retrieval.hits import Hit
from qa.retrieval.retriever import FUSION_DEPTH
from qa.retrieval.store import BM25_BIGRAMS, embed_with_cache

DEPTH = FUSION_DEPTH


@dataclass(frozen=True)
class RankingScores:
    """Recall at 1, 5, 10 and 20 and MRR@10 over a question set."""

    recall_1: float
    recall_5: float
    recall_10: float
    recall_20: float
    mrr_10: float


def first_relevant_rank(hits: Sequence[Hit], relevant: set[str]) -> int | None:
    """Return the 1-based rank of the first relevant hit, or None."""
    return next((hit.rank for hit in hits if hit.passage_id in relevant), None)


def ranking_scores(ranks: Sequence[int | None]) -> RankingScores:
    """Return recall@k and MRR@10 from each question's first relevant rank (None: not retrieved)."""
    mrr = sum(reciprocal_rank(rank) for rank in ranks) / len(ranks)
    return RankingScores(recall_at(ranks, 1), recall_at(ranks, 5), recall_at(ranks, 10), recall_at(ranks, 20), mrr)


def corpus_passages(contexts: dict[str, str]) -> tuple[list[Passage], dict[str, str]]:
    """Return the passages of all contexts and, per passage id, the context it was cut from."""
    passages: list[Passage] = []
    source: dict[str, str] = {}
    for context_id, text in contexts.items():
        for passage in text_passages(text, context_id):
            passages.append(passage)
            source[passage.id] = context_id
    return passages, source


def run_set(path: Path, encoder: SentenceTransformerEncoder, cache: EmbeddingCache, latency_queries: int) -> list[str]:
    """Benchmark one file and return its table rows."""
    squad = load_squad(path)
    passages, source = corpus_passages(squad.contexts)
    ids = [p.id for p in passages]
    started = time.perf_counter()
    vectors, embedded = embed_with_cache(passages, encoder, cache)
    embed_seconds = time.perf_counter() - started
    dense = DenseIndex.build(ids, vectors)
    started = time.perf_counter()
    bm25 = BM25Index.build(ids, [p.text for p in passages], BM25_BIGRAMS)
    bm25_seconds = time.perf_counter() - started
    questions = [example.question for example in squad.examples]
    query_vectors = encoder.encode_queries(questions)
    dense_hits = dense.search(query_vectors, DEPTH)
    bm25_hits = [bm25.search(question, DEPTH) for question in questions]
    relevant = [{pid for pid in ids if source[pid] == example.context_id} for example in squad.examples]
    rows = []
    for name, lists in (
        ("dense", dense_hits),
        ("bm25", bm25_hits),
        ("hybrid", [score_fusion(d, b) for d, b in zip(dense_hits, bm25_hits)]),
        ("rrf", [reciprocal_rank_fusion([d, b]) for d, b in zip(dense_hits, bm25_hits)]),
    ):
        scores = ranking_scores([first_relevant_rank(hits, rel) for hits, rel in zip(lists, relevant)])
        latency = single_query_latency(name, questions[:latency_queries], encoder, dense, bm25)
        rows.append(
            f"| {path.name} | {name} | {len(questions)} | {len(passages)} | {scores.recall_1:.3f} | {scores.recall_5:.3f} | "
            f"{scores.recall_20:.3f} | {scores.mrr_10:.3f} | {percentile(latency, 50):.1f} | {percentile(latency, 95):.1f} |"
        )
    throughput = f"{embedded / embed_seconds:.1f}" if embedded else "cached"
    rows.append(f"<!-- {path.name}: embedded {embedded} passages ({throughput} passages/s), BM25 built in {bm25_seconds:.1f} s -->")
    return rows


def single_query_latency(mode: str, questions: Sequence[str], encoder, dense: DenseIndex, bm25: BM25Index) -> list[float]:
    """Return milliseconds per question for one question at a time, model loaded, retrieval only."""
    timings = []
    for question in questions:
        started = time.perf_counter()
        hits_dense = dense.search(encoder.encode_queries([question]), DEPTH)[0] if mode != "bm25" else []
        hits_bm25 = bm25.search(question, DEPTH) if mode != "dense" else []
        if mode == "hybrid":
            score_fusion(hits_dense, hits_bm25)
        elif mode == "rrf":
            reciprocal_rank_fusion([hits_dense, hits_bm25])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_throughput(encoder: SentenceTransformerEncoder, texts: Sequence[str], repeats: int) -> list[float]:
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


def encoder_and_cache(args: argparse.Namespace) -> tuple[SentenceTransformerEncoder, EmbeddingCache]:
    """Return the encoder and the embedding cache of the data dir the arguments name."""
    data_dir = resolve_data_dir(args.data_dir)
    return SentenceTransformerEncoder(args.model, data_dir), EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on the given SQuAD files and print the table."""
    parser = bench_parser("python -m qa.bench.retrieval", __doc__.splitlines()[0])
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--throughput-passages", type=int, default=128)
    args = parser.parse_args(argv)
    encoder, cache = encoder_and_cache(args)
    print("| set | retriever | questions | passages | R@1 | R@5 | R@20 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    first_passages: list[str] = []
    for path in args.datasets:
        for row in run_set(path, encoder, cache, args.latency_queries):
            print(row, flush=True)
        if not first_passages:
            first_passages = [p.text for p in corpus_passages(load_squad(path).contexts)[0][: args.throughput_passages]]
    rates = measure_throughput(encoder, first_passages, 3)
    mean_chars = statistics.mean(len(text) for text in first_passages)
    print(
        f"\nindex throughput (encode {len(first_passages)} passages of {mean_chars:.0f} chars, uncached, 3 runs): "
        f"median {statistics.median(rates):.1f} passages/s (runs: {', '.join(f'{r:.1f}' for r in rates)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
