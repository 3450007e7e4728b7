"""RSS per worker at idle and under load, with one worker and with two.

    uv run python -m benchmarks.memory [--duration 10] [--workers 1 2] [--json FILE]

Builds the image, runs it once per worker count (no memory limit), reads each worker's
RSS at idle, then loads it with wrk (64 connections for --duration seconds on
/items/5?q=somequery), sampling every 0.5 s, and keeps the highest reading. Prints a
Markdown table.
"""

import argparse
import json
import shutil
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from testing.docker import docker, remove, start
from testing.inside import Sample, sample
from testing.paths import PROJECT_ROOT, run_id
from testing.results import write
from testing.units import mib
from testing.wrk import wrk


@dataclass(frozen=True)
class Row:
    workers: int
    idle_rss_per_worker_mib: list[float]
    load_rss_per_worker_mib: list[float]
    container_idle_mib: float
    container_peak_mib: float
    requests_per_second: float

    def markdown(self) -> str:
        cells = [
            str(self.workers),
            _list(self.idle_rss_per_worker_mib),
            _list(self.load_rss_per_worker_mib),
            str(self.container_idle_mib),
            str(self.container_peak_mib),
            f"{self.requests_per_second:.0f}",
        ]
        return "| " + " | ".join(cells) + " |"


HEADER = (
    "| workers | RSS per worker, idle (MiB) | RSS per worker, under load (MiB) "
    "| container, idle (MiB) | container, peak (MiB) | requests/s |\n"
    "| --- | --- | --- | --- | --- | --- |"
)


def measure(image: str, workers: int, seconds: int) -> Row:
    """Idle and under-load figures for one worker count."""
    container = start(image, "-e", f"WEB_CONCURRENCY={workers}")
    try:
        idle = sample(container)
        readings: list[Sample] = []
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.5):
                readings.append(sample(container))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            load = wrk(f"{container.base_url}/items/5?q=somequery", seconds)
        finally:
            done.set()
            watcher.join()
        after = sample(container)
        loaded = max([*readings, after], key=lambda s: sum(s.server_rss))
        return Row(
            workers=workers,
            idle_rss_per_worker_mib=[mib(r) for r in idle.server_rss],
            load_rss_per_worker_mib=[mib(r) for r in loaded.server_rss],
            container_idle_mib=mib(idle.cgroup_usage),
            container_peak_mib=mib(after.cgroup_peak),
            requests_per_second=load.requests_per_second,
        )
    finally:
        remove(container)


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(description="RSS per worker, idle and under load.")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmarks.memory: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    image = f"fastapi-service:bench-{run_id()}"
    docker("buildx", "build", "--load", "-t", image, str(PROJECT_ROOT), timeout=900)
    try:
        rows = [measure(image, n, args.duration) for n in args.workers]
    finally:
        docker("image", "rm", image, check=False)
    report = "\n".join([HEADER, *(row.markdown() for row in rows)])
    print(report)
    if args.write:
        write(args.write, "Memory per worker, idle and under load", report)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
