"""Fusion study: recall of BM25 variants and dense+BM25 fusions over the same cached vectors.

Used to choose the default hybrid on sets that are never reported as results (CMRC 2018 trial,
DRCD test). Usage:

    python -m qa.bench.fusion ../shared/benchmarks/cmrc2018_trial.json ../shared/benchmarks/drcd_test.json
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from qa.bench.retrieval import DEPTH, bench_parser, encoder_and_cache, ranking_scores, relevant_ids
from qa.datasets import load_squad
from qa.evaluation import context_passages
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.dense import DenseIndex
from qa.retrieval.fusion import reciprocal_rank_fusion, score_fusion
from qa.retrieval.hits import Hit
from qa.retrieval.store import embed_with_cache


def print_row(set_name: str, relevant: Sequence[set[str]], tokens: str, name: str, lists: Sequence[Sequence[Hit]]) -> None:
    """Print one table row: recall@1/5/20 and MRR@10 of a variant's hit lists, one list per question."""
    s = ranking_scores([next((hit.rank for hit in hits if hit.passage_id in rel), None) for hits, rel in zip(lists, relevant, strict=True)])
    print(
        f"| {set_name} | {tokens} | {name} | {s.recall_1:.3f} | {s.recall_5:.3f} | {s.recall_20:.3f} | {s.mrr_10:.3f} |",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print recall@1/5/20 and MRR@10 of each variant on each given SQuAD file."""
    args = bench_parser("python -m qa.bench.fusion", __doc__.splitlines()[0]).parse_args(argv)
    encoder, cache = encoder_and_cache(args)
    print("| set | BM25 tokens | variant | R@1 | R@5 | R@20 | MRR@10 |")
    print("|---|---|---|---|---|---|---|")
    for path in args.datasets:
        squad = load_squad(path)
        passages = context_passages(squad.contexts)
        ids = [p.id for p in passages]
        vectors, _ = embed_with_cache(passages, encoder, cache)
        questions = [example.question for example in squad.examples]
        dense_hits = DenseIndex.build(ids, vectors).search(encoder.encode_queries(questions), DEPTH)
        relevant = relevant_ids(passages, [example.context_id for example in squad.examples])
        row = partial(print_row, path.name, relevant)
        row("-", "dense", dense_hits)
        for bigrams in (False, True):
            tokens = "words + bigrams" if bigrams else "words"
            bm25 = BM25Index.build(ids, [p.text for p in passages], bigrams)
            bm25_hits = [bm25.search(question, DEPTH) for question in questions]
            row(tokens, "bm25", bm25_hits)
            for k, weight in ((60, 0.5), (5, 0.3), (10, 0.4)):
                row(
                    tokens,
                    f"rrf k={k} dense {weight}",
                    [reciprocal_rank_fusion([d, b], [weight, 1 - weight], k) for d, b in zip(dense_hits, bm25_hits, strict=True)],
                )
            for weight in (0.3, 0.4, 0.5, 0.6):
                row(
                    tokens, f"score fusion dense {weight}", [score_fusion(d, b, weight) for d, b in zip(dense_hits, bm25_hits, strict=True)]
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
