"""Container tests build the real image once per session and run it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.compose import image_tag
from testing.docker import Container, docker, engine_answers, remove, start
from testing.paths import PROJECT_ROOT
from testing.require import require


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything in this folder needs an engine: mark it so `-m "not container"` skips it.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.container)


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
    tag of this run's own (compose stacks of this run reuse it)."""
    tag = image_tag()
    docker("buildx", "build", "--load", "-t", tag, str(PROJECT_ROOT), timeout=900)
    yield tag
    # Untagged even where a stopped container (a Swarm task's history) still refers to it.
    docker("image", "rm", "--force", tag, check=False)


@pytest.fixture(scope="module")
def running(image: str) -> Iterator[Container]:
    """One container of the image as it ships, shared by the read-only checks of a module."""
    container = start(image)
    yield container
    remove(container)


@pytest.fixture
def fresh(image: str) -> Iterator[Container]:
    """A container of its own, for a test that stops or changes it."""
    container = start(image)
    yield container
    remove(container)
