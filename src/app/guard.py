"""Refuse hostile requests before routing: oversized headers, targets that are not UTF-8.

uvicorn's httptools parser bounds the request line but not the headers, and decodes a
percent-encoded query leniently. This middleware answers 431 to headers above
MAX_HEADER_BYTES and 400 to a path or query whose percent-decoding is not UTF-8, so
neither reaches a handler. (The proxy in front also caps headers; see the Caddyfile.)
"""

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

# The same bound as uvicorn's h11 parser and nginx's default large_client_header_buffers.
MAX_HEADER_BYTES = 16 * 1024


class RequestGuard:
    """Pure ASGI, so a refused request costs no routing, no validation, no handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
                await _refuse(send, 431, "Request header fields too large")
                return
            if not _is_utf8(scope.get("raw_path") or b"") or not _is_utf8(scope["query_string"]):
                await _refuse(send, 400, "The request target is not valid UTF-8")
                return
        await self.app(scope, receive, send)


def _is_utf8(encoded: bytes) -> bool:
    try:
        unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
