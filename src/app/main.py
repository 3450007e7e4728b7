"""The application: create_app() builds it, `app` is what `fastapi run` serves."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import FastAPI

from app import docs
from app.api import health, items, root
from app.guard import RequestGuard
from app.logs import configure_logging
from app.root_path import RootPathMiddleware
from app.settings import Settings, get_settings, settings_or_exit

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


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; tests pass their own settings instead of patching the environment."""
    settings = settings or get_settings()
    build = docs.with_docs if settings.docs_enabled else docs.without_docs
    app = build(TITLE, VERSION, lifespan)
    app.state.settings = settings
    if settings.root_path:
        app.add_middleware(RootPathMiddleware, root_path=settings.root_path)
    app.include_router(root.router)
    app.include_router(items.router)
    app.include_router(health.router)
    # Outermost: a hostile request is refused before anything else looks at it.
    app.add_middleware(RequestGuard)
    return app


@cache
def _served_app() -> FastAPI:
    return create_app(settings_or_exit())


def __getattr__(name: str) -> FastAPI:
    """`app`: built when the server first looks it up, not when this module is imported.

    `fastapi run --entrypoint app.main:app` imports the module, then asks for `app`; only
    then are the settings read, and an invalid one ends the process with its one line.
    Importing the module (tests, tools) never reads the environment nor exits.
    """
    if name == "app":
        return _served_app()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    # Listed, so that the CLI's discovery by path (`fastapi dev src/app/main.py`) finds it.
    return sorted([*globals(), "app"])
