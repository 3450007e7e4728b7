"""Drive a pure ASGI middleware directly and see exactly what it sends and passes on."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Inner:
    """The app behind the middleware: records what reached it, then answers."""

    start: Message = field(
        default_factory=lambda: {"type": "http.response.start", "status": 200, "headers": []}
    )
    scopes: list[Scope] = field(default_factory=list)
    received: list[Message] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        self.received.append(await receive())
        await send(self.start)
        await send({"type": "http.response.body", "body": b"inner"})


def http_scope(path: str = "/", **extra: Any) -> Scope:
    scope: Scope = {
        "type": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "root_path": "",
    }
    return {**scope, **extra}


def call(app: ASGIApp, scope: Scope) -> list[Message]:
    """Every message `app` sends for `scope`, given a request with an empty body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    asyncio.run(run())
    return sent
