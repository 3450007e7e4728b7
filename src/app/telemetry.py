"""FastAPI's own OpenTelemetry, over OTLP/HTTP, switched on by the standard variables only.

Off unless FASTAPI_OTEL_AUTO_CONFIGURE=true and an OTLP endpoint are set (and
OTEL_SDK_DISABLED is not true); then FastAPI adds the exporters to providers made here,
whose resource names this package (service.name, service.version) unless
OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise. The request duration is
this app's (app.duration), exported by the SDK's OTLP exporter. The variables FastAPI,
the SDK and this module read are checked first: a wrong one stops the process with one
line, instead of a warning and a service that exports nothing.
"""

import random
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from importlib.metadata import metadata
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi.telemetry import TelemetryConfig
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.metrics import BUCKETS as DURATION_BUCKETS
from app.metrics import method_label
from app.unobserved import unobserved

if TYPE_CHECKING:
    # Only a process that exports loads the SDK, app.duration included.
    from app.duration import DurationExport, DurationHistogram


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


DISTRIBUTION = "fastapi-service"
Signal = Literal["traces", "metrics", "logs"]
Exporter = Literal["otlp", "none"]
# The only transport FastAPI's automatic set-up (and the image) has.
OtlpProtocol = Annotated[Literal["http/protobuf"], BeforeValidator(_lower)]
# For a histogram, delta and lowmemory both mean delta (the OTLP exporter's reading).
Temporality = Annotated[Literal["cumulative", "delta", "lowmemory"], BeforeValidator(_lower)]
Sampler = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]


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
    otel_exporter_otlp_protocol: OtlpProtocol = "http/protobuf"
    otel_exporter_otlp_traces_protocol: OtlpProtocol | None = None
    otel_exporter_otlp_metrics_protocol: OtlpProtocol | None = None
    otel_exporter_otlp_logs_protocol: OtlpProtocol | None = None
    otel_traces_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_metrics_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_logs_exporter: Annotated[Exporter, BeforeValidator(_lower)] = "otlp"
    otel_traces_sampler: Annotated[Sampler, BeforeValidator(_lower)] = "parentbased_always_on"
    otel_traces_sampler_arg: float | None = Field(default=None, ge=0, le=1)
    otel_exporter_otlp_metrics_temporality_preference: Temporality = "cumulative"
    otel_metric_export_interval: int = Field(default=60_000, gt=0)

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


_TRACEPARENT = re.compile(rb"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})")
_LOW_64_BITS = 2**64 - 1
# A sampling draw, not a secret: the fast generator (a system call per request otherwise).
_random_bits = random.Random().getrandbits  # noqa: S311


@dataclass
class Telemetry:
    """What one app exports: FastAPI's configuration (its server spans, its log events),
    and the request duration histogram, recorded by app.request_context."""

    fastapi: TelemetryConfig
    duration: "DurationHistogram | None" = None
    export: "DurationExport | None" = None

    def record(
        self, scope: MutableMapping[str, Any], route: str, status: int, seconds: float
    ) -> None:
        """http.server.request.duration, with the attributes the HTTP conventions require
        (app.duration makes them from this key)."""
        if self.duration is None or unobserved(scope):
            return
        key = (method_label(scope["method"]), scope.get("scheme", "http"), status, route)
        self.duration.record(key, seconds)

    def flush(self) -> None:
        """Export what was recorded: the metrics of every request served so far."""
        if self.export is not None:
            self.export.flush()


def _sampled(settings: TelemetrySettings) -> Callable[[MutableMapping[str, Any]], bool]:
    """Whether a request is traced, decided before FastAPI sees it, from the standard
    sampler variables: a caller's decision (its traceparent's flag) for the parentbased_
    samplers, else the ratio, on the trace id's low 64 bits as the SDK's ratio sampler
    decides (a random draw where no trace id came in)."""
    sampler = settings.otel_traces_sampler
    ratio = {"always_on": 1.0, "always_off": 0.0}.get(
        sampler.removeprefix("parentbased_"),
        1.0 if settings.otel_traces_sampler_arg is None else settings.otel_traces_sampler_arg,
    )
    bound = round(ratio * (_LOW_64_BITS + 1))
    follow_parent = sampler.startswith("parentbased_")

    def sampled(scope: MutableMapping[str, Any]) -> bool:
        for name, value in scope["headers"]:
            if name == b"traceparent":
                parent = _TRACEPARENT.match(value)
                if parent is None or parent[1] == b"0" * 32:
                    break
                if follow_parent:
                    return bool(int(parent[2], 16) & 1)
                return int(parent[1], 16) & _LOW_64_BITS < bound
        return _random_bits(64) < bound

    return sampled


def telemetry(settings: TelemetrySettings) -> Telemetry:
    """Everything off, unless the variables say export; then FastAPI's spans for the
    sampled requests, this module's duration histogram for every request."""
    if not settings.enabled:
        # Nothing would be exported: no per-request telemetry work at all.
        return Telemetry(
            fastapi={"tracing": False, "metrics": False, "logs": False, "auto_configure": False}
        )
    # Only a process that exports loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # noqa: PLC0415
        OTLPMetricExporter,
    )
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON  # noqa: PLC0415
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope  # noqa: PLC0415

    from app.duration import DurationExport, DurationHistogram  # noqa: PLC0415

    package = metadata(DISTRIBUTION)
    defaults = {"service.name": package["Name"], "service.version": package["Version"]}
    # The variables' attributes win over the package's.
    resource = Resource.create(defaults).merge(OTELResourceDetector().detect())
    # always_off traces nothing, whoever calls; parentbased_always_off follows callers.
    tracing = settings.exports("traces") and settings.otel_traces_sampler != "always_off"
    sampled = _sampled(settings)

    def exclude(scope: MutableMapping[str, Any]) -> bool:
        # An unsampled request skips FastAPI's telemetry entirely (README, "Observe it").
        return unobserved(scope) or (tracing and not sampled(scope))

    config: TelemetryConfig = {
        "auto_configure": True,
        "exclude": exclude,
        # A span per dependency, endpoint and serialization: twice the cost of the
        # request's own span (README, "Observe it"), for detail these handlers do not need.
        "operation_spans": False,
        "tracing": tracing,
        # Recorded by Telemetry.record: FastAPI's own costs several times as much.
        "metrics": False,
        "logs": settings.exports("logs"),
    }
    if tracing:
        # The sampling is decided in `exclude`: what reaches the SDK is to be recorded.
        config["tracer_provider"] = TracerProvider(resource=resource, sampler=ALWAYS_ON)
    if config["logs"]:
        config["logger_provider"] = LoggerProvider(resource=resource)
    found = Telemetry(fastapi=config)
    if settings.exports("metrics"):
        delta = settings.otel_exporter_otlp_metrics_temporality_preference != "cumulative"
        found.duration = DurationHistogram(DURATION_BUCKETS, delta=delta)
        found.export = DurationExport(
            found.duration,
            # The exporter reads its endpoint, headers and timeout from the variables.
            OTLPMetricExporter(),
            resource,
            InstrumentationScope(DISTRIBUTION, package["Version"]),
            interval=settings.otel_metric_export_interval / 1000,
        )
        found.export.start()
    return found
