"""Launch the chat app: the Gradio server first, then the index check, model load and warm-up behind it."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from starlette.middleware import Middleware

from qa.chat.guard import PageOnlyEvents
from qa.chat.launcher import DEFAULT_HOST, DEFAULT_PORT
from qa.chat.locale_shim import ChineseFirstLocale
from qa.chat.service import ChatService
from qa.chat.splash import StartingPage
from qa.errors import QAError
from qa.retrieval.encoders import choose_backend, load_encoder
from qa.threads import apply_policy, serving_policy

PUBLIC_API = ("ask",)
log = logging.getLogger("qa")


def launch(
    service: ChatService,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    share: bool = False,
    before_launch: Callable[[], None] | None = None,
):
    """Build the app of a service, launch it in the background and return the running Blocks (`.close()` stops it).

    before_launch runs between building and serving (the starting page frees the port there, so it
    stays up while Gradio imports and the app is built).

    Only `/ask` is public: the other events answer the app's own page only (see qa.chat.guard);
    the page maps the browser's language before Gradio's i18n reads it (qa.chat.locale_shim);
    no folder of the data dir is served; analytics are off.
    """
    from qa.chat.layout import CSS, build_app, translations

    app = build_app(service)
    app.queue(default_concurrency_limit=4)

    def public_events() -> set[int]:
        """Return the ids of the public events (read per request: the ids exist once the app is built)."""
        return {fn._id for fn in app.fns.values() if fn.api_name in PUBLIC_API}

    if before_launch is not None:
        before_launch()
    guard = Middleware(PageOnlyEvents, public_events=public_events, public_names=PUBLIC_API, max_file_bytes=service.max_upload_bytes)
    try:
        app.launch(
            server_name=host,
            server_port=port,
            share=share,
            prevent_thread_lock=True,
            css=CSS,
            max_file_size=service.max_upload_bytes,
            footer_links=["api"],
            quiet=True,
            i18n=translations(service),
            app_kwargs={"middleware": [guard, Middleware(ChineseFirstLocale)]},
        )
    except OSError as error:
        raise QAError(f"cannot serve on {host}:{port} ({str(error).splitlines()[0]}); pass another --port") from None
    return app


def serve(args: argparse.Namespace, data_dir: Path, started: float | None = None, starting: StartingPage | None = None) -> None:
    """Serve the page, prepare the index and model behind it, and block until interrupted.

    The start-up (conversion, indexing, warm-up) runs behind whichever page is up: the starting page
    shows its stage until the app takes the port over. Prints the times to page and to ready.
    """
    started = time.perf_counter() if started is None else started
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers = [handler]  # the library's one-line records (user errors through the API, index updates) in the server log
    log.setLevel(logging.INFO)
    choose_backend(args.model, args.embedding_backend)  # an unknown or missing backend stops here, in one line
    make_encoder = partial(load_encoder, backend=args.embedding_backend)
    service = ChatService(data_dir, model=args.model, max_upload_mb=args.max_upload_mb, make_encoder=make_encoder, store=args.store)
    if starting is not None:
        starting.show_status(lambda language: service.status.line(language))

    def prepare() -> None:
        try:
            report = service.start()
            print(report.message, flush=True)
            print(report.stages_line, flush=True)
            print(f"ready in {time.perf_counter() - started:.1f} s", flush=True)
        except Exception as error:  # the page shows it; questions get it as their error
            print(f"error: the app could not start: {str(error).splitlines()[0] if str(error) else type(error).__name__}", flush=True)

    # A first start converts the model for tens of seconds: it begins at once, so the starting page shows its
    # progress within seconds. A later start loads the model after the app is built: loading it while Gradio
    # imports made the app's page and the first answer later (docs/CHAT.md, "Measured").
    first_start = service.first_start
    start_up = threading.Thread(target=prepare, name="qa-start", daemon=True)
    if first_start:
        start_up.start()
    apply_policy(serving_policy())  # one torch/FAISS thread per request, $QA_THREADS overrides (qa/threads.py, docs/RELIABILITY.md)
    app = launch(service, args.host, args.port, args.share, before_launch=starting.close if starting is not None else None)
    print(f"page in {time.perf_counter() - started:.1f} s: {app.local_url} (the start-up goes on behind it)", flush=True)
    if not first_start:
        start_up.start()
    try:
        app.block_thread()
    finally:
        app.close()
