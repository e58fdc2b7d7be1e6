"""Start the product on the built-in corpus: index `seeds/` (incrementally), then answer questions.

Until the chat app exists this is the main job: it prepares the offline model, indexes the seed
corpus and opens a question prompt (or, without a terminal, answers the example questions), each
answer a verbatim span with its citation.
Usage: python app.py [--data-dir DIR] [--retriever dense|bm25|hybrid|rrf] [-k N]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from embeddings.encoder import DEFAULT_MODEL, SentenceTransformerEncoder
from qa.answering import answer_question
from qa.commands.ask import print_answer
from qa.reading.span_reader import SpanReader
from qa.config import resolve_data_dir
from qa.errors import QAError
from qa.retrieval.retriever import RETRIEVERS, Retriever
from qa.retrieval.store import load_index, update_index

SEEDS = Path(__file__).resolve().parent / "seeds"
EXAMPLE_QUERIES = ("獨山港區A3泊位的設計年綜合通過能力是多少？", "302省道与525国道平改立工程隧道部分什么时候正式通车？", "平湖市的常住人口是多少？")


def main(argv: list[str] | None = None) -> int:
    """Index the seed corpus and run searches; return the exit code."""
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where models and indexes are kept (default: $QA_DATA_DIR or ./.qa)")
    parser.add_argument("--retriever", default="hybrid", choices=RETRIEVERS)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    console = Console(highlight=False)
    try:
        encoder = SentenceTransformerEncoder(DEFAULT_MODEL, data_dir)
        update = update_index([SEEDS], data_dir, encoder)
        console.print(f"indexed {update.passages} passages ({update.embedded} embedded, {update.reused} from cache)")
        retriever = Retriever(load_index(data_dir), encoder)
        reader = SpanReader()
        queries = _typed_queries() if sys.stdin.isatty() else iter(EXAMPLE_QUERIES)
        history: list[str] = []
        for query in queries:
            console.print(f"\n[bold]> {query}[/bold]")
            print_answer(answer_question(query, retriever, reader, args.k, args.retriever, history=history), console)
            history.append(query)
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _typed_queries() -> Iterator[str]:
    print("\nAsk about the seed documents (empty line or Ctrl-D to quit).")
    while True:
        try:
            query = input("? ").strip()
        except EOFError:
            return
        if not query:
            return
        yield query


if __name__ == "__main__":
    sys.exit(main())
