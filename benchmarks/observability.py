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
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Run:
    """One loaded run: requests/s, and the CPU time per request (µs) of the server's
    container and of Docker's daemon (which handles every line the container writes),
    where this machine lets them be read (else NaN)."""

    requests_per_second: float
    server_us: float
    daemon_us: float


def _daemon_cpu_seconds() -> float:
    """User and system CPU seconds dockerd has used so far; NaN where it cannot be read."""
    found = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True, check=False)
    try:
        stat = Path(f"/proc/{found.stdout.split()[0]}/stat").read_text()
    except (IndexError, OSError):
        return math.nan
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _container_cpu_seconds(container_id: str) -> float:
    """CPU seconds the container's processes have used (cgroup v1 or v2); NaN elsewhere."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage")
    v2 = Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    if v2.exists():
        usage = dict(line.split() for line in v2.read_text().splitlines())
        return int(usage["usage_usec"]) / 1e6
    return math.nan


def _loaded_run(tag: str, options: tuple[str, ...], *, scraped: bool, seconds: float) -> Run:
    container = start(tag, "-e", "WEB_CONCURRENCY=1", *options)
    try:
        wrk(f"{container.base_url}{ITEM}", seconds=min(seconds, 2))  # warm-up, not counted
        before = _container_cpu_seconds(container.id), _daemon_cpu_seconds()
        if scraped:
            with _scraping(container.base_url):
                load = wrk(f"{container.base_url}{ITEM}", seconds)
        else:
            load = wrk(f"{container.base_url}{ITEM}", seconds)
        after = _container_cpu_seconds(container.id), _daemon_cpu_seconds()
    finally:
        remove(container)
    if not load.clean:
        msg = f"errors under load with {options}: {load}"
        raise RuntimeError(msg)
    requests = load.requests_per_second * max(1, round(seconds))
    return Run(
        load.requests_per_second,
        (after[0] - before[0]) / requests * 1e6,
        (after[1] - before[1]) / requests * 1e6,
    )


def observability(tag: str, repeats: int, seconds: float) -> dict[str, dict[str, float]]:
    """Each variant's median requests/s (`rps`) and the median of its per-repeat ratio to
    the baseline (`ratio`; the baseline's own is 1)."""
    with receiver(tag) as otlp:
        variants = _variants(otlp)
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        for repeat in range(repeats):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                options, scraped = variants[name]
                runs[name].append(_loaded_run(tag, options, scraped=scraped, seconds=seconds))
    baseline = [run.requests_per_second for run in runs[BASELINE]]
    return {
        name: {
            "rps": median([run.requests_per_second for run in values]),
            "ratio": median(
                [run.requests_per_second / base for run, base in zip(values, baseline, strict=True)]
            ),
            "server_us": median([run.server_us for run in values]),
            "daemon_us": median([run.daemon_us for run in values]),
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
