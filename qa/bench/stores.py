"""`python -m qa.bench.stores`: single-query latency of the embedded store (FAISS + BM25) and the Milvus store.

Passages are benchmark sentences recombined as in qa.bench.scale (../shared/benchmarks, never
copied); vectors come from a hashing encoder (character unigrams and bigrams, 384 dimensions), so
embedding is not the cost. For each size the same passages and vectors go into both stores, then
benchmark questions are searched one at a time (dense, BM25, hybrid through the Retriever); the
figures printed side by side are medians and 95th percentiles in milliseconds, and the time to fill
each store. `--store milvus:./bench.db` measures Milvus Lite (development only); a server URI
measures that server.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qa.bench.scale import benchmark_texts, corpus
from qa.retrieval.backend import EmbeddedStore, PassageStore
from qa.retrieval.milvus_store import MilvusStore
from qa.retrieval.retriever import Retriever
from qa.retrieval.store import searchable_text

DIMENSION = 384


class HashingEncoder:
    """Hashed character unigrams and bigrams, L2-normalized: deterministic and fast, for timing stores only."""

    name = "hashing"
    fingerprint = "hashing-384"
    dimension = DIMENSION

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return the texts' vectors (one row per text)."""
        vectors = np.zeros((len(texts), DIMENSION), np.float32)
        for row, text in enumerate(texts):
            for gram in list(text) + [text[i : i + 2] for i in range(len(text) - 1)]:
                vectors[row, int.from_bytes(hashlib.md5(gram.encode()).digest()[:4], "little") % DIMENSION] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return the texts' vectors, as for queries."""
        return self.encode_queries(texts)


def latencies(store: PassageStore, encoder: HashingEncoder, questions: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Return per retriever the median and 95th percentile of single-query latency in milliseconds."""
    retriever = Retriever(store, encoder)
    figures = {}
    for mode in ("dense", "bm25", "hybrid"):
        times = []
        for question in questions:
            started = time.perf_counter()
            retriever.search(question, 10, mode)
            times.append((time.perf_counter() - started) * 1000)
        figures[mode] = (float(np.percentile(times, 50)), float(np.percentile(times, 95)))
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Fill both stores at each size and print their latencies side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="passage counts, comma-separated (default 10000,100000)")
    parser.add_argument("--queries", type=int, default=50, help="questions searched per store and retriever (default 50)")
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--store", help="Milvus URI (default: a Milvus Lite file in a temporary folder)")
    args = parser.parse_args(argv)
    sentences, questions = benchmark_texts(args.benchmarks)
    asked = questions[:: max(1, len(questions) // args.queries)][: args.queries]
    encoder = HashingEncoder()
    print("| passages | store | fill s | dense p50 / p95 ms | BM25 p50 / p95 ms | hybrid p50 / p95 ms |")
    print("|---|---|---|---|---|---|")
    for size in (int(part) for part in args.sizes.split(",")):
        passages = corpus(sentences, size)
        vectors = encoder.encode_passages([searchable_text(passage) for passage in passages])
        with tempfile.TemporaryDirectory(prefix="qa-bench-stores-") as scratch:
            started = time.perf_counter()
            embedded = EmbeddedStore.in_memory(encoder.name, encoder.fingerprint, passages, vectors)
            filled: dict[str, tuple[PassageStore, float]] = {"embedded (FAISS + BM25)": (embedded, time.perf_counter() - started)}
            milvus = MilvusStore(args.store or f"milvus:{Path(scratch) / 'bench.db'}", f"bench_{size}")
            milvus.drop()
            milvus = MilvusStore(milvus.uri, f"bench_{size}")
            started = time.perf_counter()
            milvus.prepare(encoder.name, encoder.fingerprint, encoder.dimension)
            milvus.add(passages, vectors)
            filled["Milvus Lite" if milvus.lite else f"Milvus at {milvus.uri}"] = (milvus, time.perf_counter() - started)
            for name, (store, seconds) in filled.items():
                figures = latencies(store, encoder, asked)
                cells = " | ".join(f"{figures[mode][0]:.1f} / {figures[mode][1]:.1f}" for mode in ("dense", "bm25", "hybrid"))
                print(f"| {size:,} | {name} | {seconds:.0f} | {cells} |", flush=True)
            milvus.drop()
            milvus.close()


if __name__ == "__main__":
    main()
