"""`qa serve`: start the chat app (the same as `python app.py`)."""

from __future__ import annotations

import argparse

from qa.chat.launcher import add_serve_options
from qa.chat.launcher import run as run_app
from qa.commands.common import data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `serve` subcommand to the parser."""
    parser = subparsers.add_parser("serve", help="start the chat app in the browser (index seeds/ on first start)")
    add_serve_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve the chat app until interrupted; return 0."""
    run_app(args, data_dir(args))
    return 0
