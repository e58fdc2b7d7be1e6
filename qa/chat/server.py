"""Start the chat app: options shared by `python app.py` and `qa serve`, and the launch itself."""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL
from qa.chat.documents import DEFAULT_MAX_UPLOAD_MB
from qa.chat.service import ChatService
from qa.errors import QAError
from qa.threads import apply_policy, serving_policy

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add --host, --port, --share, --model and --max-upload-mb to a parser."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--share", action="store_true", help="also open a public Gradio share link (off by default)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedding model: sentence-transformers name or local folder (default: the bundled offline model)")
    parser.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_UPLOAD_MB, help=f"largest document a user may upload (default {DEFAULT_MAX_UPLOAD_MB} MB)")


def launch(service: ChatService, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, share: bool = False):
    """Launch the app of a started service in the background and return the running Blocks (`.close()` stops it)."""
    from qa.chat.layout import CSS, build_app

    app = build_app(service)
    app.queue(default_concurrency_limit=4)
    try:
        app.launch(
            server_name=host,
            server_port=port,
            share=share,
            prevent_thread_lock=True,
            css=CSS,
            max_file_size=service.max_upload_bytes,
            allowed_paths=[str(service.data_dir / "eval")],
            footer_links=["api"],
            quiet=True,
        )
    except OSError as error:
        raise QAError(f"cannot serve on {host}:{port} ({str(error).splitlines()[0]}); pass another --port") from None
    return app


def serve(args: argparse.Namespace, data_dir: Path) -> None:
    """Prepare the index and warm up while the web app loads, then block until interrupted; prints the time to ready."""
    started = time.perf_counter()
    apply_policy(serving_policy())  # one torch/FAISS thread per request, $QA_THREADS overrides (qa/threads.py, docs/RELIABILITY.md)
    service = ChatService(data_dir, model=args.model, max_upload_mb=args.max_upload_mb)
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(service.start)
        app = launch(service, args.host, args.port, args.share)
        try:
            print(prepared.result().message, flush=True)
        except BaseException:
            app.close()
            raise
    print(f"ready in {time.perf_counter() - started:.1f} s: {app.local_url}", flush=True)
    app.block_thread()
