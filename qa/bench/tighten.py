"""What tightening does on tuning data: the shipped reader on the gold `tune` split and every tuning document of
qa/gold/tuning (each over its own document), answers tightened and not, the same reader toggled in one run.

Tightening (qa.reading.hf.HFReader, the card's `tighten`) shortens an answer to the span within it that the second
read of its sentence ranks first; it never changes whether the reader abstains, so the table prints answerable EM and
summed F1 per set, and the unanswerable questions turned down once.
Usage: python -m qa.bench.tighten [--data-dir .qa]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.bench.tune_reader import newspaper_sets
from qa.config import resolve_data_dir
from qa.errors import QAError
from qa.evaluation import EvalRecord
from qa.reading.neural.model import NeuralReader
from qa.system import QASystem, Settings


def answered_scores(records: list[EvalRecord]) -> tuple[int, float, int, int]:
    """Return (exact answers, summed F1, answerable questions, unanswerable ones turned down) of the records."""
    answerable = [record for record in records if record.example.answers]
    turned_down = sum(1 for record in records if not record.example.answers and record.score.abstained)
    return int(sum(r.score.em for r in answerable)), sum(r.score.f1 for r in answerable), len(answerable), turned_down


def main(argv: list[str] | None = None) -> int:
    """Print the table; return 0, or 1 with a one-line error when the reader cannot be loaded."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="data directory for models and caches")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    reader = NeuralReader(data_dir)
    sets = newspaper_sets()
    base = QASystem(Settings(data_dir))
    totals: dict[bool, list[float]] = {False: [0, 0.0, 0, 0], True: [0, 0.0, 0, 0]}
    print("| set | answerable | EM, not tightened | EM, tightened | F1 summed, not / tightened | unanswerable turned down |")
    print("|---|---:|---:|---:|---|---|")
    try:
        for name, (examples, passages) in sets.items():
            system = base.over_passages(passages).using_reader(reader)
            outcome = {}
            for tighten in (False, True):
                reader.tighten = tighten
                outcome[tighten] = answered_scores(system.evaluate(examples))
                totals[tighten] = [total + value for total, value in zip(totals[tighten], outcome[tighten], strict=True)]
            (em, f1, asked, down), (em_t, f1_t, _, _) = outcome[False], outcome[True]
            unanswerable = len(examples) - asked
            print(f"| {name} | {asked} | {em} | {em_t} | {f1:.2f} / {f1_t:.2f} | {down}/{unanswerable} |")
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    whole, tightened = totals[False], totals[True]
    print(f"| all | {whole[2]:.0f} | {whole[0]:.0f} | {tightened[0]:.0f} | {whole[1]:.2f} / {tightened[1]:.2f} | {whole[3]:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
