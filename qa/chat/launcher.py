"""Start the chat app from the command line (`python app.py`, `qa serve`): a page within a second, the app behind it.

Only light modules are imported here: the starting page takes the port first, then the app (Gradio,
the index, the models) loads and replaces it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from qa.chat.documents import DEFAULT_MAX_UPLOAD_MB
from qa.errors import QAError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_MODEL = "default"


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add --host, --port, --share, --model, --embedding-backend, --store and --max-upload-mb to a parser."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--share", action="store_true", help="also open a public Gradio share link (off by default)")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="embedding model: sentence-transformers name or local folder (default: the bundled offline model)",
    )
    parser.add_argument(
        "--embedding-backend",
        metavar="BACKEND",
        help="what runs the embedding model: auto, torch, onnx, onnx-int8, openvino or openvino-f32 "
        "(default: $QA_EMBEDDING_BACKEND, else auto; docs/CLI.md)",
    )
    parser.add_argument(
        "--store",
        default="",
        metavar="URI",
        help="keep the index in Milvus: milvus:./qa.db (Milvus Lite, development only) or http://host:19530 (docs/SCALING.md)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_MB,
        help=f"largest document a user may upload (default {DEFAULT_MAX_UPLOAD_MB} MB)",
    )


def run(args: argparse.Namespace, data_dir: Path) -> None:
    """Serve the starting page at once, then the app in its place; block until interrupted. Prints when the page and the app are up."""
    from qa.chat.splash import StartingPage

    started = time.perf_counter()
    try:
        starting = StartingPage(args.host, args.port)
    except OSError as error:
        raise QAError(f"cannot serve on {args.host}:{args.port} ({str(error).splitlines()[0]}); pass another --port") from None
    print(f"starting page in {time.perf_counter() - started:.1f} s: http://{args.host}:{args.port}/", flush=True)
    try:
        from qa.chat.server import serve
    except BaseException:
        starting.close()
        raise
    serve(args, data_dir, started, starting)
