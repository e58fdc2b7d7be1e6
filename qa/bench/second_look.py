"""What the second look costs: answer latency of the default reader with and without it, idle and with every core busy.

Loads the index and default reader of a data dir once, then answers the first `--questions` seed gold questions
serially, each question once with the card's calibration and once with its second-look weight set to 0 (so the reader
skips the second read), the order of the two alternating from question to question so that drift in the machine's
other load hits both alike; first idle, then while `--burners` processes spin on the CPU. Prints p50 / p95 / max
milliseconds per (reading, load) over all rounds, and how many answers the two readings share.
Usage: python -m qa.bench.second_look [--data-dir .qa] [--rounds 3] [--questions 104] [--burners 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from qa.bench.load import busy_cores, percentile, seed_questions
from qa.errors import QAError
from qa.reading.hf import HFReader
from qa.system import QASystem, Settings


def main(argv: list[str] | None = None) -> int:
    """Measure and print the latency table; return 0, or 1 when the default reader has no second look to measure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".qa"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=104)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    system = QASystem(Settings(args.data_dir))
    reader = system.reader
    if not isinstance(reader, HFReader) or not reader.calibration.second_look:
        print("the default reader's card gives the second look no weight: nothing to compare", file=sys.stderr)
        return 1
    calibration = reader.calibration
    readings = {"with second look": calibration, "without": replace(calibration, second_look=0.0)}
    questions = seed_questions(args.questions)
    try:
        system.ask(questions[0])
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    samples: dict[tuple[str, str], list[float]] = {}
    answers: dict[str, list[str | None]] = {name: [] for name in readings}
    for load in ("idle", f"{args.burners} busy cores"):
        with busy_cores(args.burners if load != "idle" else 0):
            for _ in range(args.rounds):
                for number, question in enumerate(questions):
                    order = list(readings) if number % 2 == 0 else list(reversed(readings))
                    for name in order:
                        reader.calibration = readings[name]
                        started = time.perf_counter()
                        answer = system.ask(question)
                        samples.setdefault((name, load), []).append((time.perf_counter() - started) * 1000)
                        answers[name].append(answer.answer.text)
    reader.calibration = calibration
    same = sum(1 for first, second in zip(*answers.values(), strict=True) if first == second)
    print(f"{len(questions)} seed questions x {args.rounds} rounds; {os.cpu_count()} cores; load average at end {os.getloadavg()[0]:.1f}")
    print("| reading | load | answers | p50 ms | p95 ms | max ms |\n|---|---|---:|---:|---:|---:|")
    for (name, load), values in samples.items():
        print(f"| {name} | {load} | {len(values)} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | {max(values):.0f} |")
    kept = "the card's other weights and threshold kept"
    print(f"same answer text (or both abstained) with and without ({kept}): {same} of {len(answers['without'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
