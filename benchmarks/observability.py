"""What the access log, telemetry and scrapes cost: requests/s with each on and off.

Every variant is a fresh container of the project's image with one worker, loaded with
wrk on /items/5?q=somequery; the variants take turns within each repeat, so that a slow
spell of the machine hits them alike. Telemetry exports to a real OTLP/HTTP receiver.
"""

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from benchmarks.measure import ITEM, median
from benchmarks.report import observability_table
from benchmarks.subjects import PROJECT
from testing.docker import docker, remove, start
from testing.otlp import Receiver, exporting_to, receiver
from testing.paths import PROJECT_ROOT, run_id
from testing.wrk import wrk

QUIET = ("-e", "APP_ACCESS_LOG=false")
# The sampling the README recommends (and compose sets): a tenth of the traces.
RECOMMENDED_SAMPLING = {
    "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG": "0.1",
}


def _variants(otlp: Receiver) -> dict[str, tuple[tuple[str, ...], bool]]:
    """name: (docker run options, whether /metrics is scraped every second meanwhile)."""
    return {
        "access_log_on": (("-e", "APP_ACCESS_LOG=true"), False),
        "quiet": (QUIET, False),
        "telemetry_on": ((*QUIET, *exporting_to(otlp, **RECOMMENDED_SAMPLING)), False),
        "telemetry_one_percent": (
            (
                *QUIET,
                *exporting_to(
                    otlp,
                    OTEL_TRACES_SAMPLER="parentbased_traceidratio",
                    OTEL_TRACES_SAMPLER_ARG="0.01",
                ),
            ),
            False,
        ),
        "telemetry_all_traces": (
            (*QUIET, *exporting_to(otlp, OTEL_TRACES_SAMPLER="parentbased_always_on")),
            False,
        ),
        "telemetry_metrics_only": (
            (
                *QUIET,
                *exporting_to(otlp, OTEL_TRACES_EXPORTER="none", OTEL_LOGS_EXPORTER="none"),
            ),
            False,
        ),
        "scraped": (QUIET, True),
    }


@contextmanager
def _scraping(base_url: str) -> Iterator[None]:
    """GET /metrics once a second, as Prometheus would, until the block ends."""
    done = threading.Event()

    def scrape() -> None:
        with httpx.Client(base_url=base_url, timeout=5) as client:
            while not done.wait(1):
                client.get("/metrics").raise_for_status()

    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        yield
    finally:
        done.set()
        scraper.join()


def _requests_per_second(
    tag: str, options: tuple[str, ...], *, scraped: bool, seconds: float
) -> float:
    container = start(tag, "-e", "WEB_CONCURRENCY=1", *options)
    try:
        wrk(f"{container.base_url}{ITEM}", seconds=min(seconds, 2))  # warm-up, not counted
        if scraped:
            with _scraping(container.base_url):
                load = wrk(f"{container.base_url}{ITEM}", seconds)
        else:
            load = wrk(f"{container.base_url}{ITEM}", seconds)
    finally:
        remove(container)
    if not load.clean:
        msg = f"errors under load with {options}: {load}"
        raise RuntimeError(msg)
    return load.requests_per_second


def observability(tag: str, repeats: int, seconds: float) -> dict[str, float]:
    """Median requests/s of each variant."""
    with receiver(tag) as otlp:
        variants = _variants(otlp)
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(repeats):
            for name, (options, scraped) in variants.items():
                runs[name].append(
                    _requests_per_second(tag, options, scraped=scraped, seconds=seconds)
                )
    return {name: median(values) for name, values in runs.items()}


def main() -> int:
    """`uv run python -m benchmarks.observability`: these figures alone, on an image built
    from the working tree."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (median)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    args = parser.parse_args()
    tag = f"{PROJECT.repository}:bench-{run_id()}"
    docker("buildx", "build", "--load", "-q", "-t", tag, str(PROJECT_ROOT), timeout=1800)
    try:
        figures = observability(tag, args.repeats, args.duration)
    finally:
        docker("image", "rm", "--force", tag, check=False)
    print(observability_table({"observability": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
