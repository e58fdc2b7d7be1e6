"""Choose the neural reader's reading settings on tuning data only, and record them in its card.

    python -m qa.bench.tune_reader --squad .qa/reader-training/tune.json [--windows 1,2,3] [--write]

Tuning data: the gold set's `tune` split over seeds/ (newspaper questions, unanswerable ones included) and a
SQuAD-format tuning split held out of the reader's training (`qa train-reader --tune-share`), read open-domain over
its own contexts. Never a benchmark's dev set, never the gold set's `test` split or the held-out corpus.

For each window count the reader answers every tuning question at threshold 0; the count with the best mean F1 over
the answerable tuning questions wins; a Platt calibration is fitted on its answers (qa.reading.calibration); then the
abstention threshold with the best overall accuracy on the gold tuning split (calibrated confidences) is chosen, the
middle one when several tie.
`--write` records windows and calibration in the delta's card and prints the threshold to set as the default.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import replace
from pathlib import Path

from qa.config import SEEDS, resolve_data_dir
from qa.evaluation import GOLD_SET, EvalRecord, context_passages, load_eval_set, summarize, threshold_sweep
from qa.ingest.pipeline import ingest_paths
from qa.reading.calibration import Calibration, fit_calibration
from qa.reading.neural.model import DELTA_PATH, NeuralReader
from qa.records import Passage
from qa.system import QASystem, Settings

THRESHOLDS = tuple(round(0.02 * step, 2) for step in range(50))


def _system(passages: list[Passage], data_dir: Path, k: int) -> QASystem:
    """Return a system answering at threshold 0 from an in-memory index of the passages with the default encoder."""
    return QASystem(Settings(data_dir, k=k, threshold=0.0)).over_passages(passages)


def _calibrated(records: list[EvalRecord], calibration: Calibration) -> list[EvalRecord]:
    """Return the records with each answer's confidence mapped through the calibration."""
    return [replace(r, answer=replace(r.answer, score=calibration(r.answer.score))) for r in records]


def _correctness(record: EvalRecord) -> float:
    """Return how right an answer given at threshold 0 is: its F1, or 0 for any answer to an unanswerable question."""
    return record.score.f1 if record.example.answers else 0.0


def main(argv: list[str] | None = None) -> int:
    """Run the tuning, print a table of every setting tried and the choices; return 0."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.tune_reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD-format tuning split held out of training")
    parser.add_argument("--squad-limit", type=int, default=400, help="read only its first N questions (default 400)")
    parser.add_argument("--windows", default="1,2,3", help="window counts to try (default 1,2,3)")
    parser.add_argument("--delta", type=Path, default=DELTA_PATH, help="reader weights (default: the shipped ones)")
    parser.add_argument("--data-dir", type=Path, help="data directory for models and caches")
    parser.add_argument("-k", type=int, default=5, help="passages retrieved per question (default 5)")
    parser.add_argument("--write", action="store_true", help="record the chosen windows and calibration in the delta's card")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)

    gold = load_eval_set(GOLD_SET, "tune")
    squad = load_eval_set(args.squad)
    squad_examples = squad.examples[: args.squad_limit]
    sets = {
        "gold tune": (gold.examples, _system(list(ingest_paths([SEEDS]).passages), data_dir, args.k)),
        "squad tune": (squad_examples, _system(context_passages(squad.contexts or {}), data_dir, args.k)),
    }
    results: dict[int, dict[str, list[EvalRecord]]] = {}
    print("| windows | set | n | EM | F1 (answerable, threshold 0) | read p50 ms | read p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for windows in [int(w) for w in args.windows.split(",")]:
        reader = NeuralReader(data_dir, args.delta, max_windows=windows)
        reader.calibration = Calibration()
        results[windows] = {}
        for name, (examples, corpus) in sets.items():
            system = corpus.using_reader(reader)
            system.evaluate(examples[:2])  # warm-up
            records = system.evaluate(examples)
            results[windows][name] = records
            summary = summarize(records, retrieval=False)
            print(
                f"| {windows} | {name} | {summary['n']} | {summary['em']:.3f} | {summary['f1']:.3f} | "
                f"{summary['read_p50_ms']:.0f} | {summary['read_p95_ms']:.0f} |"
            )

    def mean_f1(windows: int) -> float:
        answerable = [r for records in results[windows].values() for r in records if r.example.answers]
        return statistics.fmean(r.score.f1 for r in answerable)

    best_windows = max(results, key=lambda w: (mean_f1(w), -w))
    chosen = [r for records in results[best_windows].values() for r in records if r.answer.text]
    calibration = fit_calibration([r.answer.score for r in chosen], [_correctness(r) for r in chosen])
    sweep = threshold_sweep(_calibrated(results[best_windows]["gold tune"], calibration), THRESHOLDS)
    top = max(outcome.overall for outcome in sweep)
    plateau = [outcome for outcome in sweep if outcome.overall >= top - 1e-9]
    best = plateau[len(plateau) // 2]  # the middle of the best thresholds: the choice least fitted to these questions
    print(f"\nwindows: {best_windows} (mean F1 over both sets {mean_f1(best_windows):.3f})")
    print(f"calibration: slope {calibration.slope:.4f}, intercept {calibration.intercept:.4f}")
    print(
        f"threshold: {best.threshold} (gold tune overall {best.overall:.3f}, EM {best.em:.3f}, F1 {best.f1:.3f}, "
        f"unanswerable abstained {best.no_answer_accuracy})"
    )
    if args.write:
        card_file = args.delta.with_suffix(".json")
        card = json.loads(card_file.read_text(encoding="utf-8"))
        card["reading"] = {
            "max_windows": best_windows,
            "calibration": {"slope": round(calibration.slope, 4), "intercept": round(calibration.intercept, 4)},
            "threshold": best.threshold,
            "chosen_on": f"gold set tune split + {args.squad.name} (first {len(squad_examples)})",
        }
        card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {card_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
