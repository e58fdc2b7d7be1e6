"""`python -m qa.bench.ray_throughput`: embedding throughput of one process and of a Ray actor pool, side by side.

The same passages (benchmark contexts from ../shared/benchmarks, never copied, else the seed) are
embedded by the model in this process, then on Ray (`--ray auto`: a local instance on this
machine's cores; or a cluster's address) into an empty cache; both rates are in passages/s, Ray's
counted from its first batch request (actors loading the model included), and the largest difference
between the two sets of vectors is printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np

from embeddings.encoder import DEFAULT_MODEL
from qa.config import SEEDS, resolve_data_dir
from qa.datasets import load_squad
from qa.evaluation import context_passages
from qa.ingest.pipeline import ingest_paths
from qa.records import Passage
from qa.retrieval.cache import EmbeddingCache, text_key
from qa.retrieval.encoders import load_encoder
from qa.retrieval.ray_embed import embed_on_ray
from qa.retrieval.store import searchable_text


def passages_to_embed(benchmarks: Path, count: int) -> list[Passage]:
    """Return `count` passages of CMRC 2018 dev contexts, or of the seed when the benchmarks are absent."""
    source = benchmarks / "cmrc2018_dev.json"
    passages = context_passages(load_squad(source).contexts) if source.exists() else list(ingest_paths([SEEDS]).passages)
    return passages[:count]


def main(argv: Sequence[str] | None = None) -> None:
    """Embed the passages both ways and print the two throughputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200, help="passages to embed (default 200)")
    parser.add_argument("--ray", default="auto", help="Ray address, or auto for a local instance (default)")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--data-dir", type=Path, help="where the model is kept (default: the usual data dir)")
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    passages = passages_to_embed(args.benchmarks, args.passages)
    texts = list(dict.fromkeys(searchable_text(passage) for passage in passages))
    encoder = load_encoder(args.model, data_dir)
    encoder.encode_passages(texts[:1])  # the weights load before timing
    started = time.perf_counter()
    single = encoder.encode_passages(texts)
    single_rate = len(texts) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory(prefix="qa-bench-ray-") as scratch:
        cache = EmbeddingCache(Path(scratch) / "embeddings.sqlite")
        run = embed_on_ray(passages, partial(load_encoder, args.model, data_dir), encoder.fingerprint, cache, args.ray)
        stored = cache.get_many(encoder.fingerprint, [text_key(text) for text in texts])
    clustered = np.vstack([stored[text_key(text)] for text in texts])
    print(f"| passages | one process | Ray ({run.actors} encoder actors) | largest vector difference |")
    print("|---|---|---|---|")
    print(f"| {len(texts)} | {single_rate:.1f} passages/s | {run.rate:.1f} passages/s | {float(np.abs(single - clustered).max()):.1e} |")


if __name__ == "__main__":
    main()
