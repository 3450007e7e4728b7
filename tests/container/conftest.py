"""Container tests build the real image once per session and run it."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.docker import Container, docker, engine_answers, remove, start
from tests.support import PROJECT_ROOT

IMAGE = "fastapi-service:test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything in this folder needs an engine: mark it so `-m "not container"` skips it.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.container)


@pytest.fixture(scope="session")
def engine() -> None:
    """Skip where no Docker engine answers; fail instead when REQUIRE_DOCKER=1 (CI)."""
    if engine_answers():
        return
    reason = "no Docker engine answers (run ../shared/docker/ensure-docker)"
    if os.environ.get("REQUIRE_DOCKER") == "1":
        pytest.fail(f"REQUIRE_DOCKER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def image(engine: None) -> str:
    """The project's image, built from the working tree exactly as the README says."""
    docker("buildx", "build", "--load", "-t", IMAGE, str(PROJECT_ROOT), timeout=900)
    return IMAGE


@pytest.fixture(scope="module")
def running(image: str) -> Iterator[Container]:
    """One container shared by the read-only checks of a module."""
    container = start(image)
    yield container
    remove(container)


@pytest.fixture
def fresh(image: str) -> Iterator[Container]:
    """A container of its own, for a test that stops or changes it."""
    container = start(image)
    yield container
    remove(container)
