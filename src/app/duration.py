"""http.server.request.duration, aggregated here, exported by the OpenTelemetry SDK's
OTLP exporter as the SDK's own data.

The SDK's histogram copies and hashes the attributes and takes the aggregation's lock
for every request, the largest part of the metrics' cost (README, "Observe it"). This keeps
the same histogram (per attribute set: the count, the sum, the minimum, the maximum and
the count in each of the same buckets, a value on a boundary counted in the bucket it
closes) in a dict, and hands the exporter the MetricsData the SDK would build from it,
every OTEL_METRIC_EXPORT_INTERVAL milliseconds and whenever it is flushed.
"""

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import sleep, time_ns
from typing import Protocol

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExportResult,
    MetricsData,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

NAME = "http.server.request.duration"
# (http.request.method, url.scheme, http.response.status_code, http.route or "")
type Key = tuple[str, str, int, str]


@dataclass
class _Series:
    buckets: list[int]
    started: int
    count: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")


def attributes_of(key: Key) -> dict[str, str | int]:
    """The attributes the HTTP conventions require, from a series' key."""
    method, scheme, status, route = key
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.scheme": scheme,
        "http.response.status_code": status,
    }
    if route:
        attributes["http.route"] = route
    if status >= 500:
        attributes["error.type"] = str(status)
    return attributes


@dataclass
class DurationHistogram:
    """The request durations, per attribute set, since the start (cumulative) or since
    the last collection (delta)."""

    boundaries: Sequence[float]
    delta: bool = False
    _series: dict[Key, _Series] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_collection: int = field(default_factory=time_ns)

    def record(self, key: Key, seconds: float) -> None:
        bucket = bisect_left(self.boundaries, seconds)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series([0] * (len(self.boundaries) + 1), time_ns())
            series.buckets[bucket] += 1
            series.count += 1
            series.total += seconds
            series.low = min(series.low, seconds)
            series.high = max(series.high, seconds)

    def collect(self) -> list[HistogramDataPoint]:
        """One data point per attribute set, as the SDK's explicit-bucket histogram has it."""
        now = time_ns()
        with self._lock:
            series = self._series
            since = self._last_collection
            self._last_collection = now
            if self.delta:
                self._series = {}
            points = [
                HistogramDataPoint(
                    attributes=attributes_of(key),
                    start_time_unix_nano=since if self.delta else one.started,
                    time_unix_nano=now,
                    count=one.count,
                    sum=one.total,
                    bucket_counts=list(one.buckets),
                    explicit_bounds=list(self.boundaries),
                    min=one.low,
                    max=one.high,
                )
                for key, one in series.items()
            ]
        return points


class Exporter(Protocol):
    """The part of the SDK's OTLPMetricExporter this module uses."""

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = ...
    ) -> MetricExportResult: ...


@dataclass
class DurationExport:
    """Export the histogram every `interval` seconds, and on `flush`, from one thread."""

    histogram: DurationHistogram
    exporter: Exporter
    resource: Resource
    scope: InstrumentationScope
    interval: float
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Export every `interval` seconds for as long as the process lives (a flush at
        shutdown sends the rest)."""
        threading.Thread(target=self._periodically, name="metrics", daemon=True).start()

    def flush(self) -> None:
        """Export what was recorded until now. One export at a time, collected and sent
        under one lock, so a cumulative point never reaches the collector after a newer one."""
        with self._lock:
            self._export(self.histogram.collect())

    def _export(self, points: list[HistogramDataPoint]) -> None:
        if not points:
            return
        temporality = (
            AggregationTemporality.DELTA
            if self.histogram.delta
            else AggregationTemporality.CUMULATIVE
        )
        metric = Metric(
            name=NAME,
            description="Duration of HTTP server requests.",
            unit="s",
            data=Histogram(data_points=points, aggregation_temporality=temporality),
        )
        data = MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource=self.resource,
                    scope_metrics=[ScopeMetrics(scope=self.scope, metrics=[metric], schema_url="")],
                    schema_url=self.resource.schema_url,
                )
            ]
        )
        self.exporter.export(data)

    def _periodically(self) -> None:
        while True:
            sleep(self.interval)
            self.flush()
