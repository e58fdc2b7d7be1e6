"""Start the chat app: options shared by `python app.py` and `qa serve`, and the launch itself."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL
from qa.chat.documents import DEFAULT_MAX_UPLOAD_MB
from qa.chat.service import ChatService

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add --host, --port, --share, --model and --max-upload-mb to a parser."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--share", action="store_true", help="also open a public Gradio share link (off by default)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedding model: sentence-transformers name or local folder (default: the bundled offline model)")
    parser.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_UPLOAD_MB, help=f"largest document a user may upload (default {DEFAULT_MAX_UPLOAD_MB} MB)")


def serve(args: argparse.Namespace, data_dir: Path, block: bool = True):
    """Prepare the index, launch the app and return the running Blocks (blocks until closed unless block is False)."""
    from qa.chat.layout import CSS, build_app

    started = time.perf_counter()
    service = ChatService(data_dir, model=args.model, max_upload_mb=args.max_upload_mb)
    report = service.start()
    print(report.message, flush=True)
    app = build_app(service)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        prevent_thread_lock=True,
        css=CSS,
        max_file_size=service.max_upload_bytes,
        allowed_paths=[str(data_dir / "eval")],
        footer_links=["api"],
        quiet=True,
    )
    print(f"ready in {time.perf_counter() - started:.1f} s: {app.local_url}", flush=True)
    if block:
        app.block_thread()
    return app
