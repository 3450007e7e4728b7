"""The service plus test-only routes, mounted into the image by the container tests.

Production code has no debug endpoints; these tests run `fastapi run --entrypoint
probe_app:app` with this file on PYTHONPATH to see what the app sees.
"""

import asyncio
import socket
from functools import cache

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from app import main

router = APIRouter()
_in_flight = 0


class Seen(BaseModel):
    client: str | None
    scheme: str
    url_for: str
    hostname: str


@router.get("/_probe/request")
async def read_request(request: Request) -> Seen:
    """What the app believes about the request it is serving, and which replica served it."""
    return Seen(
        client=request.client.host if request.client else None,
        scheme=request.url.scheme,
        url_for=str(request.url_for("read_item", item_id=5)),
        hostname=socket.gethostname(),
    )


@router.get("/_probe/slow")
async def read_slow(seconds: float) -> dict[str, float]:
    """Answer after `seconds`: a request that is still in flight when the signal comes."""
    global _in_flight  # noqa: PLW0603 (one process-wide counter is the point)
    _in_flight += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        _in_flight -= 1
    return {"slept": seconds}


@router.get("/_probe/in-flight")
async def read_in_flight() -> dict[str, int]:
    """How many slow requests are being served right now."""
    return {"in_flight": _in_flight}


@router.get("/_probe/fail")
async def read_fail() -> None:
    """A route with a bug: what an unhandled error becomes, in the response and the logs."""
    msg = "internal detail the client must not see"
    raise RuntimeError(msg)


@cache
def _with_probes(app: FastAPI) -> FastAPI:
    app.include_router(router)
    return app


def __getattr__(name: str) -> FastAPI:
    """`app`: the service as `fastapi run` serves it (settings, logging), with these routes."""
    if name == "app":
        return _with_probes(main.__getattr__("app"))
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
