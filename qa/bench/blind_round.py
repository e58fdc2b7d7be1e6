"""A blind round's table: the default reader (its card's settings and threshold) on each document of a folder of
NAME.txt + NAME_gold.jsonl pairs, each read over its own document, as `qa eval NAME_gold.jsonl --corpus NAME.txt` reads
it. Per document: exact answers and summed F1 over the answerable questions, unanswerable questions turned down, and
the same for the English questions (those with no Chinese character), then the totals: the figures a rule written
before the round was read is judged on (docs/MODEL_CARD.md). To weigh a candidate against the shipped reader, run it
from a checkout of each (`cd <worktree> && python -m qa.bench.blind_round ...`).
Usage: python -m qa.bench.blind_round [FOLDER (default qa/gold/blind)] [--data-dir .qa] [--threshold T]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.bench.tighten import answered_scores
from qa.config import resolve_data_dir
from qa.datasets import EvalExample
from qa.errors import QAError
from qa.evaluation import GOLD_SET, EvalRecord, load_eval_set
from qa.ingest.pipeline import ingest_paths
from qa.records import Passage
from qa.system import QASystem, Settings

BLIND_DIR = GOLD_SET.parent / "blind"
_HANZI = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class RoundScore:
    """One document's (or a round's) figures: answerable questions, exact answers and summed F1 among them,
    unanswerable questions and how many were turned down, and the same counts for the English questions."""

    answerable: int
    exact: int
    f1: float
    unanswerable: int
    turned_down: int
    english_answerable: int
    english_exact: int
    english_f1: float


def round_documents(folder: Path) -> dict[str, tuple[tuple[EvalExample, ...], list[Passage]]]:
    """Return the folder's documents by name, each its questions (NAME_gold.jsonl) and its own passages (NAME.txt);
    raises QAError when the folder holds no question file or a question file has no document beside it."""
    question_files = sorted(Path(folder).glob("*_gold.jsonl"))
    if not question_files:
        raise QAError(f"no NAME_gold.jsonl question files in {folder}; give a folder of NAME.txt + NAME_gold.jsonl pairs")
    documents = {}
    for questions in question_files:
        name = questions.name.removesuffix("_gold.jsonl")
        corpus = questions.with_name(f"{name}.txt")
        if not corpus.is_file():
            raise QAError(f"{questions} has no document {corpus.name} beside it; add it or move the questions away")
        documents[name] = (load_eval_set(questions).examples, list(ingest_paths([corpus]).passages))
    return documents


def round_score(records: Sequence[EvalRecord]) -> RoundScore:
    """Return the figures of one document's (or a round's) records (RoundScore); a question is English when it has no
    Chinese character."""
    exact, f1, answerable, turned_down = answered_scores(list(records))
    english = [record for record in records if not _HANZI.search(record.example.question)]
    english_exact, english_f1, english_answerable, _ = answered_scores(english)
    return RoundScore(answerable, exact, f1, len(records) - answerable, turned_down, english_answerable, english_exact, english_f1)


def table_row(name: str, score: RoundScore) -> str:
    """Return a markdown row: name, exact / answerable, summed F1, turned down / unanswerable, English likewise."""
    return (
        f"| {name} | {score.exact} / {score.answerable} | {score.f1:.2f} | {score.turned_down} / {score.unanswerable} | "
        f"{score.english_exact} / {score.english_answerable} | {score.english_f1:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the table; return 0, or 1 with a one-line error when the folder or the reader cannot be read."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=BLIND_DIR, help="NAME.txt + NAME_gold.jsonl pairs")
    parser.add_argument("--data-dir", type=Path, help="data directory for models and caches")
    parser.add_argument("--threshold", type=float, help="abstain below this confidence (default: the reader card's)")
    args = parser.parse_args(argv)
    try:
        documents = round_documents(args.folder)
        base = QASystem(Settings(resolve_data_dir(args.data_dir), threshold=args.threshold))
        print(f"threshold {base.settings.abstain_below}")
        print("| document | exact | F1 summed | unanswerable turned down | English exact | English F1 summed |")
        print("|---|---|---|---|---|---|")
        every: list[EvalRecord] = []
        for name, (examples, passages) in documents.items():
            records = base.over_passages(passages).evaluate(examples)
            every.extend(records)
            print(table_row(name, round_score(records)))
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(table_row("all", round_score(every)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
