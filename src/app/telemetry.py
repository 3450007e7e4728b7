"""FastAPI's own OpenTelemetry: traces, metrics and log events over OTLP/HTTP.

Off unless FASTAPI_OTEL_AUTO_CONFIGURE=true. Then FastAPI adds the OTLP exporters that
the standard OTEL_* variables select, and the SDK reads the rest itself (the sampler
from OTEL_TRACES_SAMPLER, the export interval, the temporality...), as the specification
says. This module names the service after its package (unless OTEL_SERVICE_NAME or
OTEL_RESOURCE_ATTRIBUTES say otherwise), leaves probes, docs assets and scrapes out, and
skips FastAPI's spans for each dependency and serialization.
"""

from importlib.metadata import metadata
from typing import Literal

from fastapi.telemetry import TelemetryConfig
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import DISTRIBUTION
from app.unobserved import unobserved

Signal = Literal["traces", "metrics", "logs"]


class TelemetrySettings(BaseSettings):
    """The variables that decide which providers the app makes, as FastAPI reads them."""

    # Unset and empty are the same: compose passes `${OTEL_...:-}` through as "".
    model_config = SettingsConfigDict(frozen=True, env_ignore_empty=True)

    fastapi_otel_auto_configure: str = ""
    otel_traces_exporter: str = "otlp"
    otel_metrics_exporter: str = "otlp"
    otel_logs_exporter: str = "otlp"

    def selects(self, signal: Signal) -> bool:
        """Whether FastAPI is to record this signal: switched on, and its exporter not
        `none` (an unsupported one is FastAPI's to report)."""
        exporter: str = getattr(self, f"otel_{signal}_exporter")
        return (
            self.fastapi_otel_auto_configure.lower() == "true"
            and exporter.strip().lower() != "none"
        )


def telemetry_config(settings: TelemetrySettings) -> TelemetryConfig:
    """FastAPI's `telemetry=`: providers for the selected signals, or FastAPI's default
    (telemetry only where the process configured OpenTelemetry itself)."""
    config: TelemetryConfig = {"exclude": unobserved, "operation_spans": False}
    selected = [s for s in ("traces", "metrics", "logs") if settings.selects(s)]
    if not selected:
        return config
    # Only a process that exports loads the SDK.
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415 - public while experimental
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415

    package = metadata(DISTRIBUTION)
    defaults = {"service.name": package["Name"], "service.version": package["Version"]}
    # The variables' attributes win over the package's.
    resource = Resource.create(defaults).merge(OTELResourceDetector().detect())
    config["auto_configure"] = True
    config["tracing"] = "traces" in selected
    config["metrics"] = "metrics" in selected
    config["logs"] = "logs" in selected
    if "traces" in selected:
        config["tracer_provider"] = TracerProvider(resource=resource)
    if "metrics" in selected:
        config["meter_provider"] = MeterProvider(resource=resource)
    if "logs" in selected:
        config["logger_provider"] = LoggerProvider(resource=resource)
    return config
