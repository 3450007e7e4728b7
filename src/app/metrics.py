"""Prometheus metrics: request count and duration by route and status, and the process's.

With several workers (WEB_CONCURRENCY), a scrape reaches one of them, so each worker
writes its numbers to files in PROMETHEUS_MULTIPROC_DIR (the image sets it) and a
scrape adds up the files of every worker, those of a worker that has since been
replaced included. Without that variable (`fastapi dev`, tests) the numbers are the
process's own.
"""

import multiprocessing
import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# OpenTelemetry's names (http.server.request.duration, in seconds, and its attributes)
# in Prometheus's spelling, with the buckets the HTTP semantic conventions advise.
DURATION = "http_server_request_duration_seconds"
LABELS = ("http_request_method", "http_route", "http_response_status_code")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# Any other method is counted as _OTHER, as OpenTelemetry does: a client cannot make
# up new series by sending made-up methods.
_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})


def method_label(method: str) -> str:
    """The request method as both metrics name it: a known one, or _OTHER."""
    return method if method in _METHODS else "_OTHER"


def _multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROCESS_DIR)
    return Path(value) if value else None


def prepare_multiprocess_dir() -> None:
    """Before the server starts: create the directory, and in the server's first process
    empty it, so that no file of an earlier run (a restarted container keeps its /tmp
    volume in Kubernetes) adds to this run's numbers. Workers leave it as it is."""
    directory = _multiprocess_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if multiprocessing.parent_process() is None:
            for stale in directory.glob("*.db"):
                stale.unlink()
    except OSError as error:
        msg = f"invalid configuration: {MULTIPROCESS_DIR}: {directory}: {error.strerror}"
        raise SystemExit(msg) from None


class RequestMetrics:
    """The request histogram of one app, and the exposition of it with the process's."""

    def __init__(self) -> None:
        self._directory = _multiprocess_dir()
        # In multi-process mode the values live in files; no registry of this process
        # collects them, a scrape reads them all.
        self._registry = None if self._directory else CollectorRegistry()
        self._duration = Histogram(
            DURATION,
            "Duration of HTTP server requests.",
            LABELS,
            buckets=BUCKETS,
            registry=self._registry,
        )
        if self._registry is not None:
            ProcessCollector(registry=self._registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._duration.labels(method_label(method), route, str(status)).observe(seconds)

    def exposition(self) -> bytes:
        """The text a scrape receives."""
        registry = self._registry
        if registry is None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=str(self._directory))  # type: ignore[no-untyped-call]
            # The worker that answers the scrape: its memory, CPU time and open files.
            ProcessCollector(registry=registry)
        return generate_latest(registry)
