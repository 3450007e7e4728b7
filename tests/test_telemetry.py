"""OpenTelemetry: off unless the standard variables switch it on; wrong ones stop the start."""

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from app.settings import or_exit
from app.telemetry import TelemetrySettings, telemetry_config
from app.unobserved import unobserved

ON = {"FASTAPI_OTEL_AUTO_CONFIGURE": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}


def settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> TelemetrySettings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return or_exit(TelemetrySettings, prefix="")


def test_nothing_set_switches_every_signal_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert telemetry_config(settings(monkeypatch)) == {
        "tracing": False,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
    }


@pytest.mark.parametrize(
    "variables",
    [
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
        {"FASTAPI_OTEL_AUTO_CONFIGURE": "true"},
        {**ON, "OTEL_SDK_DISABLED": "true"},
        {
            **ON,
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        },
        {"FASTAPI_OTEL_AUTO_CONFIGURE": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": ""},
    ],
)
def test_half_a_configuration_stays_off(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    assert not settings(monkeypatch, **variables).enabled


def test_switched_on_every_signal_exports_to_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = telemetry_config(settings(monkeypatch, **ON))
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, True, True)
    assert config["auto_configure"] is True
    assert config["operation_spans"] is False
    assert config["exclude"] is unobserved


def test_a_signal_can_be_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    config = telemetry_config(settings(monkeypatch, **ON, OTEL_LOGS_EXPORTER="none"))
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, True, False)
    assert "logger_provider" not in config


def test_a_signal_endpoint_alone_switches_that_signal_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = telemetry_config(
        settings(
            monkeypatch,
            FASTAPI_OTEL_AUTO_CONFIGURE="true",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://collector:4318/v1/traces",
        )
    )
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, False, False)


def resource_of(config: Any) -> dict[str, Any]:
    provider = config["tracer_provider"]
    assert isinstance(provider, TracerProvider)
    assert isinstance(config["meter_provider"], MeterProvider)
    return dict(provider.resource.attributes)


def test_the_service_is_named_by_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = resource_of(telemetry_config(settings(monkeypatch, **ON)))
    assert attributes["service.name"] == "fastapi-service"
    assert attributes["service.version"] == "0.1.0"


def test_the_standard_variables_override_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        **ON,
        "OTEL_SERVICE_NAME": "checkout",
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0.0,deployment.environment.name=prod",
    }
    attributes = resource_of(telemetry_config(settings(monkeypatch, **variables)))
    assert attributes["service.name"] == "checkout"
    assert attributes["service.version"] == "2.0.0"
    assert attributes["deployment.environment.name"] == "prod"


def test_the_sampler_comes_from_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {**ON, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}
    config = telemetry_config(settings(monkeypatch, **variables, OTEL_TRACES_SAMPLER_ARG="0.25"))
    provider = config["tracer_provider"]
    assert isinstance(provider, TracerProvider)
    assert "TraceIdRatioBased{0.25}" in provider.sampler.get_description()


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("OTEL_TRACES_EXPORTER", "zipkin", "Input should be 'otlp' or 'none'"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "Input should be 'http/protobuf'"),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json", "Input should be 'http/protobuf'"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "collector:4318",
            "must be an absolute http:// or https:// URL",
        ),
        ("OTEL_TRACES_SAMPLER", "sometimes", "Input should be 'always_on', "),
        ("OTEL_TRACES_SAMPLER_ARG", "2", "Input should be less than or equal to 1"),
        ("FASTAPI_OTEL_AUTO_CONFIGURE", "yes please", "Input should be a valid boolean"),
    ],
)
def test_an_invalid_variable_stops_the_start_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        settings(monkeypatch, **{**ON, variable: value})
    message = str(stopped.value)
    assert message.startswith(f"invalid configuration: {variable}: {problem}")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("path", "left_out"),
    [
        ("/health/ready", True),
        ("/health/live", True),
        ("/metrics", True),
        ("/docs-assets/swagger-ui-bundle.js", True),
        ("/items/5", False),
        ("/", False),
        ("/docs", False),
        ("/healthy", False),
        ("/metrics/extra", False),
    ],
)
def test_probes_assets_and_scrapes_are_left_out_of_traces(path: str, left_out: bool) -> None:
    assert unobserved({"type": "http", "path": path}) is left_out
