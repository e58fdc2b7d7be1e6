"""`qa ask "question"`: answer from the indexed documents with a verbatim, cited span."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape

from qa.answering import SPAN_THRESHOLD, TimedAnswer, not_found_message
from qa.commands.common import add_model_option, add_store_option, system
from qa.errors import QAError
from qa.reading.factory import DEFAULT_READER, READER_HELP
from qa.retrieval.retriever import RETRIEVERS
from qa.serialize import answer_to_dict
from qa.threads import apply_policy, batch_policy


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `ask` subcommand to the parser."""
    parser = subparsers.add_parser("ask", help="answer a question from the indexed documents, with citations")
    parser.add_argument("question")
    parser.add_argument("-k", type=int, default=5, help="passages to read (default 5)")
    parser.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
    parser.add_argument("--reader", default=DEFAULT_READER, help=READER_HELP)
    parser.add_argument(
        "--threshold",
        type=float,
        help=f"abstain below this confidence (default: the reader's own: the neural card's, {SPAN_THRESHOLD} for span)",
    )
    parser.add_argument("--json", action="store_true", help="print the answer as JSON (schema in docs/SCHEMAS.md)")
    parser.add_argument(
        "--after",
        action="append",
        default=[],
        metavar="EARLIER_QUESTION",
        help="an earlier question of the conversation (repeat, oldest first); follow-ups like 那明天呢？ are resolved against them",
    )
    add_model_option(parser)
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the answer with its citation (or 'not found' and the closest passages); return 0."""
    apply_policy(batch_policy())  # every core, or $QA_THREADS (1 is best on a busy machine: docs/RELIABILITY.md)
    qa = system(args)
    if not args.question.strip():
        raise QAError("the question is empty; type a question")
    _ = qa.encoder.fingerprint  # load the model first, so the timings below are those of answering
    timed = qa.ask(args.question, args.after)
    if args.json:
        print(json.dumps(answer_to_dict(timed.answer), ensure_ascii=False, indent=2))
    else:
        print_answer(timed, Console(highlight=False))
    return 0


def print_answer(timed: TimedAnswer, console: Console) -> None:
    """Print the answer in bold with its citation and evidence, alternatives, or the closest passages."""
    answer = timed.answer
    if answer.resolved_question:
        console.print(f"[dim]understood as: {escape(answer.resolved_question)}[/dim]")
    if answer.text is None:
        console.print(f"[bold]{escape(not_found_message(answer.question))}[/bold]")
        for result in timed.passages[:3]:
            passage = result.passage
            console.print(
                f"  [dim]{escape(passage.document)} lines {passage.line_start}-{passage.line_end}[/dim] {escape(passage.text[:80])}…"
            )
        return
    citation = answer.citations[0]
    console.print(f"[bold green]{escape(answer.text)}[/bold green]  [dim](confidence {answer.score:.2f})[/dim]")
    console.print(
        f"[dim]{escape(citation.document)} · {escape(citation.title or '(untitled)')} · "
        f"lines {citation.line_start}-{citation.line_end} · {escape(citation.passage_id)}[/dim]"
    )
    console.print(f"  “{escape(citation.evidence)}”")
    if answer.alternatives:
        console.print("[dim]alternatives: " + "; ".join(f"{escape(c.text)} ({c.score:.2f})" for c in answer.alternatives) + "[/dim]")
    console.print(f"[dim]retrieve {timed.retrieve_ms:.0f} ms · read {timed.read_ms:.0f} ms[/dim]")
