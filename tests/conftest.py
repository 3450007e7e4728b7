"""Fixtures shared by every test: a shell-independent environment, an app from settings."""

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn.config
from fastapi.testclient import TestClient

from app.logs import configure_logging
from app.main import create_app
from app.settings import Settings, get_settings
from testing.environ import shell_settings


@pytest.fixture(autouse=True, scope="session")
def _settings_from_the_project_alone() -> Iterator[None]:
    """The suite runs what ships, whatever the developer's shell exports (APP_LOG_LEVEL,
    OTEL_*, FORWARDED_ALLOW_IPS, WEB_CONCURRENCY...): subprocesses, containers and compose
    stacks inherit none of it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in shell_settings():
            patch.delenv(name)
        get_settings.cache_clear()
        yield


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client for the app with default settings, its lifespan running."""
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "app")


def flush_logs() -> None:
    """Write what the JSON stream holds back (it writes in batches)."""
    for handler in logging.root.handlers:
        handler.flush()


@pytest.fixture
def logging_state() -> Iterator[None]:
    """Whatever a test configures is undone: handlers, levels, propagation, and the
    configuration uvicorn will apply."""
    loggers = [logging.getLogger(), *map(logging.getLogger, _LOGGERS)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    server_config = dict(uvicorn.config.LOGGING_CONFIG)
    for logger in loggers[1:]:
        logger.handlers.clear()
    yield
    for handler in logging.root.handlers:
        if handler not in saved[0][1]:
            handler.close()
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
    uvicorn.config.LOGGING_CONFIG.clear()
    uvicorn.config.LOGGING_CONFIG.update(server_config)


@pytest.fixture
def json_lines(
    logging_state: None, capsys: pytest.CaptureFixture[str]
) -> Callable[[], list[dict[str, Any]]]:
    """Logging as the image has it; call the result for the lines printed since the last
    call, each parsed (a line that is not JSON fails the test)."""
    configure_logging("info", "json")

    def read() -> list[dict[str, Any]]:
        flush_logs()
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    return read
