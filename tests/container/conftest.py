"""Container tests build the real image once per session and run it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.compose import image_tag
from testing.docker import ARM64, NATIVE, Container, Engine, docker, engine_answers, remove, start
from testing.paths import PROJECT_ROOT
from testing.require import require


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything in this folder needs an engine: mark it so `-m "not container"` skips it.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.container)


@pytest.fixture(scope="session")
def arm64_image(engine: None) -> Iterator[str]:
    """The project's image for linux/arm64 (what `docker build .` makes on Apple Silicon or a
    Graviton host), built on the arm64 engine under QEMU. Skips where that engine does not
    answer; fails instead when REQUIRE_ARM64=1 (CI)."""
    require(
        engine_answers(ARM64),
        variable="REQUIRE_ARM64",
        reason="no arm64 engine answers (run ../shared/docker/ensure-docker-arm64)",
    )
    tag = image_tag()
    build = ["buildx", "build", "--platform", "linux/arm64", "--load", "-t", tag]
    docker(*build, str(PROJECT_ROOT), timeout=1800, engine=ARM64)
    yield tag
    docker("image", "rm", "--force", tag, check=False, engine=ARM64)


# Each platform the workflow publishes, on the engine that runs it here: this machine's
# own, and linux/arm64 under QEMU (marked `emulated`, which a native arm64 runner leaves
# out).
PLATFORMS = (
    pytest.param(NATIVE, id=NATIVE.name),
    pytest.param(ARM64, id=ARM64.name, marks=pytest.mark.emulated),
)


def image_for(request: pytest.FixtureRequest, engine: Engine) -> str:
    """The image built on `engine` (built when first asked for)."""
    return str(request.getfixturevalue("image" if engine is NATIVE else "arm64_image"))


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
