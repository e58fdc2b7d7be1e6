"""`qa search "query"`: show the best passages for a query with scores, titles and source lines."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape

from qa.commands.common import add_model_option, add_store_option, system
from qa.errors import QAError
from qa.records import RetrievedPassage
from qa.retrieval.retriever import RETRIEVERS
from qa.serialize import passage_to_dict


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `search` subcommand to the parser."""
    parser = subparsers.add_parser("search", help="show the passages that best match a query")
    parser.add_argument("query", help="the question or keywords")
    parser.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    parser.add_argument(
        "--retriever",
        choices=RETRIEVERS,
        default="hybrid",
        help="dense, bm25, hybrid (score fusion, default) or rrf (reciprocal-rank fusion)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_model_option(parser)
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the ranked passages for the query; return 0."""
    qa = system(args)
    if not args.query.strip():
        raise QAError("the query is empty; type a question or some keywords")
    results = qa.search(args.query)
    if args.json:
        print(
            json.dumps(
                {"query": args.query, "retriever": args.retriever, "results": [result_to_dict(r) for r in results]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print_results(results, Console(highlight=False))
    return 0


def result_to_dict(result: RetrievedPassage) -> dict:
    """Return the JSON object of one search result: rank, score and the passage without provenance."""
    passage = passage_to_dict(result.passage)
    del passage["provenance"]
    return {"rank": result.rank, "score": result.score, **passage}


def print_results(results: list[RetrievedPassage], console: Console) -> None:
    """Print each result: rank, score, title, document and line range, then the text."""
    if not results:
        console.print("no matching passages")
    for result in results:
        passage = result.passage
        console.print(
            f"[bold]{result.rank}.[/bold] [cyan]{result.score:.4f}[/cyan] [bold]{escape(passage.title or '(untitled)')}[/bold] "
            f"[dim]{escape(passage.document)} lines {passage.line_start}-{passage.line_end} · {escape(passage.id)}[/dim]"
        )
        console.print(escape(passage.text) + "\n")
