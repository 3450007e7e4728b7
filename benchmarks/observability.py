"""What the access log, /metrics and traces each add to a request, in the container.

Every variant is a fresh container of the project's image with one worker, loaded with
wrk on /items/5?q=somequery; telemetry exports to a real OTLP/HTTP receiver. Within a
repeat the variants take turns around the baseline (everything off), in reverse order on
every other repeat. A variant adds, in that repeat, the difference between its time per
request (the inverse of its throughput: the server is saturated) and the baseline's;
its figure is the median of those differences over the repeats. The CPU time of the
server's container per request is read around each run as well.

    uv run python -m benchmarks.observability [--repeats 3] [--duration 10] [--write FILE]
"""

import argparse
import math
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.measure import ITEM, median
from benchmarks.subjects import PROJECT
from testing.docker import docker, remove, start
from testing.otlp import Receiver, exporting_to, receiver
from testing.paths import PROJECT_ROOT, run_id
from testing.results import write
from testing.wrk import wrk

QUIET = ("-e", "APP_ACCESS_LOG=false", "-e", "APP_METRICS_ENABLED=false")
BARE = Path(__file__).resolve().parent / "bare"
BASELINE = "everything off"
FLOOR = "a bare FastAPI app, same routes, same image"
BARE_LOGGED = "a bare FastAPI app under `fastapi run`'s default access log"
DEFAULTS = "the image's defaults (JSON access line, /metrics recording)"
_BARE_RUN = ("-v", f"{BARE}:/bare:ro", "-e", "PYTHONPATH=/bare")
_BARE_COMMAND = ("fastapi", "run", "--entrypoint", "bare_fastapi:app")
# The target for what each variant adds, in µs per request (0: nothing measurable).
TARGETS = {
    "access log": 15.0,
    "/metrics recording": 15.0,
    "traces off (OpenTelemetry on, every exporter none)": 0.0,
    "traces, 10 % sampled": 30.0,
}


@dataclass(frozen=True)
class Variant:
    """`docker run` options and command, and whether /metrics is scraped meanwhile."""

    options: tuple[str, ...]
    command: tuple[str, ...] = ()
    scraped: bool = False


def _variants(otlp: Receiver) -> dict[str, Variant]:
    """Every variant, in the order they run, the baseline in the middle."""

    def exporting(**variables: str) -> tuple[str, ...]:
        # Where Prometheus scrapes, OTLP metrics are off (compose's default).
        return (*QUIET, *exporting_to(otlp, **{"OTEL_METRICS_EXPORTER": "none", **variables}))

    return {
        DEFAULTS: Variant(()),
        BARE_LOGGED: Variant((*_BARE_RUN, "-e", "BARE_ACCESS_LOG=true"), _BARE_COMMAND),
        "access log": Variant(("-e", "APP_ACCESS_LOG=true", "-e", "APP_METRICS_ENABLED=false")),
        "/metrics recording": Variant(("-e", "APP_ACCESS_LOG=false")),
        "/metrics recording, scraped every second": Variant(
            ("-e", "APP_ACCESS_LOG=false"), scraped=True
        ),
        "traces off (OpenTelemetry on, every exporter none)": Variant(
            exporting(OTEL_TRACES_EXPORTER="none", OTEL_LOGS_EXPORTER="none")
        ),
        BASELINE: Variant(QUIET),
        "traces, 10 % sampled": Variant(
            exporting(OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0.1")
        ),
        "traces, every request": Variant(exporting(OTEL_TRACES_SAMPLER="always_on")),
        "OTLP metrics (FastAPI's, through the SDK)": Variant(
            exporting(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="otlp")
        ),
        FLOOR: Variant(_BARE_RUN, _BARE_COMMAND),
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
    """User and system CPU seconds Docker's daemon (the one this benchmark talks to, by its
    pid file) has used so far; NaN where it cannot be read."""
    try:
        pid = Path("/var/run/docker.pid").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
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


def _loaded_run(tag: str, variant: Variant, seconds: float) -> Run:
    container = start(tag, "-e", "WEB_CONCURRENCY=1", *variant.options, command=variant.command)
    try:
        wrk(f"{container.base_url}{ITEM}", seconds=min(seconds, 2))  # warm-up, not counted
        before = _container_cpu_seconds(container.id), _daemon_cpu_seconds()
        if variant.scraped:
            with _scraping(container.base_url):
                load = wrk(f"{container.base_url}{ITEM}", seconds)
        else:
            load = wrk(f"{container.base_url}{ITEM}", seconds)
        after = _container_cpu_seconds(container.id), _daemon_cpu_seconds()
    finally:
        remove(container)
    if not load.clean:
        msg = f"errors under load with {variant}: {load}"
        raise RuntimeError(msg)
    requests = load.requests_per_second * max(1, round(seconds))
    return Run(
        load.requests_per_second,
        (after[0] - before[0]) / requests * 1e6,
        (after[1] - before[1]) / requests * 1e6,
    )


def observability(tag: str, repeats: int, seconds: float) -> dict[str, dict[str, float]]:
    """Per variant, medians over the repeats: requests/s (`rps`), µs per request it adds to
    the baseline of its own repeat (`added_us`), the server container's CPU µs per request
    (`server_us`) and Docker's daemon's (`daemon_us`). The baseline's `spread_us` is how
    far its own runs' µs per request lie apart: what "nothing measurable" means."""
    with receiver(tag) as otlp:
        variants = _variants(otlp)
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        for repeat in range(repeats):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                runs[name].append(_loaded_run(tag, variants[name], seconds))
    base = [1e6 / run.requests_per_second for run in runs[BASELINE]]
    figures = {
        name: {
            "rps": median([run.requests_per_second for run in values]),
            "added_us": median(
                [1e6 / run.requests_per_second - b for run, b in zip(values, base, strict=True)]
            ),
            "server_us": median([run.server_us for run in values]),
            "daemon_us": median([run.daemon_us for run in values]),
        }
        for name, values in runs.items()
    }
    figures[BASELINE]["spread_us"] = max(base) - min(base)
    return figures


def _floor_goals(figures: dict[str, dict[str, float]]) -> dict[str, tuple[float, str, bool]]:
    """Per configuration with a goal against the floor: its requests/s over the floor's,
    the goal, and whether it is met."""
    floor = figures[FLOOR]["rps"]
    defaults = figures[DEFAULTS]["rps"] / floor
    logged = figures[BARE_LOGGED]["rps"] / floor
    quiet = figures[BASELINE]["rps"] / floor
    return {
        DEFAULTS: (defaults, f">= {logged:.2f} (`fastapi run`'s default)", defaults >= logged),
        BASELINE: (quiet, ">= 0.95", quiet >= 0.95),
    }


def observability_misses(results: dict[str, Any]) -> list[str]:
    """Each variant whose µs added per request misses its target, and each configuration
    below its goal against bare FastAPI (benchmarks/observability.py)."""
    figures = results["observability"]
    noise = figures[BASELINE]["spread_us"]
    misses = []
    for name, target in TARGETS.items():
        added = figures[name]["added_us"]
        if (abs(added) > noise) if target == 0 else (added > target):
            misses.append(f"{name}: {added:+.1f} µs a request (target {_target(target)})")
    for name, (ratio, goal, met) in _floor_goals(figures).items():
        if not met:
            misses.append(f"{name}: {ratio:.2f} of bare FastAPI's requests/s (goal {goal})")
    return misses


def floor_table(results: dict[str, Any]) -> str:
    """Throughput against bare FastAPI in the same image, one worker: the floor."""
    figures = results["observability"]
    goals = _floor_goals(figures)
    floor = figures[FLOOR]["rps"]
    lines = [
        "| configuration | requests/s | / bare FastAPI | goal | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in (FLOOR, BARE_LOGGED, DEFAULTS, "/metrics recording", BASELINE):
        ratio, goal, met = goals.get(name, (figures[name]["rps"] / floor, "", None))
        shown = "" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {figures[name]['rps']:.0f} | {ratio:.2f} | {goal} | {shown} |")
    return "\n".join(lines)


def _target(target: float | None) -> str:
    if target is None:
        return ""
    return "0 (within noise)" if target == 0 else f"<= {target:g}"


def observability_table(results: dict[str, Any]) -> str:
    """What observing the service costs: µs each part adds to a request, against targets."""
    figures = results["observability"]
    missed_names = {miss.split(":")[0] for miss in observability_misses(results)}
    lines = [
        "| variant | requests/s | added, µs a request | target, µs | met | server CPU, µs |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, f in figures.items():
        target = TARGETS.get(name)
        met = "" if target is None else ("**no**" if name in missed_names else "yes")
        added = "" if name == BASELINE else f"{f['added_us']:+.1f}"
        lines.append(
            f"| {name} | {f['rps']:.0f} | {added} | {_target(target)} | {met} | "
            f"{f['server_us']:.1f} |"
        )
    lines += [
        "",
        f"The baseline's own runs lie {figures[BASELINE]['spread_us']:.1f} µs a request apart: "
        'what "within noise" means. Docker\'s daemon, which handles every line a container '
        "writes, adds "
        f"{figures['access log']['daemon_us'] - figures[BASELINE]['daemon_us']:.1f} µs of its "
        "own CPU per access line.",
    ]
    return "\n".join(lines)


def main() -> int:
    """`uv run python -m benchmarks.observability`: these figures alone, on an image built
    from the working tree."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (median)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    args = parser.parse_args()
    tag = f"{PROJECT.repository}:bench-{run_id()}"
    docker("buildx", "build", "--load", "-q", "-t", tag, str(PROJECT_ROOT), timeout=1800)
    try:
        figures = observability(tag, args.repeats, args.duration)
    finally:
        docker("image", "rm", "--force", tag, check=False)
    results = {"observability": figures}
    table = floor_table(results) + "\n\n" + observability_table(results)
    print(table)
    if args.write:
        write(args.write, "What observing a request costs, in the container", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
