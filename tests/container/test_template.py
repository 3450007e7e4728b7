"""A project generated from the template builds an image that serves the contract under
its own name."""

from collections.abc import Iterator

import httpx
import pytest

from testing.docker import Container, docker, remove, start
from testing.paths import run_id
from testing.template import ANSWERS, generate, template_repository

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def generated_image(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    template = template_repository(tmp_path_factory.mktemp("template"))
    project = tmp_path_factory.mktemp("generated") / ANSWERS["slug"]
    generate(template, project, **ANSWERS)
    tag = f"{ANSWERS['slug']}:test-{run_id()}"
    docker("buildx", "build", "--load", "-t", tag, str(project), timeout=900)
    yield tag
    docker("image", "rm", "--force", tag, check=False)


@pytest.fixture(scope="module")
def serving(generated_image: str) -> Iterator[Container]:
    container = start(generated_image)
    yield container
    remove(container)


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", {"Hello": "World"}), ("/items/5?q=somequery", {"item_id": 5, "q": "somequery"})],
)
def test_the_generated_image_serves_the_contract(
    serving: Container, path: str, body: object
) -> None:
    assert httpx.get(f"{serving.base_url}{path}").json() == body


def test_its_openapi_document_carries_the_new_title(serving: Container) -> None:
    info = httpx.get(f"{serving.base_url}/openapi.json").json()["info"]
    assert info["title"] == ANSWERS["title"]


def test_its_package_is_the_new_name(serving: Container) -> None:
    check = "import importlib.metadata as m; print(m.version('orders-api'))"
    assert serving.exec("python", "-c", check).stdout.strip() == "0.1.0"
