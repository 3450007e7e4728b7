"""The OpenTelemetry Collector's configuration gets an OTLP-only backend the series
Prometheus gets: its Prometheus receiver scrapes what Prometheus scrapes."""

from typing import Any

import yaml

from testing.paths import PROJECT_ROOT


def _load(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / path).read_text())
    return loaded


def test_the_collector_scrapes_exactly_what_prometheus_scrapes() -> None:
    collector = _load("deploy/otel-collector/config.yaml")
    prometheus = _load("deploy/prometheus/prometheus.yml")
    scraped = collector["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert scraped == prometheus["scrape_configs"]


def test_the_scraped_series_leave_over_otlp() -> None:
    pipeline = _load("deploy/otel-collector/config.yaml")["service"]["pipelines"]["metrics"]
    assert pipeline == {"receivers": ["prometheus"], "exporters": ["otlphttp"]}
