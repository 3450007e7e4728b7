"""Fixtures shared by every test: a shell-independent environment, an app from settings."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.logs import configure_logging
from app.main import create_app
from app.settings import Settings, get_settings
from testing.compose import image_tag
from testing.docker import docker, engine_answers
from testing.environ import shell_settings
from testing.paths import PROJECT_ROOT
from testing.require import require


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


@pytest.fixture
def logging_state() -> Iterator[None]:
    """Whatever a test configures is undone: handlers, levels and propagation."""
    loggers = [logging.getLogger(), *map(logging.getLogger, _LOGGERS)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
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


@pytest.fixture
def json_lines(logging_state: None) -> Callable[[], list[dict[str, Any]]]:
    """Logging as the image has it; call the result for the lines written since the last
    call, each parsed (a line that is not JSON fails the test)."""
    configure_logging("info", "json")
    written = io.StringIO()
    (handler,) = logging.root.handlers
    assert isinstance(handler, logging.StreamHandler)
    # Into a buffer of the test's own: the lines as the handler writes them, whatever the
    # test runner does with stdout between the fixture and the test.
    handler.setStream(written)

    def read() -> list[dict[str, Any]]:
        lines = written.getvalue().splitlines()
        written.seek(0)
        written.truncate()
        return [json.loads(line) for line in lines]

    return read


@pytest.fixture(scope="session")
def engine() -> None:
    """Skip where no Docker engine answers; fail instead when REQUIRE_DOCKER=1 (CI)."""
    require(
        engine_answers(),
        variable="REQUIRE_DOCKER",
        reason="no Docker engine answers (run ../shared/docker/ensure-docker)",
    )


@pytest.fixture(scope="session")
def image(engine: None) -> Iterator[str]:
    """The project's image, built from the working tree exactly as the README says, under a
    tag of this run's own (compose stacks and cluster tests of this run reuse it)."""
    tag = image_tag()
    docker("buildx", "build", "--load", "-t", tag, str(PROJECT_ROOT), timeout=900)
    yield tag
    # Untagged even where a stopped container (a Swarm task's history) still refers to it.
    docker("image", "rm", "--force", tag, check=False)
