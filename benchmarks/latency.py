"""Paced latency: requests that arrive on their own schedule, against bare FastAPI.

    uv run python -m benchmarks.latency [--repeats 3] [--duration 10] [--write FILE]
    uv run python -m benchmarks.latency --smoke     (one short run of each: does it work?)

Needs Docker and vegeta (`go install github.com/tsenart/vegeta/v12@v12.13.0`).
First vegeta measures the floor's capacity as it can load it from where it runs, with 64
workers as fast as answers come back: bare FastAPI with the service's routes
(`benchmarks/bare/bare_fastapi.py`) in the project's image, one worker. Then it sends
/items/5?q=somequery at 50 % and 80 % of it, open loop: each request leaves at its
scheduled time, on a new worker if every other one still waits for a response, over at
most 64 connections (a request that finds them all busy waits for one), and its latency
runs from its scheduled time, so a slow response never delays the next request and every
wait is counted (no coordinated omission). vegeta paces at a constant rate rather than
with Poisson arrivals; it is the tool made for open-loop HTTP load.
Three configurations take turns in each repeat: the floor, the image's defaults, and the
image with its access line and metrics off. Where the machine has two cores, the server's
container has the first and the load generator the second.
"""

import argparse
import csv
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.measure import ITEM
from benchmarks.subjects import PROJECT
from testing.docker import docker, remove, start
from testing.paths import PROJECT_ROOT, run_id
from testing.results import write
from testing.wrk import CONNECTIONS

BARE = Path(__file__).resolve().parent / "bare"
FLOOR = "bare FastAPI, same routes, same image (the floor)"
DEFAULTS = "the image's defaults"
QUIET = "access line and metrics off"
CONFIGURATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    FLOOR: (
        ("-v", f"{BARE}:/bare:ro", "-e", "PYTHONPATH=/bare"),
        ("fastapi", "run", "--entrypoint", "bare_fastapi:app"),
    ),
    DEFAULTS: ((), ()),
    QUIET: (("-e", "APP_ACCESS_LOG=false", "-e", "APP_METRICS_ENABLED=false"), ()),
}
LOADS = (0.5, 0.8)
# The goal: the service's p99 at half the floor's capacity, within this of the floor's.
P99_GOAL = 1.2


def _cpus() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """docker run options and the generator's command prefix that keep them apart."""
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ("--cpuset-cpus", "0"), ("taskset", "-c", "1")
    return (), ()


def _capacity(tag: str, seconds: float) -> float:
    """The floor's requests/s as this generator, where it runs, can load it: vegeta with 64
    workers as fast as answers come back (closed loop), median of three."""
    options, command = CONFIGURATIONS[FLOOR]
    container = start(tag, "-e", "WEB_CONCURRENCY=1", *_cpus()[0], *options, command=command)
    try:
        url = f"{container.base_url}{ITEM}"
        closed = ("-rate=0", f"-max-workers={CONNECTIONS}")
        _attack(url, closed, min(seconds, 2))  # warm-up, not counted
        runs = []
        for _ in range(3):
            report = subprocess.run(
                ["vegeta", "report", "-type=json"],
                input=_attack(url, closed, seconds),
                capture_output=True,
                check=True,
                timeout=120,
            )
            runs.append(float(json.loads(report.stdout)["throughput"]))
        return statistics.median(runs)
    finally:
        remove(container)


def _attack(url: str, pacing: tuple[str, ...], seconds: float) -> bytes:
    """vegeta's encoded results of GETs of `url` for `seconds`, paced as `pacing` says."""
    attack = [*_cpus()[1], "vegeta", "attack", *pacing, f"-duration={seconds}s", "-timeout=10s"]
    return subprocess.run(
        attack,
        input=f"GET {url}\n".encode(),
        capture_output=True,
        check=True,
        timeout=seconds + 60,
    ).stdout


def _paced(url: str, rate: int, seconds: float) -> list[tuple[int, float]]:
    """vegeta at `rate` requests/s for `seconds`: each request's status and latency (ms)."""
    encoded = subprocess.run(
        ["vegeta", "encode", "--to", "csv"],
        # At most 64 connections, as when the capacity was measured: a request that finds
        # them all busy waits for one, and vegeta's clock, started at the request's
        # scheduled time, counts the wait.
        input=_attack(url, (f"-rate={rate}/s", f"-max-connections={CONNECTIONS}"), seconds),
        capture_output=True,
        check=True,
        timeout=120,
    )
    # timestamp, status code, latency (ns), bytes out, bytes in, error, body, ...
    rows = csv.reader(io.StringIO(encoded.stdout.decode()))
    return [(int(row[1]), int(row[2]) / 1e6) for row in rows]


def _percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` (0.5, 0.99, 0.999) of them lie, as the standard
    library's quantiles cut them; NaN when no request succeeded."""
    if len(values) < 2:  # quantiles needs two points to cut between
        return values[0] if values else math.nan
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return cuts[round(fraction * 1000) - 1]


def _run(tag: str, configuration: str, rate: int, seconds: float) -> dict[str, float]:
    options, command = CONFIGURATIONS[configuration]
    container = start(tag, "-e", "WEB_CONCURRENCY=1", *_cpus()[0], *options, command=command)
    try:
        url = f"{container.base_url}{ITEM}"
        _paced(url, rate, min(seconds, 2))  # warm-up, not counted
        results = _paced(url, rate, seconds)
    finally:
        remove(container)
    latencies = [ms for status, ms in results if status == 200]
    return {
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "p99.9": _percentile(latencies, 0.999),
        "failed": len(results) - len(latencies),
    }


def latency(
    tag: str, repeats: int, seconds: float
) -> tuple[float, dict[tuple[float, str], dict[str, float]]]:
    """The floor's capacity, and per (load, configuration) the median of each figure."""
    capacity = _capacity(tag, seconds)
    runs: dict[tuple[float, str], list[dict[str, float]]] = {
        (load, name): [] for load in LOADS for name in CONFIGURATIONS
    }
    for repeat in range(repeats):
        names = list(CONFIGURATIONS) if repeat % 2 == 0 else list(reversed(CONFIGURATIONS))
        for load in LOADS:
            for name in names:
                runs[load, name].append(_run(tag, name, round(load * capacity), seconds))
    medians = {
        key: {figure: statistics.median(r[figure] for r in values) for figure in values[0]}
        for key, values in runs.items()
    }
    return capacity, medians


def report(
    capacity: float,
    figures: dict[tuple[float, str], dict[str, float]],
    repeats: int,
    seconds: float,
) -> str:
    lines = [
        "| load | configuration | p50, ms | p99, ms | p99.9, ms | failed | p99 / the floor's |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (load, name), f in figures.items():
        ratio = f["p99"] / figures[load, FLOOR]["p99"]
        lines.append(
            f"| {load:.0%} ({round(load * capacity)}/s) | {name} | {f['p50']:.2f} | "
            f"{f['p99']:.2f} | {f['p99.9']:.2f} | {f['failed']:.0f} | {ratio:.2f} |"
        )
    half = {
        name: figures[LOADS[0], name]["p99"] / figures[LOADS[0], FLOOR]["p99"]
        for name in (DEFAULTS, QUIET)
    }
    verdicts = ", ".join(
        f"{name} {ratio:.2f} ({'met' if ratio <= P99_GOAL else 'missed'})"
        for name, ratio in half.items()
    )
    lines += [
        "",
        f"The floor's capacity: {capacity:.0f} requests/s (vegeta, 64 workers, closed loop, "
        "one worker of the server). "
        f"Each row is the median of {repeats} runs of {seconds:g} s at a constant rate "
        "(vegeta, open loop), the configurations in turns. A failed request had no answer "
        "within vegeta's 10 s timeout: beyond a server's capacity the waiting only grows; "
        "the percentiles are of the answered ones.",
        f"Goal: p99 at 50 % load within {P99_GOAL} times the floor's: {verdicts}.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Paced latency against bare FastAPI.")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (median)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per paced run")
    parser.add_argument("--smoke", action="store_true", help="one repeat of 1 s runs")
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    args = parser.parse_args()
    repeats, seconds = (1, 1.0) if args.smoke else (args.repeats, args.duration)
    tag = f"{PROJECT.repository}:bench-{run_id()}"
    docker("buildx", "build", "--load", "-q", "-t", tag, str(PROJECT_ROOT), timeout=1800)
    try:
        capacity, figures = latency(tag, repeats, seconds)
    finally:
        docker("image", "rm", "--force", tag, check=False)
    body = report(capacity, figures, repeats, seconds)
    print(body)
    if args.write:
        write(args.write, "Paced latency against bare FastAPI", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
