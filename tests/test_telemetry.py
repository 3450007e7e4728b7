"""OpenTelemetry: FastAPI's own, switched on by FASTAPI_OTEL_AUTO_CONFIGURE; the SDK reads
the standard variables as the specification says."""

import os
import subprocess
import sys

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from app.telemetry import TelemetrySettings, telemetry_config
from tests.otel import CALLER_TRACE, ON, caller, setenv, spans_for


@pytest.mark.parametrize("value", ["", "false", "1", "yes"])
def test_anything_but_true_leaves_fastapi_s_default(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """FastAPI's default: telemetry only where the process configured OpenTelemetry."""
    setenv(monkeypatch, {"FASTAPI_OTEL_AUTO_CONFIGURE": value})
    config = telemetry_config(TelemetrySettings())
    assert set(config) == {"exclude", "operation_spans"}


@pytest.mark.parametrize("value", ["true", "TRUE", "True"])
def test_true_in_any_case_gives_every_signal_a_provider(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    setenv(monkeypatch, {"FASTAPI_OTEL_AUTO_CONFIGURE": value})
    config = telemetry_config(TelemetrySettings())
    assert (config["auto_configure"], config["operation_spans"]) == (True, False)
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, True, True)
    assert None not in (
        config.get("tracer_provider"),
        config.get("meter_provider"),
        config.get("logger_provider"),
    )


@pytest.mark.parametrize("signal", ["traces", "metrics", "logs"])
def test_an_exporter_set_to_none_leaves_its_signal_unrecorded(
    monkeypatch: pytest.MonkeyPatch, signal: str
) -> None:
    setenv(monkeypatch, {**ON, f"OTEL_{signal.upper()}_EXPORTER": " None "})
    config = telemetry_config(TelemetrySettings())
    flag = {"traces": "tracing", "metrics": "metrics", "logs": "logs"}[signal]
    provider = {"traces": "tracer", "metrics": "meter", "logs": "logger"}[signal]
    assert config[flag] is False  # type: ignore[literal-required]
    assert f"{provider}_provider" not in config


def resource(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> Resource:
    setenv(monkeypatch, {**ON, **variables})
    provider = telemetry_config(TelemetrySettings())["tracer_provider"]
    assert isinstance(provider, TracerProvider)
    return provider.resource


def test_the_service_is_named_by_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = resource(monkeypatch, {}).attributes
    assert (attributes["service.name"], attributes["service.version"]) == (
        "fastapi-service",
        "0.1.0",
    )


def test_the_standard_variables_override_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = resource(
        monkeypatch,
        {"OTEL_SERVICE_NAME": "checkout", "OTEL_RESOURCE_ATTRIBUTES": "service.version=9"},
    ).attributes
    assert (attributes["service.name"], attributes["service.version"]) == ("checkout", "9")


def test_a_request_s_server_span_continues_the_caller_s_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (span,) = spans_for(monkeypatch, {}, "/items/5?q=somequery", caller(sampled=True))
    assert span.name == "GET /items/{item_id}"
    assert span.parent is not None
    assert (format(span.context.trace_id, "032x"), span.parent.span_id) == (
        CALLER_TRACE,
        0x00F067AA0BA902B7,
    )


@pytest.mark.parametrize(
    "path", ["/health/ready", "/health/live", "/metrics", "/docs-assets/redoc.standalone.js"]
)
def test_probes_assets_and_scrapes_are_not_traced(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    assert spans_for(monkeypatch, {}, path, caller(sampled=True)) == ()


def test_with_telemetry_off_the_sdk_is_never_loaded() -> None:
    """Off costs nothing at start either: no module of the OpenTelemetry SDK is imported."""
    script = (
        "import sys\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        "create_app(Settings())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))\n"
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OTEL_", "FASTAPI_OTEL_", "APP_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == "[]\n"
