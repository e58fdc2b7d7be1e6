"""`python -m qa.bench.scale`: build indexes of 10k, 100k (and 1M) passages and print what they cost.

Passages are benchmark contexts (CMRC 2018 and DRCD, read from ../shared/benchmarks, never copied)
cut into sentences and recombined at random into passages of 120-350 characters with unique ids, in
documents of 50 passages; BM25 uses the real jieba tokenizer; vectors come from a stand-in encoder
fitted to real e5 vectors (qa/bench/standin.py), so embedding is not the cost and recall figures are
meaningful. Each measurement runs in a fresh process: the build (peak memory), then per run a load
(time, memory), single-query latencies (dense, BM25, hybrid through the Retriever) with recall@10 of
the dense index against exact search, and one document of 20 passages added and removed with
`update_index`. Figures are medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from qa.bench.standin import StandInEncoder, fit
from qa.records import Passage, ProvenanceRun
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.dense import HNSW_SEARCH_DEPTH, DenseIndex
from qa.retrieval.hits import Hit

BENCHMARKS = ("cmrc2018_dev.json", "cmrc2018_trial.json", "drcd_dev.json", "drcd_test.json")
PER_DOCUMENT = 50
QUERIES = 200
_REAL_CHUNK = 1000
_TUNING_OFFSET = 7
SEARCH_DEPTHS = (256, 512, 1024, 2048)
_SENTENCE = re.compile(r"[^。！？]*[。！？]")


def benchmark_texts(folder: Path) -> tuple[list[str], list[str]]:
    """Return the sentences of every benchmark context and every question."""
    sentences: list[str] = []
    questions: list[str] = []
    for name in BENCHMARKS:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                sentences.extend(s.strip() for s in _SENTENCE.findall(paragraph["context"]) if len(s.strip()) >= 8)
                questions.extend(qa["question"] for qa in paragraph["qas"])
    return sentences, questions


def passage_texts(sentences: list[str], count: int, seed: int) -> Iterator[str]:
    """Yield `count` passages of 120-350 characters, each a random run of benchmark sentences."""
    rng = np.random.default_rng(seed)
    picks = iter(rng.integers(0, len(sentences), size=count * 8))
    for _ in range(count):
        text = ""
        while len(text) < 120:
            sentence = sentences[next(picks, 0)]
            if len(text) + len(sentence) > 350:
                sentence = sentence[: 350 - len(text)]
            text += sentence
        yield text


def corpus(sentences: list[str], count: int, seed: int = 1) -> list[Passage]:
    """Return `count` passages in documents of PER_DOCUMENT, with unique ids."""
    passages = []
    for number, text in enumerate(passage_texts(sentences, count, seed)):
        document = f"scale/{number // PER_DOCUMENT:07d}.txt"
        run = (ProvenanceRun(0, len(text), 1, 0),)
        passages.append(Passage(f"{document}#1.{number % PER_DOCUMENT + 1}", document, 1, None, (), text, run))
    return passages


class NoCache(EmbeddingCache):
    """An embedding cache that keeps nothing (the stand-in encodes faster than a cache lookup)."""

    def get_many(self, model: str, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return nothing: every vector is computed."""
        return {}

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep nothing."""


def standin_encoder(work: Path, benchmarks: Path, e5_data_dir: Path, samples: int) -> StandInEncoder:
    """Return the stand-in encoder, fitted on `samples` real e5 vectors (kept in work/e5-vectors.npz and work/standin.npz)."""
    saved = work / "standin.npz"
    if saved.exists():
        return StandInEncoder.load(saved)
    sentences, questions = benchmark_texts(benchmarks)
    texts = list(passage_texts(sentences, samples, seed=99))
    asked = questions[:: max(1, len(questions) // (samples // 4))][: samples // 4]
    targets = _e5_vectors(work / "e5-vectors.npz", texts, asked, e5_data_dir)
    encoder, figures = fit(texts + asked, targets)
    encoder.save(saved)
    (work / "standin.json").write_text(json.dumps({"samples": len(targets), **figures}), encoding="utf-8")
    print(f"stand-in fitted on {len(targets)} e5 vectors: {figures}", file=sys.stderr)
    return encoder


def _e5_vectors(path: Path, passages: list[str], questions: list[str], e5_data_dir: Path) -> np.ndarray:
    """Return real e5 vectors of the passages (`passage: `) then the questions (`query: `), computed once into `path`."""
    if path.exists():
        return np.load(path)["vectors"]
    from embeddings.encoder import DEFAULT_MODEL
    from qa.retrieval.encoders import load_encoder

    e5 = load_encoder(DEFAULT_MODEL, e5_data_dir)
    started = time.perf_counter()
    vectors = np.vstack([e5.encode_passages(passages), e5.encode_queries(questions)])
    print(f"embedded {len(vectors)} texts with e5 in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    np.savez(path, vectors=vectors)
    return vectors


def _rss_mb(field: str = "VmRSS") -> float:
    """Return a memory figure of this process from /proc/self/status in MB: VmRSS (all resident pages), RssAnon
    (the process's own memory) or RssFile (pages of memory-mapped files, which the OS may drop and re-read)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def step_build(args: argparse.Namespace) -> dict[str, float]:
    """Build the index of `args.size` passages into work/<size>/data; return time and peak memory."""
    from qa.retrieval.store import build_index, write_index

    encoder = standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    sentences, _ = benchmark_texts(args.benchmarks)
    started = time.perf_counter()
    passages = corpus(sentences, args.size)
    index, _ = build_index(passages, encoder, NoCache(args.work / "unused.sqlite"))
    built = time.perf_counter()
    write_index(args.work / str(args.size) / "data", index)
    return {
        "build_s": built - started,
        "write_s": time.perf_counter() - built,
        "peak_mb": _peak_mb(),
        "workers_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def step_run(args: argparse.Namespace) -> dict[str, float]:
    """Load the index, time single queries, measure recall@10 against exact search, add and remove one document."""
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index, update_index

    encoder = standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    sentences, questions = benchmark_texts(args.benchmarks)
    queries = questions[args.run :: max(1, len(questions) // QUERIES)][:QUERIES]
    vectors = encoder.encode_queries(queries)
    data = args.work / str(args.size) / "data"
    before = _rss_mb()
    started = time.perf_counter()
    index = load_index(data)
    figures = {"load_s": time.perf_counter() - started, "rss_after_load_mb": _rss_mb(), "rss_before_load_mb": before}
    retriever = Retriever(index, encoder)
    for name, search in (
        ("dense", lambda i: index.dense.search(vectors[i : i + 1], 10)),
        ("bm25", lambda i: index.bm25.search(queries[i], 10)),
        ("hybrid", lambda i: retriever.search(queries[i], k=10, mode="hybrid")),
    ):
        times = _latencies_ms(search, len(queries))
        figures[f"{name}_p50_ms"] = float(np.percentile(times, 50))
        figures[f"{name}_p95_ms"] = float(np.percentile(times, 95))
    figures["rss_after_queries_mb"] = _rss_mb()
    figures["rss_anon_after_queries_mb"] = _rss_mb("RssAnon")
    figures["recall_at_10"] = _recall(index.dense, vectors)
    folder = args.work / str(args.size) / "new"
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / f"added-{args.run}.txt"
    document.write_text("\n\n".join(passage_texts(sentences, 20, seed=1000 + args.run)), encoding="utf-8")
    started = time.perf_counter()
    added = update_index([document], data, encoder)
    figures["add_s"] = time.perf_counter() - started
    document.unlink()
    started = time.perf_counter()
    removed = update_index([folder], data, encoder)
    figures["remove_s"] = time.perf_counter() - started
    figures["added_passages"] = added.added
    figures["removed_passages"] = removed.removed
    return figures


def _latencies_ms(search: Callable[[int], object], count: int) -> list[float]:
    """Return the milliseconds each of `count` single searches (`search(i)` for i = 0, 1, ...) took, one after another."""
    times = []
    for i in range(count):
        begun = time.perf_counter()
        search(i)
        times.append((time.perf_counter() - begun) * 1000)
    return times


def _recall(dense: DenseIndex, vectors: np.ndarray, search_depth: int = HNSW_SEARCH_DEPTH) -> float:
    """Return the mean share of the exact top 10 (brute force over every live vector) that the dense index finds."""
    segments = dense.segments
    all_vectors = np.vstack([np.asarray(s.vectors)[a if a is not None else slice(None)] for s, a in segments.live()])
    all_rows = np.concatenate([np.asarray(s.rows)[a if a is not None else slice(None)] for s, a in segments.live()])
    found = dense.search(vectors, 10, search_depth)
    shares = []
    for query, hits in zip(vectors, found, strict=True):
        scores = all_vectors @ query
        best = np.argpartition(-scores, 10)[:10]
        exact = set(segments.resolve(all_rows[best].tolist()))
        shares.append(len(exact & {hit.passage_id for hit in hits}) / 10)
    return float(np.mean(shares))


def step_tune(args: argparse.Namespace) -> dict[str, float]:
    """Print recall@10 against exact search and p50 latency of the built index for several HNSW search depths; return them."""
    from qa.retrieval.store import load_index

    encoder = standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    _, questions = benchmark_texts(args.benchmarks)
    vectors = encoder.encode_queries(tuning_questions(questions))
    return _depth_sweep(load_index(args.work / str(args.size) / "data").dense, vectors, "stand-in")


def tuning_questions(questions: list[str]) -> list[str]:
    """Return the questions settings are chosen on: a slice apart from those the runs report (offsets 0, 1, 2...) and
    from those the stand-in was fitted on."""
    return questions[_TUNING_OFFSET :: max(1, len(questions) // QUERIES)][:QUERIES]


def _depth_sweep(dense: DenseIndex, queries: np.ndarray, label: str) -> dict[str, float]:
    """Return (and print) recall@10 against exact search and single-query p50 latency by HNSW search depth."""
    figures = {}
    for depth in SEARCH_DEPTHS:

        def search(i: int, depth: int = depth) -> list[list[Hit]]:
            return dense.search(queries[i : i + 1], 10, depth)

        times = _latencies_ms(search, len(queries))
        figures[f"{label}_recall_depth_{depth}"] = _recall(dense, queries, depth)
        figures[f"{label}_p50_ms_depth_{depth}"] = float(np.percentile(times, 50))
        print(
            f"{label}: search depth {depth}: recall@10 {figures[f'{label}_recall_depth_{depth}']:.3f}, "
            f"p50 {figures[f'{label}_p50_ms_depth_{depth}']:.2f} ms",
            file=sys.stderr,
        )
    return figures


def step_dense(args: argparse.Namespace) -> dict[str, float]:
    """Measure the dense part alone at `args.size` passages: build time and peak memory, single-query latency, recall@10."""
    encoder = standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    sentences, questions = benchmark_texts(args.benchmarks)
    started = time.perf_counter()
    texts = list(passage_texts(sentences, args.size, seed=1))
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        vectors = np.vstack(pool.map(encoder.encode_queries, [texts[i : i + 10_000] for i in range(0, len(texts), 10_000)]))
    del texts
    encoded = time.perf_counter()
    dense = DenseIndex.build([str(row) for row in range(args.size)], vectors)
    figures = {"encode_s": encoded - started, "index_s": time.perf_counter() - encoded, "peak_mb": _peak_mb()}
    queries = encoder.encode_queries(questions[:: max(1, len(questions) // QUERIES)][:QUERIES])
    times = _latencies_ms(lambda i: dense.search(queries[i : i + 1], 10), len(queries))
    figures["dense_p50_ms"] = float(np.percentile(times, 50))
    figures["dense_p95_ms"] = float(np.percentile(times, 95))
    figures["recall_at_10"] = _recall(dense, queries)
    return figures


def step_real(args: argparse.Namespace) -> dict[str, float]:
    """Return recall@10 against exact search and latency of the HNSW graph (forced at this size) by search depth, on
    real e5 vectors and on the stand-in's vectors of the same `args.size` passages and questions.

    The real vectors are embedded once, in chunks kept under work/real-<size>/ (an interrupted run resumes).
    """
    from embeddings.encoder import DEFAULT_MODEL
    from qa.retrieval.encoders import load_encoder

    sentences, questions = benchmark_texts(args.benchmarks)
    texts = list(passage_texts(sentences, args.size, seed=1))
    asked = tuning_questions(questions)
    e5 = load_encoder(DEFAULT_MODEL, args.e5_data_dir)
    folder = args.work / f"real-{args.size}"
    folder.mkdir(parents=True, exist_ok=True)
    chunks = []
    for start in range(0, len(texts), _REAL_CHUNK):
        path = folder / f"{start:08d}.npy"
        if not path.exists():
            begun = time.perf_counter()
            unfinished = folder / f"{start:08d}.partial.npy"
            np.save(unfinished, e5.encode_passages(texts[start : start + _REAL_CHUNK]))
            os.replace(unfinished, path)
            print(f"embedded passages {start}-{start + _REAL_CHUNK} in {time.perf_counter() - begun:.0f} s", file=sys.stderr)
        chunks.append(np.load(path))
    standin = standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    figures: dict[str, float] = {}
    for label, vectors, queries in (
        ("real", np.vstack(chunks), e5.encode_queries(asked)),
        ("stand-in", standin.encode_passages(texts), standin.encode_queries(asked)),
    ):
        ids = [str(row) for row in range(args.size)]
        figures |= _depth_sweep(DenseIndex.build(ids, vectors, ann_min_rows=0), queries, label)
    return figures


def _child(step: str, args: argparse.Namespace, extra: list[str]) -> dict[str, float]:
    command = [sys.executable, "-m", "qa.bench.scale", "--step", step, "--work", str(args.work), "--benchmarks", str(args.benchmarks)]
    command += ["--e5-data-dir", str(args.e5_data_dir), "--samples", str(args.samples), *extra]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with --step, one of its measurements in this process) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-scale"))
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--e5-data-dir", type=Path, default=Path(".qa"), help="data dir holding (or to convert) the real e5 model")
    parser.add_argument("--samples", type=int, default=2000, help="real e5 vectors the stand-in encoder is fitted on")
    parser.add_argument("--reuse", action="store_true", help="measure the indexes an earlier run built (its build figures)")
    parser.add_argument("--step", choices=["build", "run", "tune", "dense", "real"], help="one measurement in this process")
    parser.add_argument("--size", type=int, help="the corpus size a --step works on")
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.step is not None:
        steps = {"build": step_build, "run": step_run, "tune": step_tune, "dense": step_dense, "real": step_real}
        result = steps[args.step](args)
        print(json.dumps(result))
        return 0
    standin_encoder(args.work, args.benchmarks, args.e5_data_dir, args.samples)
    rows = {}
    for size in args.sizes:
        saved = args.work / str(size) / "build.json"
        if args.reuse and saved.exists():
            build = json.loads(saved.read_text(encoding="utf-8"))
        else:
            build = _child("build", args, ["--size", str(size)])
            saved.write_text(json.dumps(build), encoding="utf-8")
        runs = [_child("run", args, ["--size", str(size), "--run", str(run)]) for run in range(args.runs)]
        rows[size] = {**build, **{key: float(np.median([run[key] for run in runs])) for key in runs[0]}}
        print(json.dumps({"size": size, **rows[size]}), file=sys.stderr)
    print(table(rows))
    return 0


def table(rows: dict[int, dict[str, float]]) -> str:
    """Return the markdown table of the figures by corpus size."""
    lines = [
        "| | " + " | ".join(f"{size:,} passages" for size in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    cells = [
        ("add one document of 20 passages (`update_index`)", lambda r: f"{r['add_s']:.2f} s (remove {r['remove_s']:.2f} s)"),
        ("build: time / peak memory", lambda r: f"{r['build_s'] + r['write_s']:.0f} s / {r['peak_mb'] / 1024:.2f} GB"),
        (
            "memory after load (RSS; after 600 queries: RSS, of which not file-backed)",
            lambda r: f"{r['rss_after_load_mb']:.0f} MB ({r['rss_after_queries_mb']:.0f} MB, {r['rss_anon_after_queries_mb']:.0f} MB)",
        ),
        ("load time", lambda r: f"{r['load_s']:.2f} s"),
        ("dense query p50 / p95", lambda r: f"{r['dense_p50_ms']:.1f} / {r['dense_p95_ms']:.1f} ms"),
        ("BM25 query p50 / p95", lambda r: f"{r['bm25_p50_ms']:.1f} / {r['bm25_p95_ms']:.1f} ms"),
        ("hybrid query p50 / p95 (Retriever, k=10)", lambda r: f"{r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} ms"),
        ("dense recall@10 vs exact", lambda r: f"{r['recall_at_10']:.3f}"),
    ]
    for label, cell in cells:
        lines.append(f"| {label} | " + " | ".join(cell(row) for row in rows.values()) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
