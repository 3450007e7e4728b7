"""FastAPI's own OpenTelemetry, over OTLP/HTTP, switched on by the standard variables only.

Off unless FASTAPI_OTEL_AUTO_CONFIGURE=true and an OTLP endpoint are set (and
OTEL_SDK_DISABLED is not true); then FastAPI adds the exporters to providers made here,
whose resource names this package (service.name, service.version) unless
OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise. The variables FastAPI and
the SDK read are checked first: a wrong one stops the process with one line, instead
of a warning and a service that exports nothing.
"""

from importlib.metadata import metadata
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi.telemetry import TelemetryConfig
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.unobserved import unobserved

DISTRIBUTION = "fastapi-service"
Signal = Literal["traces", "metrics", "logs"]
Exporter = Literal["otlp", "none"]
# The only transport FastAPI's automatic set-up (and the image) has.
Protocol = Literal["http/protobuf"]
Sampler = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _absolute_http_url(value: str) -> str:
    parsed = urlsplit(value)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        msg = "must be an absolute http:// or https:// URL"
        raise ValueError(msg)
    return value


Url = Annotated[str, AfterValidator(_absolute_http_url)]


class TelemetrySettings(BaseSettings):
    """The OpenTelemetry variables, each under its standard name."""

    # Unset and empty are the same: compose passes `${OTEL_...:-}` through as "".
    model_config = SettingsConfigDict(frozen=True, env_ignore_empty=True)

    fastapi_otel_auto_configure: bool = False
    otel_sdk_disabled: bool = False
    otel_exporter_otlp_endpoint: Url | None = None
    otel_exporter_otlp_traces_endpoint: Url | None = None
    otel_exporter_otlp_metrics_endpoint: Url | None = None
    otel_exporter_otlp_logs_endpoint: Url | None = None
    otel_exporter_otlp_protocol: Annotated[Protocol, BeforeValidator(_lower)] = "http/protobuf"
    otel_exporter_otlp_traces_protocol: Annotated[Protocol, BeforeValidator(_lower)] | None = None
    otel_exporter_otlp_metrics_protocol: Annotated[Protocol, BeforeValidator(_lower)] | None = None
    otel_exporter_otlp_logs_protocol: Annotated[Protocol, BeforeValidator(_lower)] | None = None
    otel_traces_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_metrics_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_logs_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_traces_sampler: Annotated[Sampler, BeforeValidator(_lower)] = "parentbased_always_on"
    otel_traces_sampler_arg: float | None = Field(default=None, ge=0, le=1)

    def exports(self, signal: Signal) -> bool:
        """Whether FastAPI will export this signal: switched on, with an endpoint."""
        if not self.fastapi_otel_auto_configure or self.otel_sdk_disabled:
            return False
        exporter: Exporter = getattr(self, f"otel_{signal}_exporter")
        specific = getattr(self, f"otel_exporter_otlp_{signal}_endpoint")
        return exporter == "otlp" and bool(specific or self.otel_exporter_otlp_endpoint)

    @property
    def enabled(self) -> bool:
        return any(self.exports(signal) for signal in ("traces", "metrics", "logs"))


def telemetry_config(settings: TelemetrySettings) -> TelemetryConfig:
    """What `FastAPI(telemetry=...)` gets: everything off, unless the variables say export."""
    if not settings.enabled:
        # Nothing would be exported: no per-request telemetry work at all.
        return {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}
    # Only a process that exports loads the SDK.
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415

    package = metadata(DISTRIBUTION)
    defaults = {"service.name": package["Name"], "service.version": package["Version"]}
    # The variables' attributes win over the package's.
    resource = Resource.create(defaults).merge(OTELResourceDetector().detect())
    config: TelemetryConfig = {
        "auto_configure": True,
        "exclude": unobserved,
        # A span per dependency, endpoint and serialization: several times the cost of
        # the request's own span (README, "Observe it"), for detail this service's
        # handlers do not need.
        "operation_spans": False,
        "tracing": settings.exports("traces"),
        "metrics": settings.exports("metrics"),
        "logs": settings.exports("logs"),
    }
    if config["tracing"]:
        # The sampler comes from OTEL_TRACES_SAMPLER and its argument, checked above.
        config["tracer_provider"] = TracerProvider(resource=resource)
    if config["metrics"]:
        config["meter_provider"] = MeterProvider(resource=resource)
    if config["logs"]:
        config["logger_provider"] = LoggerProvider(resource=resource)
    return config
