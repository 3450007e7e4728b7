"""The application: create_app() builds it, `app` is what `fastapi run` serves."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app.api import health, items, root
from app.logs import configure_logging
from app.root_path import RootPathMiddleware
from app.settings import Settings, get_settings

logger = logging.getLogger("app.lifespan")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open resources before the first request and close them after the last."""
    settings: Settings = app.state.settings
    configure_logging(settings.log_level, access_log=settings.access_log)
    logger.info("startup complete")
    app.state.ready = True
    try:
        yield
    finally:
        app.state.ready = False
        logger.info("shutdown complete")


TITLE = "FastAPI service"
VERSION = "0.1.0"
# Where the Swagger UI and ReDoc scripts and styles are served from.
DOCS_ASSETS = "/docs-assets"


def _with_docs() -> FastAPI:
    # The docs load their assets from this service (fastapi-offline ships them), never
    # from a CDN: they work in air-gapped clusters and under a strict Content-Security-Policy.
    app: FastAPI = FastAPIOffline(
        title=TITLE, version=VERSION, lifespan=lifespan, static_url=DOCS_ASSETS
    )
    return app


def _without_docs() -> FastAPI:
    return FastAPI(
        title=TITLE,
        version=VERSION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; tests pass their own settings instead of patching the environment."""
    settings = settings or get_settings()
    app = _with_docs() if settings.docs_enabled else _without_docs()
    app.state.settings = settings
    if settings.root_path:
        app.add_middleware(RootPathMiddleware, root_path=settings.root_path)
    app.include_router(root.router)
    app.include_router(items.router)
    app.include_router(health.router)
    return app


app = create_app()
