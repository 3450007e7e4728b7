"""The application: create_app() builds it, `app` is what `fastapi run` serves."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.telemetry import TelemetryConfig

from app import DISTRIBUTION, docs
from app.api import health, items, root
from app.guard import RequestGuard
from app.logs import configure_logging
from app.metrics import CONTENT_TYPE, RequestMetrics, prepare_multiprocess_dir
from app.request_context import RequestContext
from app.settings import Settings, get_settings, settings_or_exit
from app.telemetry import TelemetrySettings, telemetry_config
from app.unobserved import METRICS_PATH

logger = logging.getLogger("app.lifespan")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Ready once started, not ready once shutting down; the place to open resources
    before the first request and close them after the last."""
    logger.info("startup complete")
    app.state.ready = True
    # What exists now lives as long as the process: the collector need not scan it again.
    gc.freeze()
    try:
        yield
    finally:
        app.state.ready = False
        logger.info("shutdown complete")


# Copier's `title` answer; the version is the package's own.
TITLE = "FastAPI service"


def create_app(
    settings: Settings | None = None, telemetry: TelemetryConfig | None = None
) -> FastAPI:
    """Build the service; tests pass their own settings instead of patching the environment."""
    settings = settings or get_settings()
    if telemetry is None:
        telemetry = telemetry_config(TelemetrySettings())
    build = docs.with_docs if settings.docs_enabled else docs.without_docs
    app = build(
        title=TITLE,
        version=version(DISTRIBUTION),
        lifespan=lifespan,
        telemetry=telemetry,
    )
    app.include_router(root.router)
    app.include_router(items.router)
    app.include_router(health.router)
    metrics = RequestMetrics() if settings.metrics_enabled else None
    if metrics is not None:
        _serve_metrics(app, metrics)
    # A hostile request is refused before routing...
    app.add_middleware(RequestGuard)
    # ...and still has an id, an access line and a place in the metrics.
    app.add_middleware(RequestContext, access_log=settings.access_log, metrics=metrics)
    return app


def _serve_metrics(app: FastAPI, metrics: RequestMetrics) -> None:
    # Synchronous, so reading the workers' files runs in the thread pool, not the loop.
    def read_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    app.add_api_route(METRICS_PATH, read_metrics, methods=["GET"], include_in_schema=False)


@cache
def _served_app() -> FastAPI:
    settings = settings_or_exit()
    if settings.metrics_enabled:
        prepare_multiprocess_dir()
    return create_app(settings)


def __getattr__(name: str) -> FastAPI:
    """`app`: built when the server first looks it up, not when this module is imported.

    `fastapi run --entrypoint app.main:app` imports the module, then asks for `app`; only
    then are the settings read, and an invalid one ends the process with its one line.
    Importing the module (tests, tools) never reads the environment nor exits.
    """
    if name == "app":
        settings = settings_or_exit()
        # `fastapi run` has no --log-config: uvicorn applies its own logging configuration
        # (in each worker too), then looks the app up. Configured at that look-up, the
        # format and level apply from the server's first line on, in every process.
        configure_logging(settings.log_level, settings.log_format)
        return _served_app()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    # Listed, so that the CLI's discovery by path (`fastapi dev src/app/main.py`) finds it.
    return sorted([*globals(), "app"])
