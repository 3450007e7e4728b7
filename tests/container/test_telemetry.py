"""FastAPI's OpenTelemetry from the running image, received by a real OTLP/HTTP receiver."""

import os
from collections.abc import Iterator

import httpx
import pytest

from testing.compose import shipped_environment
from testing.docker import Container, docker, remove, start
from testing.inside import sample
from testing.logs import parse
from testing.otlp import Receiver, Span, exporting_to, receiver
from testing.units import MiB
from testing.wrk import wrk

SERVER = 2  # opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER
ITEMS = "/items/{item_id}"


def traceparent() -> tuple[str, str, str]:
    """A W3C traceparent header as an upstream service sends it, and its two ids."""
    trace_id, parent_id = os.urandom(16).hex(), os.urandom(8).hex()
    return f"00-{trace_id}-{parent_id}-01", trace_id, parent_id


@pytest.fixture(scope="module")
def otlp(image: str) -> Iterator[Receiver]:
    with receiver(image) as found:
        yield found


def stopped(container: Container) -> str:
    """SIGTERM (docker stop), and the complete output once the server has exited: by
    itself, within the 10 s before docker stop's SIGKILL."""
    docker("stop", container.id)
    assert container.inspect("{{.State.ExitCode}}") == "0"
    return container.logs()


def server_spans(found: Receiver, trace_id: str) -> list[Span]:
    return [s for s in found.spans() if s.trace_id == trace_id and s.kind == SERVER]


def test_a_request_s_server_span_continues_the_caller_s_trace(image: str, otlp: Receiver) -> None:
    header, trace_id, parent_id = traceparent()
    container = start(image, *exporting_to(otlp))
    try:
        response = httpx.get(
            f"{container.base_url}/items/5?q=somequery", headers={"traceparent": header}
        )
        assert response.json() == {"item_id": 5, "q": "somequery"}
        output = parse(stopped(container))
    finally:
        remove(container)
    # Exported on SIGTERM: the batch's own delay (5 s) has not come yet.
    (span,) = server_spans(otlp, trace_id)
    assert span.name == f"GET {ITEMS}"
    assert span.parent_span_id == parent_id
    assert span.attributes["http.route"] == ITEMS
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["http.request.method"] == "GET"
    assert (span.resource["service.name"], span.resource["service.version"]) == (
        "fastapi-service",
        "0.1.0",
    )
    (access,) = [r for r in output.by("app.access") if r["path"] == "/items/5"]
    assert (access["trace_id"], access["span_id"]) == (trace_id, span.span_id)


def test_probes_docs_assets_and_metrics_are_not_traced(image: str, otlp: Receiver) -> None:
    traced: list[str] = []
    container = start(image, *exporting_to(otlp))
    try:
        for path in [
            "/health/ready",
            "/health/live",
            "/metrics",
            "/docs-assets/redoc.standalone.js",
        ]:
            header, trace_id, _ = traceparent()
            assert httpx.get(f"{container.base_url}{path}", headers={"traceparent": header})
            traced.append(trace_id)
        stopped(container)
    finally:
        remove(container)
    exported = {span.trace_id for span in otlp.spans()}
    assert exported  # the service did export: the probes are missing for their own reason
    assert not exported & set(traced)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_request_duration_count_equals_the_requests_sent(
    image: str, otlp: Receiver, workers: str
) -> None:
    marker = os.urandom(4).hex()
    container = start(image, *exporting_to(otlp, WEB_CONCURRENCY=workers, OTEL_SERVICE_NAME=marker))
    sent = 25
    try:
        with httpx.Client(base_url=container.base_url) as client:
            for n in range(sent):
                # A new connection each time, so that both workers get requests.
                assert client.get(f"/items/{n}", headers={"connection": "close"}).status_code == 200
        stopped(container)
    finally:
        remove(container)
    latest: dict[int, int] = {}
    for started, attributes, count in otlp.histogram_counts("http.server.request.duration", marker):
        if attributes.get("http.route") == ITEMS:
            latest[started] = max(count, latest.get(started, 0))
    assert sum(latest.values()) == sent
    assert len(latest) <= int(workers)


def test_an_unreachable_collector_costs_no_request_and_one_line_per_failed_export(
    image: str,
) -> None:
    # Port 9 of the container's own loopback: nothing listens, connections are refused.
    container = start(
        image,
        "-e",
        "FASTAPI_OTEL_AUTO_CONFIGURE=true",
        "-e",
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9",
    )
    try:
        before = sample(container).server_rss[0]
        load = wrk(f"{container.base_url}/items/5?q=somequery", seconds=10, connections=16)
        after = sample(container).server_rss[0]
        output = parse(stopped(container))
    finally:
        remove(container)
    assert load.clean
    assert load.requests_per_second > 50
    reports = [r for r in output.records if r["logger"].startswith("opentelemetry.exporter")]
    # One ERROR for each export given up, none for its retries: an export is retried for
    # about a second first, so a few lines a second at most, against thousands of requests.
    assert reports
    assert {(r["level"], r["message"].split(" due to ")[0]) for r in reports} <= {
        ("ERROR", "Failed to export spans batch"),
        ("ERROR", "Failed to export metrics batch"),
        ("ERROR", "Failed to export logs batch"),
    }
    for logger in {r["logger"] for r in reports}:
        times = [r["time"] for r in reports if r["logger"] == logger]
        assert len(times) <= 15, times
    # The exporters' queues are bounded: what cannot be sent is dropped, not kept.
    assert after - before < 40 * MiB


def test_compose_exports_traces_but_leaves_the_metrics_to_prometheus(
    image: str, otlp: Receiver
) -> None:
    """Switched on under compose's environment, the service sends its spans over OTLP but
    not the request histogram: Prometheus scrapes that from /metrics already."""
    marker = os.urandom(4).hex()
    # compose's environment, switched on and pointed at the receiver (exporting_to).
    switch = ("FASTAPI_OTEL_AUTO_CONFIGURE", "OTEL_EXPORTER_OTLP_ENDPOINT")
    shipped = {
        **{k: v for k, v in shipped_environment("app").items() if k not in switch},
        "OTEL_SERVICE_NAME": marker,
        "OTEL_TRACES_SAMPLER": "always_on",
    }
    container = start(image, *exporting_to(otlp, **shipped))
    try:
        assert httpx.get(f"{container.base_url}/items/5").status_code == 200
        stopped(container)
    finally:
        remove(container)
    assert [s for s in otlp.spans() if s.resource.get("service.name") == marker]
    assert not list(otlp.histogram_counts("http.server.request.duration", marker))
