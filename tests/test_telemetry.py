"""OpenTelemetry: off unless the standard variables switch it on; wrong ones stop the start."""

import os
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import Histogram, MetricExportResult, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from app.duration import DurationExport, DurationHistogram
from app.settings import or_exit
from app.telemetry import Telemetry, TelemetrySettings, telemetry
from app.unobserved import unobserved

ON = {"FASTAPI_OTEL_AUTO_CONFIGURE": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}


def settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> TelemetrySettings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return or_exit(TelemetrySettings, prefix="")


def test_nothing_set_switches_every_signal_off(monkeypatch: pytest.MonkeyPatch) -> None:
    off = telemetry(settings(monkeypatch))
    assert off.fastapi == {
        "tracing": False,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
    }
    assert (off.duration, off.export) == (None, None)


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


def test_switched_on_fastapi_traces_and_logs_and_the_app_records_the_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = telemetry(settings(monkeypatch, **ON))
    config = found.fastapi
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, False, True)
    assert config["auto_configure"] is True
    assert config["operation_spans"] is False
    assert isinstance(found.export, DurationExport)
    assert found.export.histogram is found.duration
    assert found.duration is not None
    assert found.duration.delta is False
    assert found.export.interval == 60


def test_a_signal_can_be_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    found = telemetry(settings(monkeypatch, **ON, OTEL_LOGS_EXPORTER="none"))
    assert (found.fastapi["tracing"], found.fastapi["logs"]) == (True, False)
    assert "logger_provider" not in found.fastapi
    assert found.duration is not None


def test_a_signal_endpoint_alone_switches_that_signal_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = telemetry(
        settings(
            monkeypatch,
            FASTAPI_OTEL_AUTO_CONFIGURE="true",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://collector:4318/v1/traces",
        )
    )
    assert (found.fastapi["tracing"], found.fastapi["logs"]) == (True, False)
    assert found.duration is None


def resource_of(found: Telemetry) -> dict[str, Any]:
    provider = found.fastapi["tracer_provider"]
    assert isinstance(provider, TracerProvider)
    assert found.export is not None
    attributes = dict(provider.resource.attributes)
    assert attributes == dict(found.export.resource.attributes)
    return attributes


def test_the_service_is_named_by_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = resource_of(telemetry(settings(monkeypatch, **ON)))
    assert attributes["service.name"] == "fastapi-service"
    assert attributes["service.version"] == "0.1.0"


def test_the_standard_variables_override_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        **ON,
        "OTEL_SERVICE_NAME": "checkout",
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0.0,deployment.environment.name=prod",
    }
    attributes = resource_of(telemetry(settings(monkeypatch, **variables)))
    assert attributes["service.name"] == "checkout"
    assert attributes["service.version"] == "2.0.0"
    assert attributes["deployment.environment.name"] == "prod"


def traced(found: Telemetry, traceparent: bytes | None = None, path: str = "/items/5") -> bool:
    """Whether FastAPI traces a request: not excluded by the app's head sampling."""
    headers = [(b"traceparent", traceparent)] if traceparent else []
    exclude = found.fastapi["exclude"]
    assert exclude is not None
    return not exclude({"type": "http", "path": path, "headers": headers})


SAMPLED = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
UNSAMPLED = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


def test_by_default_every_request_is_traced_and_a_caller_s_no_is_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = telemetry(settings(monkeypatch, **ON))
    assert traced(found)
    assert traced(found, SAMPLED)
    assert not traced(found, UNSAMPLED)
    assert not traced(found, SAMPLED, path="/health/ready")


def test_a_ratio_traces_that_share_of_new_traces_and_follows_callers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = {**ON, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}
    found = telemetry(settings(monkeypatch, **variables, OTEL_TRACES_SAMPLER_ARG="0.25"))
    share = sum(traced(found) for _ in range(20000)) / 20000
    assert 0.23 < share < 0.27
    assert all(traced(found, SAMPLED) for _ in range(100))
    assert not any(traced(found, UNSAMPLED) for _ in range(100))


def test_a_plain_ratio_decides_on_the_trace_id_as_the_sdk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = {**ON, "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    found = telemetry(settings(monkeypatch, **variables))
    sdk = TraceIdRatioBased(0.5)
    for trace_id in ("00000000000000000000000000000001", "ffffffffffffffffffffffffffffffff"):
        header = f"00-{trace_id}-b7ad6b7169203331-00".encode()
        decision = sdk.should_sample(None, int(trace_id, 16), "GET").decision
        assert traced(found, header) is (decision == Decision.RECORD_AND_SAMPLE)


def test_always_off_switches_tracing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    found = telemetry(settings(monkeypatch, **ON, OTEL_TRACES_SAMPLER="always_off"))
    assert found.fastapi["tracing"] is False
    assert "tracer_provider" not in found.fastapi


@pytest.mark.parametrize("header", [b"garbage", b"00-" + b"0" * 32 + b"-b7ad6b7169203331-01"])
def test_an_invalid_traceparent_counts_as_none(
    monkeypatch: pytest.MonkeyPatch, header: bytes
) -> None:
    found = telemetry(settings(monkeypatch, **ON, OTEL_TRACES_SAMPLER="parentbased_always_off"))
    assert not traced(found, header)
    assert not traced(found)


def test_the_duration_is_recorded_with_the_conventions_attributes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = telemetry(settings(monkeypatch, **ON))
    assert found.duration is not None
    scope = {"type": "http", "method": "BREW", "scheme": "https", "path": "/x", "headers": []}
    found.record(scope, "/x", 503, 0.25)
    found.record({**scope, "path": "/health/ready"}, "/health/ready", 200, 0.1)
    found.record({**scope, "method": "GET", "path": "/nowhere"}, "", 404, 0.01)
    recorded = [(point.sum, point.attributes) for point in found.duration.collect()]
    assert recorded == [
        (
            0.25,
            {
                "http.request.method": "_OTHER",
                "url.scheme": "https",
                "http.response.status_code": 503,
                "http.route": "/x",
                "error.type": "503",
            },
        ),
        (
            0.01,
            {"http.request.method": "GET", "url.scheme": "https", "http.response.status_code": 404},
        ),
    ]


def test_the_temporality_and_interval_variables_reach_the_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = telemetry(
        settings(
            monkeypatch,
            **ON,
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="LowMemory",
            OTEL_METRIC_EXPORT_INTERVAL="5000",
        )
    )
    assert found.export is not None
    assert (found.export.histogram.delta, found.export.interval) == (True, 5)


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
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "sometimes",
            "Input should be 'cumulative', 'delta' or 'lowmemory'",
        ),
        ("OTEL_METRIC_EXPORT_INTERVAL", "0", "Input should be greater than 0"),
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


def test_flushing_exports_the_recorded_metrics_now() -> None:
    exported: list[MetricsData] = []

    class Exporter:
        def export(
            self, metrics_data: MetricsData, timeout_millis: float = 0
        ) -> MetricExportResult:
            exported.append(metrics_data)
            return MetricExportResult.SUCCESS

    histogram = DurationHistogram([0.1, 1.0])
    scope = InstrumentationScope("fastapi-service", "0.1.0")
    export = DurationExport(histogram, Exporter(), Resource.create({}), scope, interval=3600)
    found = Telemetry(fastapi={}, duration=histogram, export=export)
    found.flush()
    assert exported == []  # nothing recorded, nothing sent
    found.record({"method": "GET", "path": "/", "scheme": "http"}, "/", 200, 0.05)
    found.flush()
    (data,) = exported
    (metric,) = data.resource_metrics[0].scope_metrics[0].metrics
    assert (metric.name, metric.unit) == ("http.server.request.duration", "s")
    assert isinstance(metric.data, Histogram)
    (point,) = metric.data.data_points
    assert (point.count, point.sum) == (1, 0.05)
    Telemetry(fastapi={}).flush()  # no metrics exported: nothing to do


def test_with_telemetry_off_the_sdk_is_never_loaded() -> None:
    """Off costs nothing at start either: no module of the OpenTelemetry SDK is imported."""
    script = (
        "import sys\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        "from app.telemetry import TelemetrySettings\n"
        "create_app(Settings(), TelemetrySettings())\n"
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
