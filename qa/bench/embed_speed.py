"""Embedding speed of the default model, every option side by side on the same passages in one run.

Options: the current path (fp32 torch through sentence-transformers, batches of 32 sorted by length), the same
without sorting, shorter maximum sequence lengths, one thread instead of all, and the default model's ONNX export
on ONNX Runtime (fp32, int8 dynamic quantization) and OpenVINO (bf16 where the CPU has it, f32), each where its
runtime is installed. Each option encodes the same passages once per round, in turn, for three rounds; the table
gives the median passages/s and the cosine of its vectors to the current path's. It then measures the CPU's
matrix-product throughput and states the physical limit: FLOPs per passage (from the model's layers, hidden size
and each passage's token count) against GFLOP/s. `--burn N` runs N processes spinning on the CPU meanwhile.

    python -m qa.bench.embed_speed [--dataset ../shared/benchmarks/cmrc2018_dev.json] [--passages 300] [--burn 2]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.default_model import ensure_default_model
from embeddings.encoder import DEFAULT_MODEL, SentenceTransformerEncoder
from embeddings.runtime_encoder import RuntimeEncoder
from embeddings.runtimes import BACKENDS
from qa.config import resolve_data_dir
from qa.datasets import load_squad
from qa.evaluation import context_passages

DEFAULT_DATASET = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "cmrc2018_dev.json"
BATCH_SIZE = 32

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Option:
    """One way to embed: a label, how many threads, and a factory returning its encode function (loaded, warmed)."""

    label: str
    threads: int
    load: Callable[[], Encode]


@dataclass(frozen=True)
class Measurement:
    """Passages/s of each round, cosine to the reference vectors (min, mean), and seconds to load."""

    label: str
    rates: tuple[float, ...]
    cosine_min: float
    cosine_mean: float
    load_seconds: float

    @property
    def median_rate(self) -> float:
        """Return the median passages/s over the rounds."""
        return statistics.median(self.rates)


@dataclass(frozen=True)
class ModelShape:
    """What the FLOPs of a BERT encoder depend on."""

    layers: int
    hidden: int
    intermediate: int


def passage_flops(tokens: int, shape: ModelShape) -> float:
    """Return the floating-point operations (multiply and add counted apart) of one passage of `tokens` tokens.

    Per layer: the Q, K, V and output projections (4 of tokens x hidden x hidden), the feed-forward pair
    (2 of tokens x hidden x intermediate), and attention scores and weighted values (2 of tokens x tokens x hidden);
    2 operations per multiply-add. Embeddings, layer norms, softmax and GELU are left out (under 1 %).
    """
    per_layer = 8 * tokens * shape.hidden**2 + 4 * tokens * shape.hidden * shape.intermediate + 4 * tokens**2 * shape.hidden
    return float(shape.layers * per_layer)


def matmul_gflops(threads: int, dtype: str = "float32", size: int = 1536, repeats: int = 5) -> float:
    """Return the best GFLOP/s of a square torch matrix product of `size` on `threads` threads, in `dtype`."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a = torch.randn(size, size).to(getattr(torch, dtype))
        b = torch.randn(size, size).to(getattr(torch, dtype))
        torch.matmul(a, b)
        best = min(_seconds(lambda: torch.matmul(a, b)) for _ in range(repeats))
    finally:
        torch.set_num_threads(previous)
    return 2 * size**3 / best / 1e9


def numpy_gflops(size: int = 1536, repeats: int = 5) -> float:
    """Return the best GFLOP/s of a float32 numpy matrix product of `size` (numpy's BLAS, its own threads)."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((size, size), dtype=np.float32)
    a @ b
    return 2 * size**3 / min(_seconds(lambda: a @ b) for _ in range(repeats)) / 1e9


def measure(options: Sequence[Option], texts: Sequence[str], rounds: int, log: Callable[[str], None]) -> list[Measurement]:
    """Return one Measurement per option; the first option's vectors are the reference for the cosines."""
    loaded: list[tuple[Option, Encode, float]] = []
    for option in options:
        started = time.perf_counter()
        loaded.append((option, option.load(), time.perf_counter() - started))
    rates: dict[str, list[float]] = {option.label: [] for option in options}
    vectors: dict[str, np.ndarray] = {}
    for round_number in range(1, rounds + 1):
        for option, encode, _ in loaded:
            with _torch_threads(option.threads):
                started = time.perf_counter()
                vectors[option.label] = encode(texts)
                rates[option.label].append(len(texts) / (time.perf_counter() - started))
            log(f"round {round_number}: {option.label}: {rates[option.label][-1]:.1f} passages/s (load {os.getloadavg()[0]:.2f})")
    reference = vectors[options[0].label]
    results = []
    for option, _, load_seconds in loaded:
        cosines = (vectors[option.label] * reference).sum(axis=1)
        results.append(Measurement(option.label, tuple(rates[option.label]), float(cosines.min()), float(cosines.mean()), load_seconds))
    return results


def torch_options(data_dir: Path, cores: int) -> list[Option]:
    """Return the current path first (the reference), then its variants: unsorted, shorter sequences, one thread."""
    shared: dict[str, object] = {}

    def model():
        if "model" not in shared:
            from sentence_transformers import SentenceTransformer

            shared["model"] = SentenceTransformer(str(ensure_default_model(data_dir)), device="cpu")
        return shared["model"]

    def current() -> Encode:
        encoder = SentenceTransformerEncoder(DEFAULT_MODEL, data_dir, batch_size=BATCH_SIZE)
        encoder.encode_passages(["预热"])
        return encoder.encode_passages

    def variant(max_length: int = 512, sort: bool = True) -> Callable[[], Encode]:
        def load() -> Encode:
            st = model()
            return lambda texts: _torch_encode(st, texts, max_length, sort)

        return load

    return [
        Option(f"torch fp32, sorted batches of {BATCH_SIZE}, 512 tokens, {cores} threads (current path)", cores, current),
        Option(f"torch fp32, unsorted batches of {BATCH_SIZE}", cores, variant(sort=False)),
        Option("torch fp32, max 256 tokens", cores, variant(max_length=256)),
        Option("torch fp32, max 128 tokens", cores, variant(max_length=128)),
        Option("torch fp32, 1 thread", 1, variant()),
    ]


def runtime_options(data_dir: Path, cores: int) -> list[Option]:
    """Return the ONNX Runtime and OpenVINO options whose runtime is installed, on all cores and on one."""

    def runtime(name: str, threads: int, batch_size: int) -> Option:
        def load() -> Encode:
            encoder = RuntimeEncoder(BACKENDS[name], data_dir, batch_size=batch_size, threads=threads)
            encoder.encode_passages(["预热"])
            return encoder.encode_passages

        return Option(f"{name} ({BACKENDS[name].runtime}), batches of {batch_size}, {threads} thread(s)", threads, load)

    wanted = [("onnx", cores, 16), ("onnx-int8", cores, 16), ("onnx-int8", 1, 16), ("openvino-f32", cores, 16)]
    wanted += [("openvino", cores, 16), ("openvino", cores, 32), ("openvino", 1, 16)]
    return [runtime(name, threads, size) for name, threads, size in wanted if BACKENDS[name].available()]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every option on the same passages and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.embed_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="SQuAD-format file whose contexts give the passages")
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burn", type=int, default=0, help="processes spinning on the CPU during the measurement")
    parser.add_argument("--only", default="", help="comma-separated: only options whose label holds one (and the current path)")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    cores = os.cpu_count() or 1
    texts = [passage.text for passage in context_passages(load_squad(args.dataset).contexts)[: args.passages]]
    options = torch_options(data_dir, cores) + runtime_options(data_dir, cores)
    wanted = [text for text in args.only.split(",") if text]
    options = [options[0]] + [option for option in options[1:] if not wanted or any(text in option.label for text in wanted)]
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    try:
        print(f"{len(texts)} passages of {args.dataset.name}, mean {statistics.mean(map(len, texts)):.0f} characters; {args.burn} burners")
        results = measure(options, texts, args.rounds, lambda line: print(line, flush=True))
        print(f"\nload average at the end: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")
    finally:
        for burner in burners:
            burner.terminate()
    print(results_table(results))
    print(limit_report(data_dir, texts, cores, results[0].median_rate))
    return 0


def results_table(results: Sequence[Measurement]) -> str:
    """Return the markdown table of the measurements, speed-up relative to the first."""
    base = results[0].median_rate
    lines = ["| option | passages/s (median) | rounds | × current | cosine to fp32 min / mean | load s |", "|---|---|---|---|---|---|"]
    for result in results:
        lines.append(
            f"| {result.label} | {result.median_rate:.1f} | {' / '.join(f'{rate:.1f}' for rate in result.rates)} | "
            f"{result.median_rate / base:.2f} | {result.cosine_min:.4f} / {result.cosine_mean:.4f} | {result.load_seconds:.1f} |"
        )
    return "\n".join(lines)


def limit_report(data_dir: Path, texts: Sequence[str], cores: int, current_rate: float) -> str:
    """Return the physical-limit lines: FLOPs per passage of these texts against the measured matmul GFLOP/s."""
    import json

    from transformers import AutoTokenizer

    model_dir = ensure_default_model(data_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    shape = ModelShape(config["num_hidden_layers"], config["hidden_size"], config["intermediate_size"])
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    lengths = [len(ids) for ids in tokenizer(["passage: " + text.strip() for text in texts], truncation=True, max_length=512)["input_ids"]]
    flops = statistics.mean(passage_flops(length, shape) for length in lengths)
    fp32, bf16, numpy_fp32, one = matmul_gflops(cores), matmul_gflops(cores, "bfloat16"), numpy_gflops(), matmul_gflops(1)
    return "\n".join(
        [
            f"\nmodel: {shape.layers} layers, hidden {shape.hidden}, feed-forward {shape.intermediate}; "
            f"passages of {statistics.mean(lengths):.0f} tokens on average (max {max(lengths)})",
            f"FLOPs per passage: {flops / 1e9:.2f} GFLOP (load average now {os.getloadavg()[0]:.2f})",
            f"matmul throughput (1536 x 1536, best of 5): torch fp32 {cores} threads {fp32:.0f} GFLOP/s, 1 thread {one:.0f}; "
            f"torch bf16 {cores} threads {bf16:.0f}; numpy fp32 {numpy_fp32:.0f}",
            f"physical limit at fp32 matmul speed: {fp32 * 1e9 / flops:.1f} passages/s "
            f"(current path {current_rate:.1f}: {current_rate * flops / 1e9:.0f} GFLOP/s effective); "
            f"at bf16 matmul speed: {bf16 * 1e9 / flops:.1f} passages/s",
        ]
    )


def _torch_encode(model, texts: Sequence[str], max_length: int, sort: bool) -> np.ndarray:
    previous = model.max_seq_length
    model.max_seq_length = max_length
    try:
        stripped = [text.strip() for text in texts]
        order = sorted(range(len(stripped)), key=lambda i: len(stripped[i])) if sort else list(range(len(stripped)))
        vectors = np.zeros((len(stripped), model.get_embedding_dimension()), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            # One call per batch: sentence-transformers sorts inside a call, so unsorted batches stay unsorted.
            vectors[batch] = model.encode(
                [stripped[i] for i in batch], prompt="passage: ", batch_size=BATCH_SIZE, normalize_embeddings=True
            )
        return vectors
    finally:
        model.max_seq_length = previous


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _burn() -> None:
    while True:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
