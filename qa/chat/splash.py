"""The page served while the app itself is still importing: a few lines of stdlib HTTP, up within a second.

Importing Gradio alone takes about 4 s on this machine, so `python app.py` first answers on its port
with this page ("正在启动…" / "Starting…", by the browser's language). The page polls `/qa-status`,
which reports the start-up stage running behind it (converting the model, indexing n/N, …) once the
launcher hands it a status source, and reloads as soon as the real app answers in its place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from qa.chat.i18n import EN, ZH, language_of, translate

SPLASH_HEADER = "X-QA-Starting"
STATUS_PATH = "/qa-status"
StatusSource = Callable[[str], str]
_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>qa-bot</title></head>
<body style="font-family: sans-serif; margin: 3em"><h2>qa-bot</h2><p id="starting">{text}</p>
<p id="stage" style="color: #555"></p>
<script>
async function poll() {{
  try {{
    const response = await fetch("{status_path}?lang={lang}", {{cache: "no-store"}});
    if (!response.headers.has("{header}")) {{ location.reload(); return; }}
    document.getElementById("stage").textContent = await response.text();
  }} catch (error) {{}}
  setTimeout(poll, 500);
}}
poll();
</script></body></html>"""


def splash_page(accept_language: str | None) -> str:
    """Return the starting page in the browser's language: English for English browsers, else Chinese."""
    language = language_of(accept_language)
    text = "Starting… the page opens by itself in a few seconds." if language == EN else "正在启动…几秒钟后页面会自动打开。"
    return _PAGE.format(lang=language, text=text, header=SPLASH_HEADER, status_path=STATUS_PATH)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    status: StatusSource | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        url = urlsplit(self.path)
        if url.path == STATUS_PATH:
            language = EN if parse_qs(url.query).get("lang") == [EN] else ZH
            source = self.server.status
            line = source(language) if source is not None else translate("status_starting", language)
            self._send(200, "text/plain", line)
            return
        self._send(200 if url.path in ("/", "") else 503, "text/html", splash_page(self.headers.get("Accept-Language")))

    def _send(self, code: int, kind: str, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header(SPLASH_HEADER, "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's name)
        return None


class StartingPage:
    """The starting page on host:port, served from a daemon thread until `close()` frees the port for the app."""

    def __init__(self, host: str, port: int) -> None:
        self._server = _Server((host, port), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="qa-starting-page", daemon=True)
        self._thread.start()

    def show_status(self, source: StatusSource) -> None:
        """Report start-up progress from now on: `source(language)` returns the status line in zh or en."""
        self._server.status = source

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
