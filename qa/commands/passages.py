"""`qa passages PATH...`: show how documents were split into articles and passages."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from qa.ingest.pipeline import IngestResult, ingest_paths
from qa.serialize import passage_to_dict


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `passages` subcommand to the parser."""
    parser = subparsers.add_parser("passages", help="show how files are split into passages")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders (.txt .md .html .pdf .docx)")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object per passage")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the passages of the given paths; return 1 when nothing could be ingested, else 0."""
    result = ingest_paths(args.paths)
    if args.jsonl:
        for passage in result.passages:
            print(json.dumps(passage_to_dict(passage), ensure_ascii=False))
    else:
        print_passages(result, Console(highlight=False))
    report_failures(result)
    return 0 if result.passages else 1


def report_failures(result: IngestResult) -> None:
    """Print one line per file that could not be ingested, then a one-line summary, to stderr."""
    for error in result.errors:
        print(f"skipped {error}", file=sys.stderr)
    articles = {(passage.document, passage.article) for passage in result.passages}
    print(
        f"{len(result.passages)} passages in {len(articles)} articles from {len(result.documents)} documents"
        + (f"; {len(result.errors)} skipped" if result.errors else ""),
        file=sys.stderr,
    )


def print_passages(result: IngestResult, console: Console) -> None:
    """Print each article's title and byline, then its passages with their source line ranges."""
    current = None
    for passage in result.passages:
        if (passage.document, passage.article) != current:
            current = (passage.document, passage.article)
            reporters = f"  [dim]({escape(', '.join(passage.reporters))})[/dim]" if passage.reporters else ""
            console.print(
                f"\n[bold]{escape(passage.document)} · article {passage.article}: {escape(passage.title or '(untitled)')}[/bold]{reporters}"
            )
        console.print(f"[cyan]{escape(passage.id)}[/cyan] [dim]lines {passage.line_start}-{passage.line_end}[/dim]")
        console.print(escape(passage.text))
