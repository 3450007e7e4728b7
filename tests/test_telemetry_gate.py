"""The telemetry gate: an excluded request never enters FastAPI's telemetry layer, an
included one is traced as before."""

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.telemetry import _asgi
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import create_app
from app.settings import Settings, or_exit
from app.telemetry import TelemetrySettings
from app.telemetry_gate import GatedFastAPI, gate


def _left_out(scope: MutableMapping[str, Any]) -> bool:
    return bool(scope["path"] == "/left-out")


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def layer_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests that reached FastAPI's telemetry layer."""
    calls: list[str] = []
    original = _asgi.NativeTelemetry.__call__

    async def spy(self: _asgi.NativeTelemetry, **kwargs: Any) -> None:
        calls.append(kwargs["scope"]["path"])
        await original(self, **kwargs)

    monkeypatch.setattr(_asgi.NativeTelemetry, "__call__", spy)
    return calls


def _app(spans: InMemorySpanExporter) -> FastAPI:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = FastAPI(
        telemetry={
            "tracer_provider": provider,
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
            "exclude": _left_out,
        }
    )

    @app.get("/left-out")
    async def read_left_out() -> dict[str, str]:
        return {"traced": "no"}

    @app.get("/included")
    async def read_included() -> dict[str, str]:
        return {"traced": "yes"}

    return gate(app, _left_out)


def test_an_excluded_request_is_answered_without_entering_fastapi_s_telemetry(
    spans: InMemorySpanExporter, layer_calls: list[str]
) -> None:
    with TestClient(_app(spans)) as client:
        response = client.get("/left-out")
    assert (response.status_code, response.json()) == (200, {"traced": "no"})
    assert layer_calls == []
    assert spans.get_finished_spans() == ()


def test_an_included_request_is_traced_by_fastapi_as_without_the_gate(
    spans: InMemorySpanExporter, layer_calls: list[str]
) -> None:
    with TestClient(_app(spans)) as client:
        response = client.get("/included")
    assert (response.status_code, response.json()) == (200, {"traced": "yes"})
    assert layer_calls == ["/included"]
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /included"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/included"


def test_the_marker_is_gone_once_the_request_is_answered(spans: InMemorySpanExporter) -> None:
    app = _app(spans)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        del message

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/left-out",
        "raw_path": b"/left-out",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))
    assert "fastapi.telemetry" not in scope


def test_the_service_gates_with_its_telemetry_s_exclusions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    telemetry = or_exit(TelemetrySettings, prefix="")
    app = create_app(Settings(), telemetry)
    assert isinstance(app, GatedFastAPI)
    assert app.telemetry_excludes is app.state.telemetry.fastapi["exclude"]


def test_with_telemetry_off_the_gate_lets_everything_through() -> None:
    app = create_app(Settings(), TelemetrySettings())
    assert isinstance(app, GatedFastAPI)
    assert app.telemetry_excludes is None
