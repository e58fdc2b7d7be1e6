"""The page served while the app itself is still importing: a few lines of stdlib HTTP, up within a second.

Importing Gradio alone takes about 4 s on this machine, so `python app.py` first answers on its port
with this page ("正在启动…" / "Starting…", by the browser's language), which polls the server and
reloads as soon as the real app answers in its place.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPLASH_HEADER = "X-QA-Starting"
_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>qa-bot</title></head>
<body style="font-family: sans-serif; margin: 3em"><h2>qa-bot</h2><p id="starting">{text}</p>
<script>
async function poll() {{
  try {{
    const response = await fetch(location.href, {{cache: "no-store"}});
    if (!response.headers.has("{header}")) {{ location.reload(); return; }}
  }} catch (error) {{}}
  setTimeout(poll, 500);
}}
setTimeout(poll, 500);
</script></body></html>"""


def splash_page(accept_language: str | None) -> str:
    """Return the starting page in the browser's language: English for English browsers, else Chinese."""
    english = (accept_language or "").strip().lower().startswith("en")
    text = "Starting… the page opens by itself in a few seconds." if english else "正在启动…几秒钟后页面会自动打开。"
    return _PAGE.format(lang="en" if english else "zh", text=text, header=SPLASH_HEADER)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        body = splash_page(self.headers.get("Accept-Language")).encode("utf-8")
        self.send_response(200 if self.path.split("?")[0] in ("/", "") else 503)
        self.send_header("Content-Type", "text/html; charset=utf-8")
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
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="qa-starting-page", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
