"""The request duration histogram: the same data points the OpenTelemetry SDK's own
explicit-bucket histogram makes from the same recordings, cumulative or delta. (Both get
the attributes from app.duration.attributes_of; tests/test_telemetry.py states them.)"""

from typing import Any

import pytest
from opentelemetry.sdk.metrics import Histogram as HistogramInstrument
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    InMemoryMetricReader,
)

from app.duration import DurationHistogram, Key, attributes_of
from app.metrics import BUCKETS

# Values on, just below and just above bucket boundaries, two attribute sets, a 5xx.
RECORDINGS: list[tuple[Key, float]] = [
    (("GET", "http", 200, "/items/{item_id}"), 0.005),
    (("GET", "http", 200, "/items/{item_id}"), 0.0050001),
    (("GET", "http", 200, "/items/{item_id}"), 0.0049999),
    (("GET", "http", 200, "/items/{item_id}"), 12.0),
    (("GET", "http", 200, "/items/{item_id}"), 0.0),
    (("POST", "https", 503, ""), 0.25),
    (("POST", "https", 503, ""), 0.75),
]


def _sdk(temporality: AggregationTemporality) -> tuple[InMemoryMetricReader, Any]:
    reader = InMemoryMetricReader(preferred_temporality={HistogramInstrument: temporality})
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    histogram = meter.create_histogram(
        "http.server.request.duration", unit="s", explicit_bucket_boundaries_advisory=BUCKETS
    )
    return reader, histogram


def _sdk_points(reader: InMemoryMetricReader) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    if data is None:
        return []
    (metric,) = data.resource_metrics[0].scope_metrics[0].metrics
    assert isinstance(metric.data, Histogram)
    return list(metric.data.data_points)


def _essence(points: list[HistogramDataPoint]) -> list[tuple[Any, ...]]:
    """What a backend reads from a point, timestamps aside (checked separately)."""
    return sorted(
        (
            tuple(sorted((point.attributes or {}).items())),
            point.count,
            round(point.sum, 9),
            tuple(point.bucket_counts),
            tuple(point.explicit_bounds),
            point.min,
            point.max,
        )
        for point in points
    )


@pytest.mark.parametrize("delta", [False, True], ids=["cumulative", "delta"])
def test_the_points_equal_the_sdk_s_for_the_same_recordings(delta: bool) -> None:
    temporality = AggregationTemporality.DELTA if delta else AggregationTemporality.CUMULATIVE
    reader, sdk = _sdk(temporality)
    ours = DurationHistogram(BUCKETS, delta=delta)
    for rounds in (RECORDINGS, RECORDINGS[:2], []):
        for key, seconds in rounds:
            sdk.record(seconds, attributes_of(key))
            ours.record(key, seconds)
        assert _essence(ours.collect()) == _essence(_sdk_points(reader))


def test_cumulative_points_start_at_their_first_recording_and_end_at_the_collection() -> None:
    ours = DurationHistogram(BUCKETS)
    ours.record(RECORDINGS[0][0], 0.1)
    (first,) = ours.collect()
    ours.record(RECORDINGS[0][0], 0.1)
    (second,) = ours.collect()
    assert first.start_time_unix_nano == second.start_time_unix_nano < first.time_unix_nano
    assert first.time_unix_nano < second.time_unix_nano
    assert (first.count, second.count) == (1, 2)


def test_delta_points_start_where_the_last_collection_ended() -> None:
    ours = DurationHistogram(BUCKETS, delta=True)
    ours.record(RECORDINGS[0][0], 0.1)
    (first,) = ours.collect()
    assert ours.collect() == []
    ours.record(RECORDINGS[0][0], 0.2)
    (third,) = ours.collect()
    assert third.start_time_unix_nano > first.time_unix_nano
    assert (first.count, third.count, third.sum) == (1, 1, 0.2)
