"""deploy/cloudrun/service.yaml on real Knative Serving: admitted, served over HTTPS through
the Gateway, scaled to zero and back, new revisions and traffic splits without a lost
request."""

import time
from collections.abc import Iterator

import httpx
import pytest
import yaml

from testing.cluster import kubectl, watching
from testing.compose import shipped_memory
from testing.gateway import Gateway
from testing.knative import (
    KService,
    ingress_gateway,
    knative_answers,
    knative_namespace,
    shipped,
    with_image,
)
from testing.load import Load
from testing.logs import parse
from testing.require import require
from testing.wait import wait_until
from testing.wrk import CONNECTIONS
from tests.cluster.conftest import Pushed
from tests.deploy.kustomize import render

# Every test reaches the Gateway from this machine.
pytestmark = pytest.mark.node_local


@pytest.fixture(scope="module")
def knative(cluster: None) -> Gateway:
    gateway = ingress_gateway() if knative_answers() else None
    require(
        gateway is not None,
        variable="REQUIRE_KNATIVE",
        reason="no Knative Serving with a Gateway answers (../shared/k8s/ensure-knative)",
    )
    assert gateway is not None
    return gateway


@pytest.fixture
def namespace(knative: Gateway, request: pytest.FixtureRequest) -> Iterator[str]:
    with knative_namespace("kn") as name:
        yield name


@pytest.fixture
def served(namespace: str, pushed: Pushed) -> KService:
    """The file as shipped, its image the only change, Ready."""
    service = KService(namespace, shipped()["metadata"]["name"])
    service.apply(with_image(shipped(), pushed.tag))
    service.wait_ready()
    return service


def _client(gateway: Gateway, service: KService) -> httpx.Client:
    return gateway.client(service.host())


def test_the_webhook_accepts_the_file_as_shipped(namespace: str) -> None:
    manifest = yaml.safe_dump(shipped())
    result = kubectl(
        "-n", namespace, "apply", "--dry-run=server", "-f", "-", stdin=manifest, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_service_is_ready_and_serves_the_contract_and_docs_over_https(
    knative: Gateway, served: KService
) -> None:
    with _client(knative, served) as client:
        assert client.get("/").json() == {"Hello": "World"}
        assert client.get("/items/5?q=somequery").json() == {"item_id": 5, "q": "somequery"}
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")


def test_the_pods_memory_limit_is_composes(served: KService) -> None:
    limit, _ = shipped_memory()
    (pod, *_) = served.pods()
    read = (
        "cat /sys/fs/cgroup/memory.max 2>/dev/null"
        " || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
    )
    found = served.kubectl("exec", pod["metadata"]["name"], "-c", "app", "--", "sh", "-c", read)
    assert int(found.stdout) == limit


def test_a_pod_admits_no_more_than_the_memory_limit_was_proven_under_and_drains_as_k8s(
    served: KService,
) -> None:
    """Knative's queue-proxy, beside each pod's server, holds back requests beyond the
    revision's concurrency and cuts those beyond its timeout. As the controller set it up:
    at most the load tests' concurrency (the memory limit held under it; 0 would be no
    limit), and the Deployment's grace period to finish a request."""
    (pod, *_) = served.pods()
    (proxy,) = [c for c in pod["spec"]["containers"] if c["name"] == "queue-proxy"]
    environment = {e["name"]: e.get("value", "") for e in proxy["env"]}
    assert 0 < int(environment["CONTAINER_CONCURRENCY"]) <= CONNECTIONS
    (deployment,) = [m for m in render("dev") if m["kind"] == "Deployment"]
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert int(environment["REVISION_TIMEOUT_SECONDS"]) == grace


def test_idle_it_scales_to_zero_draining_cleanly_and_a_cold_start_answers(
    knative: Gateway, served: KService
) -> None:
    load = Load("/items/5?q=knative", client=_client(knative, served), seconds=10)
    with load.running():
        time.sleep(5)
    assert load.failures == []
    (pod, *_) = served.pods()
    name = pod["metadata"]["name"]
    with watching("-n", served.namespace, "logs", "-f", name, "-c", "app") as logs:
        wait_until(lambda: not served.pods(), timeout=240, what="the scale to zero", interval=2)
    output = parse(logs[0])
    messages = output.messages()
    # SIGTERM, then the lifespan's shutdown: nothing was cut off.
    assert messages.index("shutdown complete") > messages.index("Shutting down")
    assert output.said("uvicorn.error", "Finished server process [1]")
    started = time.monotonic()
    with _client(knative, served) as client:
        client.timeout = httpx.Timeout(30)
        answer = client.get("/items/5?q=cold")
    print(f"scale from zero: {time.monotonic() - started:.2f} s to the first answer")  # noqa: T201
    assert answer.json() == {"item_id": 5, "q": "cold"}


def test_a_new_revision_rolls_out_under_load_without_a_lost_request(
    knative: Gateway, served: KService, pushed: Pushed
) -> None:
    load = Load("/items/5?q=knative", client=_client(knative, served))
    with load.running():
        served.apply(with_image(shipped(), pushed.other_tag))
        served.wait_ready()
        time.sleep(5)
    print(load.summary("new revision"))  # noqa: T201
    assert load.failures == []


def test_a_traffic_split_sends_each_revision_its_share(
    knative: Gateway, served: KService, pushed: Pushed
) -> None:
    first = served.wait_ready()["status"]["latestReadyRevisionName"]
    # The second revision serves no docs: which one answered shows in /openapi.json.
    second = with_image(shipped(), pushed.tag, APP_DOCS_ENABLED="false")
    second["spec"]["traffic"] = [
        {"revisionName": first, "percent": 50},
        {"latestRevision": True, "percent": 50},
    ]
    served.apply(second)
    served.wait_ready()
    with _client(knative, served) as client:
        statuses = [client.get("/openapi.json").status_code for _ in range(100)]
    shares = f"{statuses.count(200)} to the first revision, {statuses.count(404)} to the second"
    print(f"split: {shares}")  # noqa: T201
    assert set(statuses) == {200, 404}
    # Binomial(100, 0.5): outside 30..70 one time in about 40,000.
    assert 30 <= statuses.count(200) <= 70
