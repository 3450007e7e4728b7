"""A bare ASGI app answering like /items/5?q=somequery: the server's ceiling."""

import logging

from starlette.types import Receive, Scope, Send

_BODY = b'{"item_id":5,"q":"somequery"}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"29")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


# The project runs with APP_ACCESS_LOG=false; the bare app has no lifespan to say so,
# so it quiets uvicorn's access lines itself, for the same server work per request.
logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
