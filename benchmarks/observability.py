"""What the access log, telemetry and scrapes cost: requests/s with each on and off.

Every variant is a fresh container of the project's image with one worker, loaded with
wrk on /items/5?q=somequery; telemetry exports to a real OTLP/HTTP receiver. Within a
repeat the variants take turns around the baseline (everything off), in reverse order on
every other repeat; each variant's cost is the median, over the repeats, of its run
divided by the same repeat's baseline run. The machine's speed drifts by more than these
costs over a few minutes: a ratio of runs a minute apart, averaged over both orders,
divides most of that drift out, where a ratio of medians over the whole run does not.
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


BASELINE = "quiet"


def _variants(otlp: Receiver) -> dict[str, tuple[tuple[str, ...], bool]]:
    """name: (docker run options, whether /metrics is scraped every second meanwhile), in
    the order they run, the baseline in the middle."""
    return {
        "access_log_on": (("-e", "APP_ACCESS_LOG=true"), False),
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
        BASELINE: (QUIET, False),
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


def observability(tag: str, repeats: int, seconds: float) -> dict[str, dict[str, float]]:
    """Each variant's median requests/s (`rps`) and the median of its per-repeat ratio to
    the baseline (`ratio`; the baseline's own is 1)."""
    with receiver(tag) as otlp:
        variants = _variants(otlp)
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(repeats):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                options, scraped = variants[name]
                runs[name].append(
                    _requests_per_second(tag, options, scraped=scraped, seconds=seconds)
                )
    baseline = runs[BASELINE]
    return {
        name: {
            "rps": median(values),
            "ratio": median([run / base for run, base in zip(values, baseline, strict=True)]),
        }
        for name, values in runs.items()
    }


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
