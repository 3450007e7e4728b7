"""compose's observability profile: Prometheus scrapes every replica, the public proxy
hides /metrics, and a caller's trace continues through the proxy."""

import os
from collections.abc import Iterator

import httpx
import pytest

from testing.compose import ROTATED_LOGS, Stack
from testing.docker import docker
from testing.otlp import ALIAS, ENDPOINT, Receiver, receiver
from testing.wait import wait_until

SENT = 30


@pytest.fixture(scope="module")
def otlp(image: str) -> Iterator[Receiver]:
    with receiver(image) as found:
        yield found


@pytest.fixture(scope="module")
def observed(image: str, otlp: Receiver) -> Iterator[Stack]:
    """The stack with its observability profile and two app replicas; its telemetry
    exports to the test's receiver, which joins the stack's network as `otlp`."""
    stack = Stack(
        env={
            "COMPOSE_PROFILES": "observability",
            "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        }
    )
    network = f"{stack.name}_edge"
    try:
        stack.up("--scale", "app=2")
        docker("network", "connect", "--alias", ALIAS, network, otlp.container.id)
        yield stack
    finally:
        docker("network", "disconnect", "--force", network, otlp.container.id, check=False)
        stack.down()


def query(stack: Stack, promql: str) -> list[dict[str, object]]:
    address = stack.published("prometheus", "9090")
    assert address.startswith("127.0.0.1:")
    reply = httpx.get(f"http://{address}/api/v1/query", params={"query": promql}, timeout=10)
    assert reply.json()["status"] == "success"
    result: list[dict[str, object]] = reply.json()["data"]["result"]
    return result


def test_prometheus_counts_every_request_sent_to_either_replica(observed: Stack) -> None:
    with observed.proxy_client() as client:
        for n in range(SENT):
            assert client.get(f"/items/{n}").status_code == 200

    def counted() -> float:
        result = query(observed, "sum(http_server_request_duration_seconds_count)")
        return float(result[0]["value"][1]) if result else 0.0  # type: ignore[index]

    wait_until(lambda: counted() == SENT, timeout=60, what=f"Prometheus to count {SENT}")
    targets = query(observed, 'up{job="app"}')
    assert len(targets) == 2
    assert all(target["value"][1] == "1" for target in targets)  # type: ignore[index]


def test_prometheus_keeps_at_most_three_log_files_of_10_mb(observed: Stack) -> None:
    (container,) = observed.containers("prometheus")
    assert observed.inspect(container)["HostConfig"]["LogConfig"] == ROTATED_LOGS


@pytest.mark.parametrize(
    "path",
    [
        "/metrics",
        "/metrics/",
        "/METRICS",
        "/%6detrics",
        "//metrics",
        "/./metrics",
        "/x/../metrics",
        "/metrics?x=1",
    ],
)
def test_the_public_proxy_answers_404_for_the_metrics(observed: Stack, path: str) -> None:
    with observed.proxy_client() as client:
        # The request target exactly as written: no client-side clean-up of the path.
        response = client.get("/", extensions={"target": path.encode()})
    assert response.status_code == 404
    assert "http_server_request" not in response.text


def test_a_caller_s_traceparent_continues_through_the_proxy(
    observed: Stack, otlp: Receiver
) -> None:
    trace_id, parent_id = os.urandom(16).hex(), os.urandom(8).hex()
    with observed.proxy_client() as client:
        response = client.get("/items/5", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
    assert response.status_code == 200

    def server_span() -> list[str]:
        return [s.parent_span_id for s in otlp.spans() if s.trace_id == trace_id and s.kind == 2]

    # Exported within the batch's 5 s delay.
    wait_until(lambda: server_span() == [parent_id], timeout=30, what="the server span")
