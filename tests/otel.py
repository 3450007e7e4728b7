"""The app's spans, recorded in memory: what the telemetry tests and the upgrade canaries
read."""

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import create_app
from app.settings import Settings
from app.telemetry import TelemetrySettings, telemetry_config

# On, with no endpoint: FastAPI adds no exporter, so nothing leaves the test.
ON = {"FASTAPI_OTEL_AUTO_CONFIGURE": "true"}
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"


def setenv(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def spans_for(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], path: str, traceparent: str
) -> tuple[ReadableSpan, ...]:
    """The spans the app records for one GET of `path` whose caller sends `traceparent`."""
    setenv(monkeypatch, {**ON, **variables})
    config = telemetry_config(TelemetrySettings())
    provider = config["tracer_provider"]
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with TestClient(create_app(Settings(), config)) as client:
        assert client.get(path, headers={"traceparent": traceparent}).status_code == 200
    return exporter.get_finished_spans()


def caller(sampled: bool) -> str:
    return f"00-{CALLER_TRACE}-00f067aa0ba902b7-{'01' if sampled else '00'}"
