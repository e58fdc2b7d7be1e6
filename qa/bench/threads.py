"""Answer latency under torch/FAISS thread counts, idle and with every core busy: the measurement behind qa/threads.py.

Loads the index and default reader of a data dir once, then answers the first `--questions` seed gold
questions serially, alternating the thread counts round by round (so drift in the machine's other load
hits every setting alike), first idle and then while `--burners` processes spin on the CPU. Prints
p50 / p95 / max milliseconds per (threads, load) over all rounds.
Usage: python -m qa.bench.threads [--data-dir .qa] [--threads 1 2] [--rounds 3] [--questions 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from qa.bench.load import busy_cores, percentile, seed_questions
from qa.system import QASystem, Settings
from qa.threads import ThreadPolicy, apply_policy


def main(argv: list[str] | None = None) -> int:
    """Measure and print the latency table; return 0."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".qa"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    system = QASystem(Settings(args.data_dir))
    questions = seed_questions(args.questions)
    system.ask(questions[0])
    samples: dict[tuple[int, str], list[float]] = {}
    for load in ("idle", f"{args.burners} busy cores"):
        with busy_cores(args.burners if load != "idle" else 0):
            for _ in range(args.rounds):
                for threads in args.threads:
                    apply_policy(ThreadPolicy(threads, "bench"))
                    for question in questions:
                        started = time.perf_counter()
                        system.ask(question)
                        samples.setdefault((threads, load), []).append((time.perf_counter() - started) * 1000)
    print(f"{len(questions)} seed questions x {args.rounds} rounds; {os.cpu_count()} cores; load average at end {os.getloadavg()[0]:.1f}")
    print("| threads | load | answers | p50 ms | p95 ms | max ms |\n|---:|---|---:|---:|---:|---:|")
    for (threads, load), values in samples.items():
        print(
            f"| {threads} | {load} | {len(values)} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | {max(values):.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
