"""The measurements, one function each, on images that are already built."""

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from testing.docker import Container, docker, remove, start
from testing.inside import sample
from testing.ports import free_port
from testing.units import mib
from testing.wait import answers, wait_until
from testing.wrk import Load, wrk

BASE_IMAGE = "python:3.13-slim"
ITEM = "/items/5?q=somequery"


def image_size(tag: str) -> int:
    return int(docker("image", "inspect", tag, "--format", "{{.Size}}").stdout)


def build(context: Path, tag: str) -> float:
    """Seconds for `docker buildx build --load` of the context."""
    started = time.monotonic()
    docker("buildx", "build", "--load", "-q", "-t", tag, str(context), timeout=1800)
    return time.monotonic() - started


def prune_build_cache() -> None:
    """Forget every cached layer and cache mount: the next build is cold."""
    docker("builder", "prune", "--all", "--force", timeout=300)


def _wait_answers(url: str, what: str, interval: float) -> None:
    wait_until(lambda: answers(url), timeout=60, what=f"{what} to answer", interval=interval)


def start_to_first_200(tag: str, options: tuple[str, ...], command: tuple[str, ...] = ()) -> float:
    """Seconds from `docker run` to the first 200 on /items/5?q=somequery."""
    # The port is chosen before the clock starts, though another process could take it
    # meanwhile: `start` asks docker for the port after the run, one more CLI call that
    # would be timed with the start-up.
    port = free_port()
    url = f"http://127.0.0.1:{port}{ITEM}"
    started = time.monotonic()
    run = ("run", "-d", "-p", f"127.0.0.1:{port}:8000", *options, tag, *command)
    container = docker(*run).stdout
    try:
        _wait_answers(url, tag, interval=0.005)
        return time.monotonic() - started
    finally:
        docker("rm", "--force", container.strip(), check=False)


@dataclass(frozen=True)
class Stop:
    seconds: float
    exit_code: int
    lifespan_shutdown: bool


def stop(tag: str, options: tuple[str, ...]) -> Stop:
    """`docker stop` of an idle, ready container: duration, exit code, shutdown logged."""
    container = start(tag, *options, wait=False)
    try:
        _wait_answers(f"{container.base_url}{ITEM}", tag, interval=0.01)
        started = time.monotonic()
        docker("stop", container.id)
        seconds = time.monotonic() - started
        return Stop(
            seconds=seconds,
            exit_code=int(container.inspect("{{.State.ExitCode}}")),
            # uvicorn logs this once the app's lifespan shutdown has returned.
            lifespan_shutdown="Application shutdown complete." in container.logs(),
        )
    finally:
        remove(container)


@dataclass(frozen=True)
class Serving:
    """Throughput by path, and RSS per worker before and after the load."""

    loads: dict[str, list[Load]]
    idle_rss_mib: list[float]
    loaded_rss_mib: list[float]


def serve(  # noqa: PLR0913 (one measurement's keyword-only options)
    tag: str,
    options: tuple[str, ...],
    *,
    workers: int,
    paths: tuple[str, ...],
    seconds: float,
    repeats: int,
    command: tuple[str, ...] = (),
) -> Serving:
    """Load each path `repeats` times with wrk (64 connections) in one container."""
    container: Container = start(
        tag, "-e", f"WEB_CONCURRENCY={workers}", *options, command=command, wait=False
    )
    try:
        _wait_answers(f"{container.base_url}{ITEM}", tag, interval=0.05)
        time.sleep(1)  # let every worker finish starting before reading idle memory
        idle = sample(container)
        wrk(f"{container.base_url}{ITEM}", seconds=min(seconds, 2))  # warm-up, not counted
        loads = {
            path: [wrk(f"{container.base_url}{path}", seconds) for _ in range(repeats)]
            for path in paths
        }
        loaded = sample(container)
        return Serving(
            loads=loads,
            idle_rss_mib=[mib(r) for r in idle.server_rss],
            loaded_rss_mib=[mib(r) for r in loaded.server_rss],
        )
    finally:
        remove(container)


def median(values: list[float]) -> float:
    return statistics.median(values)
