"""Per request: its id, its access line, its metrics, and what an unhandled error becomes."""

import logging
import re
import secrets
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.context import REQUEST_ID
from app.metrics import RequestMetrics
from app.unobserved import unobserved_path

HEADER = b"x-request-id"
# An incoming id is kept only if it is a short token of these characters (a UUID, a
# proxy's or a load balancer's id); anything else, a newline or a quote included, is
# replaced by a fresh id and never echoed nor logged.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_INTERNAL_ERROR = b'{"detail":"Internal Server Error"}'

access_logger = logging.getLogger("app.access")
error_logger = logging.getLogger("app.error")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's X-Request-ID if it is a sane token, else a new random one."""
    for name, value in headers:
        if name == HEADER:
            if _SANE_ID.fullmatch(value):
                return value.decode("ascii")
            break
    # 128 random bits as 32 hex digits, as uuid4().hex gives, without building a UUID.
    return secrets.token_hex(16)


class RequestContext:
    """Pure ASGI, outermost, so its id and its timing cover everything below it."""

    def __init__(self, app: ASGIApp, *, access_log: bool, metrics: RequestMetrics | None) -> None:
        self.app = app
        self.access_log = access_log
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        token = REQUEST_ID.set(request_id)
        started = perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The one line about it, with the traceback; the client learns nothing more
            # than that it failed. Not re-raised, so the server does not log it again.
            error_logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if status == 0:
                await _internal_error(send_with_id)
            else:
                # Too late for a 500: the connection is cut and the line says so.
                status = 500
        finally:
            try:
                self._record(scope, status, perf_counter() - started)
            finally:
                REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if self.metrics is not None and not unobserved_path(scope["path"]):
            self.metrics.observe(scope["method"], route or "", status, seconds)
        if self.access_log:
            client = scope.get("client")
            access_logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "client": client[0] if client else None,
                },
            )


async def _internal_error(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
