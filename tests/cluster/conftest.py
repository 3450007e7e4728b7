"""Cluster tests: the overlays applied to a real Kubernetes cluster, their promises watched.

They need Docker (to build the image) and a cluster that answers (`KUBECONFIG`); they skip
with the reason where none answers, and fail instead when REQUIRE_KUBERNETES=1 (CI).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from testing.cluster import (
    Release,
    cluster_answers,
    kubeconfig,
    push,
    released,
    wait_for_this_runs_namespaces,
)
from testing.gateway import Gateway, accepted, find, routes
from testing.paths import run_id
from testing.require import require
from testing.wait import wait_until


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything here builds the image and needs a cluster: `-m "not container"` (the fast
    # suite) and `-m "not cluster"` both leave it out.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.container)
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def cluster() -> Iterator[None]:
    require(
        cluster_answers(),
        variable="REQUIRE_KUBERNETES",
        reason=f"no Kubernetes cluster answers (KUBECONFIG={kubeconfig()}; run "
        "../shared/k8s/ensure-kubernetes, or point KUBECONFIG at kind's)",
    )
    yield
    # The cluster is left as it was found.
    wait_for_this_runs_namespaces()


@dataclass(frozen=True)
class Pushed:
    """This run's image in the cluster's registry: by tag, by a second tag (an image
    change to roll out), and by digest."""

    tag: str
    other_tag: str
    digest: str


@pytest.fixture(scope="session")
def pushed(cluster: None, image: str) -> Pushed:
    first = f"test-{run_id()}"
    by_digest = push(image, first)
    second = f"test-{run_id()}-b"
    push(image, second)
    repository = by_digest.split("@", 1)[0]
    return Pushed(f"{repository}:{first}", f"{repository}:{second}", by_digest)


@pytest.fixture
def dev(pushed: Pushed, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Release]:
    """The dev overlay, rolled out in a namespace of this test's own."""
    with released("dev", pushed.tag, tmp_path, _purpose(request)) as release:
        yield release


def _purpose(request: pytest.FixtureRequest) -> str:
    """A short, DNS-safe reminder of the test in its namespace's name."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower())
    return name[:20].strip("-")


@pytest.fixture
def gateway(dev: Release, tmp_path: Path) -> Gateway:
    """The Gateway the dev overlay's route names, Programmed; skips (or fails, with
    REQUIRE_GATEWAY=1) where the cluster has none."""
    (parent, *_) = routes(dev, tmp_path / "routes")[0]["spec"]["parentRefs"]
    found = find(parent["name"], parent["namespace"])
    require(
        found is not None,
        variable="REQUIRE_GATEWAY",
        reason=f"no Programmed Gateway {parent['namespace']}/{parent['name']} with a CA file "
        "(run ../shared/k8s/ensure-gateway)",
    )
    assert found is not None
    return found


@pytest.fixture
def host(dev: Release, gateway: Gateway, tmp_path: Path) -> str:
    """The route's host name, once the Gateway has accepted both routes and serves."""
    rendered = routes(dev, tmp_path / "host")
    names = [route["metadata"]["name"] for route in rendered]
    wait_until(
        lambda: all(accepted(dev, name) for name in names),
        timeout=60,
        what="the routes to be accepted",
        interval=1,
    )
    hostname: str = rendered[0]["spec"]["hostnames"][0]
    # The Gateway serves a route within seconds of accepting it.
    with gateway.client(hostname) as client:
        wait_until(lambda: _answers(client), timeout=30, what="the route to serve", interval=0.5)
    return hostname


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/health/ready").status_code == 200
    except httpx.HTTPError:
        return False
