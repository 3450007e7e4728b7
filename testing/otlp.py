"""A real OTLP/HTTP receiver in a container, and what it received, decoded.

The receiver (receiver/otlp_receiver.py) runs in a container on a network the test
creates, where the service under test exports to http://otlp:4318; the test reads the
exports through the receiver's port published on 127.0.0.1.
"""

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from testing.docker import Container, docker, published_url, remove, start
from testing.paths import run_id
from testing.wait import answers, wait_until

RECEIVER_DIR = Path(__file__).resolve().parent / "receiver"
ALIAS = "otlp"
PORT = 4318
ENDPOINT = f"http://{ALIAS}:{PORT}"


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def attributes(pairs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


@dataclass(frozen=True)
class Span:
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


@dataclass
class Receiver:
    container: Container
    network: str

    def _bodies(self, path: str) -> list[bytes]:
        # Looked up each time: joining another network can move a port Docker picked.
        base_url = published_url(self.container.id, PORT)
        received = httpx.get(f"{base_url}/received", timeout=10).json()
        return [base64.b64decode(body) for body in received.get(path, [])]

    def spans(self) -> list[Span]:
        found: list[Span] = []
        for body in self._bodies("/v1/traces"):
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    found.extend(
                        Span(
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=attributes(span.attributes),
                            resource=resource,
                        )
                        for span in scope_spans.spans
                    )
        return found

    def histogram_counts(self, name: str, service: str) -> list[tuple[int, dict[str, Any], int]]:
        """Every data point of histogram `name` that `service` exported: (start time, attributes,
        count). Counts are cumulative: a process's latest point (its start time tells
        the processes apart) has its total."""
        points: list[tuple[int, dict[str, Any], int]] = []
        for body in self._bodies("/v1/metrics"):
            request = ExportMetricsServiceRequest.FromString(body)
            for resource_metrics in request.resource_metrics:
                resource = attributes(resource_metrics.resource.attributes)
                if resource.get("service.name") != service:
                    continue
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        if metric.name == name:
                            points.extend(
                                (
                                    point.start_time_unix_nano,
                                    attributes(point.attributes),
                                    point.count,
                                )
                                for point in metric.histogram.data_points
                            )
        return points


@contextmanager
def receiver(image: str) -> Iterator[Receiver]:
    """A receiver on a network of its own; run the service with `options(...)` to join it."""
    network = f"otlp-{run_id()}-{os.urandom(3).hex()}"
    docker("network", "create", network)
    container = None
    try:
        container = start(
            image,
            "--network",
            network,
            "--network-alias",
            ALIAS,
            "--no-healthcheck",
            "-v",
            f"{RECEIVER_DIR}:/receiver:ro",
            command=("python", "/receiver/otlp_receiver.py"),
            port=PORT,
            wait=False,
        )
        wait_until(
            lambda: answers(f"{container.base_url}/received"), timeout=30, what="the receiver"
        )
        yield Receiver(container=container, network=network)
    finally:
        if container is not None:
            remove(container)
        docker("network", "rm", network, check=False)


def exporting_to(found: Receiver, **extra: str) -> list[str]:
    """`docker run` options: on the receiver's network, telemetry on, exporting to it."""
    environment = {
        "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        **extra,
    }
    options = ["--network", found.network]
    for name, value in sorted(environment.items()):
        options += ["-e", f"{name}={value}"]
    return options
