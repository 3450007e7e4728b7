"""Requests that telemetry leaves out go around FastAPI's telemetry layer altogether.

FastAPI asks its `exclude` only after per-request work of its own (looking through the
middleware stack for a legacy OpenTelemetry middleware, switching the OpenTelemetry
context), which an unsampled request pays as well (README, "Observe it"). A scope that
already carries FastAPI's "fastapi.telemetry" key, the marker FastAPI sets itself on a
request it excludes (so that mounted apps leave it alone), goes straight to the
application. Setting that marker first skips the work; below it, the request runs as one
FastAPI excluded itself.
"""

from collections.abc import Callable, MutableMapping
from typing import Any, cast

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

type Excludes = Callable[[MutableMapping[str, Any]], bool]
MARKER = "fastapi.telemetry"


class GatedFastAPI(FastAPI):
    """FastAPI, with the excluded requests' telemetry decided before FastAPI's layer."""

    telemetry_excludes: Excludes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        excludes = self.telemetry_excludes
        if excludes is None or scope["type"] != "http" or MARKER in scope or not excludes(scope):
            await super().__call__(scope, receive, send)
            return
        scope[MARKER] = None
        try:
            await super().__call__(scope, receive, send)
        finally:
            scope.pop(MARKER, None)


def gate(app: FastAPI, excludes: Excludes | None) -> FastAPI:
    """Make `app` skip FastAPI's telemetry layer for the requests `excludes` names."""
    # The docs variant is built by fastapi-offline as a plain FastAPI; the class only adds
    # __call__ above, so swapping it in keeps everything the instance already holds.
    app.__class__ = GatedFastAPI
    gated = cast("GatedFastAPI", app)
    gated.telemetry_excludes = excludes
    return gated
