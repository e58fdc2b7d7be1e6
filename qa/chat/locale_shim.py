"""Chinese first in the browser: an ASGI middleware that tells Gradio's i18n which language to use.

Gradio 6 picks its interface language from `navigator.language`, exactly or by its primary subtag,
among the languages it ships, and falls back to English: a browser set to `zh`, `zh-HK` or `zh-SG`
(not in its list) and any language it does not ship would get English. The page this middleware
serves starts with a script that maps the browser's language first: English stays English, Chinese
goes to `zh-TW` (traditional: TW, HK, MO, Hant) or `zh-CN`, a language Gradio ships stays as it is
(Gradio's own words in it, our labels in Chinese), and anything else becomes `zh-CN`.
`qa.chat.i18n.language_of` applies the same rule to the Accept-Language header.
"""

from __future__ import annotations

import json

from qa.chat.i18n import GRADIO_LOCALES

LOCALE_SCRIPT = (
    "<script>(function () {"
    "var known = " + json.dumps(list(GRADIO_LOCALES)) + ";"
    "var asked = (navigator.language || (navigator.languages || [])[0] || '').trim();"
    "var primary = asked.split('-')[0].toLowerCase();"
    "var chosen;"
    "if (primary === 'en') { chosen = asked; }"
    "else if (primary === 'zh') { chosen = /-(TW|HK|MO|Hant)/i.test(asked) ? 'zh-TW' : 'zh-CN'; }"
    "else if (known.indexOf(asked) >= 0 || known.indexOf(primary) >= 0) { chosen = asked; }"
    "else { chosen = 'zh-CN'; }"
    "if (chosen !== asked) {"
    "Object.defineProperty(Navigator.prototype, 'language', {get: function () { return chosen; }, configurable: true});"
    "Object.defineProperty(Navigator.prototype, 'languages', {get: function () { return [chosen]; }, configurable: true});"
    "}"
    "})();</script>"
)


class ChineseFirstLocale:
    """The middleware: inserts LOCALE_SCRIPT at the start of the page's <head> (GET /, HTML responses only)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in ("/", ""):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def buffering(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = with_locale_script(b"".join(chunks), start.get("headers", []))
            headers = [(key, value) for key, value in start.get("headers", []) if key.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffering)


def with_locale_script(body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """Return an HTML body with LOCALE_SCRIPT right after its <head>; other bodies unchanged."""
    content_type = next((value for key, value in headers if key.lower() == b"content-type"), b"")
    encoding = next((value for key, value in headers if key.lower() == b"content-encoding"), b"")
    if not content_type.startswith(b"text/html") or encoding or b"<head>" not in body:
        return body
    return body.replace(b"<head>", b"<head>" + LOCALE_SCRIPT.encode("utf-8"), 1)
