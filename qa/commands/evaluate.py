"""`qa eval [DATASET]`: measure answer accuracy, retrieval and latency on a question set; write a report."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qa.answering import SPAN_THRESHOLD
from qa.commands.common import add_model_option, add_store_option, data_dir, system
from qa.config import SEEDS
from qa.errors import QAError
from qa.eval_report import kind_table, metrics_table, write_report
from qa.evaluation import GOLD_SET, EvalSet, context_passages, load_eval_set, summarize
from qa.ingest.pipeline import ingest_paths
from qa.reading.factory import DEFAULT_READER, READER_HELP
from qa.records import Passage
from qa.retrieval.retriever import RETRIEVERS
from qa.threads import apply_policy, batch_policy


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand to the parser."""
    parser = subparsers.add_parser("eval", help="evaluate answer accuracy (EM/F1), retrieval and latency on a question set")
    parser.add_argument("dataset", nargs="?", type=Path, help="JSONL or SQuAD JSON (default: the built-in gold set over seeds/)")
    parser.add_argument(
        "--corpus", nargs="+", type=Path, help="documents to answer from (default: seeds/ for JSONL, the contexts for SQuAD)"
    )
    parser.add_argument("--out", type=Path, help="report folder (default: <data dir>/eval/<dataset name>)")
    parser.add_argument("--retriever", default="hybrid", help="one or more of dense,bm25,hybrid, comma-separated (default hybrid)")
    parser.add_argument("-k", type=int, default=5, help="passages read per question (default 5)")
    parser.add_argument(
        "--threshold",
        type=float,
        help=f"abstain below this confidence (default: the reader's own: the neural card's, {SPAN_THRESHOLD} for span)",
    )
    parser.add_argument("--gold-context", action="store_true", help="SQuAD only: read each question's own context, no retrieval")
    parser.add_argument("--limit", type=int, help="evaluate only the first N questions")
    parser.add_argument("--split", help="JSONL only: evaluate the rows of this split (the gold set: tune or test)")
    parser.add_argument("--reader", default=DEFAULT_READER, help=READER_HELP)
    add_model_option(parser)
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the evaluation, print the metrics table and write the report; return 0."""
    apply_policy(batch_policy())  # every core, or $QA_THREADS (1 is best on a busy machine: docs/RELIABILITY.md)
    modes = [mode.strip() for mode in args.retriever.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in RETRIEVERS]
    if unknown or not modes:
        raise QAError(f"unknown retriever {', '.join(unknown) or '(none)'}; choose from {', '.join(RETRIEVERS)}")
    qa = system(args)
    dataset = args.dataset or GOLD_SET
    eval_set = load_eval_set(dataset, args.split)
    examples = eval_set.examples[: args.limit] if args.limit else eval_set.examples
    if not examples:
        raise QAError(f"{dataset} holds no questions")
    console = Console(highlight=False, stderr=True)
    runs = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        if args.gold_context:
            if eval_set.contexts is None:
                raise QAError("--gold-context needs a SQuAD-format dataset (its questions carry their contexts)")
            by_context: dict[str, list] = {}
            for passage in context_passages(eval_set.contexts):
                by_context.setdefault(passage.document, []).append(passage)
            task = progress.add_task("reading gold contexts", total=len(examples))
            records = qa.evaluate(examples, gold_contexts=by_context, progress=lambda n: progress.advance(task, n))
            runs["gold-context"] = (records, summarize(records, retrieval=False))
        else:
            passages = _corpus(args, eval_set, progress)
            embedding = progress.add_task("embedding corpus", total=len(passages))
            corpus = qa.over_passages(passages, progress=lambda n: progress.advance(embedding, n))
            for mode in modes:
                task = progress.add_task(f"answering ({mode})", total=len(examples))
                records = corpus.evaluate(examples, mode, progress=partial(progress.advance, task))
                runs[mode] = (records, summarize(records))
    out_dir = args.out or data_dir(args) / "eval" / (Path(dataset).stem + (f"-{args.split}" if args.split else ""))
    write_report(out_dir, runs, Path(dataset).name)
    print(metrics_table({name: summary for name, (_, summary) in runs.items()}))
    for name, (records, _) in runs.items():
        print(f"\nby question kind ({name}):\n{kind_table(records)}")
    print(f"\nreport: {out_dir / 'report.md'}")
    return 0


def _corpus(args: argparse.Namespace, eval_set: EvalSet, progress: Progress) -> list[Passage]:
    """Return the passages the evaluation answers from: --corpus, else the contexts of a SQuAD set, else the seed."""
    if args.corpus or eval_set.contexts is None:
        ingested = ingest_paths(args.corpus or [SEEDS])
        for error in ingested.errors:
            progress.console.print(f"skipped {error}")
        return list(ingested.passages)
    return context_passages(eval_set.contexts)
