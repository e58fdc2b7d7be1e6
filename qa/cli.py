"""The `qa` command line: one subcommand per job; user errors end in one line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from qa.commands import ask, evaluate, index, passages, search, serve, train_reader
from qa.errors import QAError

COMMANDS = (passages, index, search, ask, evaluate, serve, train_reader)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `qa` with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="qa", description="Answer questions from your documents with cited, verbatim spans.")
    parser.add_argument(
        "--data-dir",
        help="where models, indexes and feedback are kept (default: $QA_DATA_DIR or ./.qa)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log what the library does (-v: steps, -vv: every question)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `qa` with the given arguments and return the process exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.run(args)
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def configure_logging(verbosity: int) -> None:
    """Send the library's log records (the `qa` loggers) to stderr: warnings only, -v steps, -vv details."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("qa")
    root.handlers = [handler]
    root.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
