"""An ASGI middleware that keeps the app's private events for its own page and bounds upload requests.

Gradio's page calls its events through `/gradio_api/queue/join` by number, which any HTTP client can
do too. The page response sets a per-server cookie (HttpOnly, SameSite=Strict); calls of any event
but the public ones (`/ask`) and file uploads must carry it. This keeps scripts that never loaded the
page away from upload+index, removal, model switch and evaluation; it is not authentication (a
client that loads the page first gets the cookie). An upload request is refused before it is read
when its declared size is over the per-file limit times the files one upload may hold.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Collection
from http.cookies import SimpleCookie

UI_COOKIE = "qa_ui"
MAX_FILES_PER_UPLOAD = 10
_MULTIPART_OVERHEAD = 64 * 1024

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def cookie_value(headers: list[tuple[bytes, bytes]], name: str = UI_COOKIE) -> str | None:
    """Return the value of a cookie in raw ASGI headers, or None."""
    for key, value in headers:
        if key.lower() == b"cookie":
            cookie = SimpleCookie()
            cookie.load(value.decode("latin-1"))
            if name in cookie:
                return cookie[name].value
    return None


def header_value(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """Return the value of a header in raw ASGI headers, or None."""
    return next((value.decode("latin-1") for key, value in headers if key.lower() == name), None)


class PageOnlyEvents:
    """The middleware: `public_events` are the event ids anyone may call; `max_file_bytes` the per-file upload limit."""

    def __init__(self, app, public_events: Callable[[], Collection[int]], public_names: Collection[str], max_file_bytes: int) -> None:
        self.app = app
        self.public_events = public_events
        self.public_names = set(public_names)
        self.max_request_bytes = max_file_bytes * MAX_FILES_PER_UPLOAD + _MULTIPART_OVERHEAD
        self.token = secrets.token_urlsafe(24)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        from_page = cookie_value(scope["headers"]) == self.token
        if method == "GET" and path in ("/", ""):
            await self.app(scope, receive, self._setting_cookie(send))
            return
        if method == "POST" and path.endswith("/gradio_api/upload"):
            declared = header_value(scope["headers"], b"content-length")
            if not from_page:
                await _refuse(send, 403, "uploads are accepted only from the app's page")
            elif declared is None or not declared.isdigit():
                await _refuse(send, 411, "an upload needs a Content-Length")
            elif int(declared) > self.max_request_bytes:
                await _refuse(send, 413, f"an upload may hold at most {MAX_FILES_PER_UPLOAD} files within the per-file limit")
            else:
                await self.app(scope, receive, send)
            return
        for prefix in ("/gradio_api/call/", "/gradio_api/run/"):
            if prefix in path and not from_page and path.split(prefix, 1)[1].split("/")[0] not in self.public_names:
                await _refuse(send, 403, "only /ask is public; use the app's page for everything else")
                return
        if method == "POST" and path.endswith("/gradio_api/queue/join") and not from_page:
            body = await _read_body(receive)
            try:
                event = json.loads(body or b"{}").get("fn_index")
            except (ValueError, AttributeError):
                event = None
            if event not in self.public_events():
                await _refuse(send, 403, "only /ask is public; use the app's page for everything else")
                return
            await self.app(scope, _replay(body, receive), send)
            return
        await self.app(scope, receive, send)

    def _setting_cookie(self, send: Send) -> Send:
        cookie = f"{UI_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return sending


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive that gives the body already read, then hands over to the connection's own receive."""
    sent = [False]

    async def replaying() -> dict:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
