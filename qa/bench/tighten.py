"""What tightening does on tuning data: the shipped reader on the gold `tune` split and every tuning document of
qa/gold/tuning (each over its own document), answers tightened and not, the same reader toggled in one run.

Tightening (qa.reading.hf.HFReader, the card's `tighten`) shortens an answer to the span within it that the second
read of its sentence ranks first; it never changes whether the reader abstains, so the table prints answerable EM and
summed F1 per set, and the unanswerable questions turned down once. `--documents` reads only the named tuning
documents instead; `--kinds` adds a third column, tightening held to questions qa.reading.question.analyze types as
one of those answer types (each question's tightened answer where its type is one of them, else its whole one);
`--squad FILE` adds a SQuAD-format tuning split, its first `--squad-limit` questions read over its own contexts.
Usage: python -m qa.bench.tighten [--data-dir .qa] [--documents NAME ...] [--kinds number,date,person]
    [--squad .qa/reader-stage13a/tune.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.bench.tune_reader import TUNING_DIR, newspaper_sets
from qa.config import resolve_data_dir
from qa.datasets import EvalExample
from qa.errors import QAError
from qa.evaluation import EvalRecord, context_passages, load_eval_set
from qa.folding import TextNormalizer
from qa.ingest.pipeline import ingest_paths
from qa.reading.neural.model import NeuralReader
from qa.reading.question import AnswerType, analyze
from qa.records import Passage
from qa.system import QASystem, Settings


def answered_scores(records: list[EvalRecord]) -> tuple[int, float, int, int]:
    """Return (exact answers, summed F1, answerable questions, unanswerable ones turned down) of the records."""
    answerable = [record for record in records if record.example.answers]
    turned_down = sum(1 for record in records if not record.example.answers and record.score.abstained)
    return int(sum(r.score.em for r in answerable)), sum(r.score.f1 for r in answerable), len(answerable), turned_down


def parse_kinds(text: str) -> frozenset[AnswerType]:
    """Return the answer types named in a comma-separated list; raises QAError naming an unknown one."""
    kinds = set()
    for name in filter(None, (part.strip() for part in text.split(","))):
        try:
            kinds.add(AnswerType(name))
        except ValueError:
            raise QAError(f"unknown answer type {name!r}; use some of {', '.join(kind.value for kind in AnswerType)}") from None
    if not kinds:
        raise QAError("--kinds names no answer type; give some of " + ", ".join(kind.value for kind in AnswerType))
    return frozenset(kinds)


def document_sets(names: list[str]) -> dict[str, tuple[tuple[EvalExample, ...], list[Passage]]]:
    """Return the named tuning documents of qa/gold/tuning by name, each its questions and its own passages; raises
    QAError for a name with no questions or no document there."""
    sets = {}
    for name in names:
        questions, corpus = TUNING_DIR / f"{name}_gold.jsonl", TUNING_DIR / f"{name}.txt"
        if not questions.is_file() or not corpus.is_file():
            raise QAError(f"no tuning document {name!r}: {questions} and {corpus} must both exist")
        sets[name] = (load_eval_set(questions).examples, list(ingest_paths([corpus]).passages))
    return sets


def main(argv: list[str] | None = None) -> int:
    """Print the table; return 0, or 1 with a one-line error when a document or the reader cannot be loaded."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="data directory for models and caches")
    parser.add_argument("--documents", nargs="+", metavar="NAME", help="tuning documents of qa/gold/tuning to read instead")
    parser.add_argument("--kinds", help="also tighten only for these answer types (comma-separated, e.g. number,date,person)")
    parser.add_argument("--squad", type=Path, help="a SQuAD-format tuning split to read as one more set")
    parser.add_argument("--squad-limit", type=int, default=400, help="read only its first N questions (default 400)")
    args = parser.parse_args(argv)
    try:
        kinds = parse_kinds(args.kinds) if args.kinds else None
        columns = ["not tightened", "tightened", *([f"tightened for {', '.join(sorted(kinds))}"] if kinds else [])]
        sets = document_sets(args.documents) if args.documents else newspaper_sets()
        if args.squad:
            squad = load_eval_set(args.squad)
            sets[f"squad ({args.squad.name})"] = (squad.examples[: args.squad_limit], context_passages(squad.contexts or {}))
        data_dir = resolve_data_dir(args.data_dir)
        reader = NeuralReader(data_dir)
        base = QASystem(Settings(data_dir))
        print("| set | answerable | " + " | ".join(f"EM / F1 summed, {name}" for name in columns) + " | unanswerable turned down |")
        print("|---|---:|" + "---|" * len(columns) + "---|")
        totals = [[0, 0.0] for _ in columns]
        asked_all = down_all = 0
        normalize = TextNormalizer()
        for set_name, (examples, passages) in sets.items():
            system = base.over_passages(passages).using_reader(reader)
            outcomes = []
            for tighten in (False, True):
                reader.tighten = tighten
                outcomes.append(system.evaluate(examples))
            if kinds:
                held = [analyze(example.question, normalize).answer_type in kinds for example in examples]
                outcomes.append([tight if hold else whole for whole, tight, hold in zip(*outcomes, held, strict=True)])
            cells = []
            for total, records in zip(totals, outcomes, strict=True):
                em, f1, asked, down = answered_scores(records)
                total[0] += em
                total[1] += f1
                cells.append(f"{em} / {f1:.2f}")
            asked_all += asked
            down_all += down
            print(f"| {set_name} | {asked} | " + " | ".join(cells) + f" | {down}/{len(examples) - asked} |")
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"| all | {asked_all} | " + " | ".join(f"{em:.0f} / {f1:.2f}" for em, f1 in totals) + f" | {down_all} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
