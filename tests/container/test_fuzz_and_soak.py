"""Generated and sustained load against the running image: schemathesis and a soak."""

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.compose import shipped_environment, shipped_memory
from testing.docker import Container, env_options, remove, start
from testing.inside import sample
from testing.units import MiB
from testing.wrk import wrk


@pytest.fixture(scope="module")
def production(image: str) -> Iterator[Container]:
    """The image as compose runs it: its memory limit and the `app` service's environment."""
    limit, _ = shipped_memory()
    memory = ("--memory", str(limit), "--memory-swap", str(limit))
    container = start(image, *memory, *env_options(shipped_environment("app")))
    yield container
    remove(container)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    production: Container, tmp_path: Path
) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{production.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "200",
            "--seed",
            "20261128",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        # schemathesis and hypothesis keep their caches in the working directory.
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None, result.stdout[-2000:]
    generated, passed = map(int, counts.groups())
    print(f"schemathesis: {generated} cases over 4 operations, {passed} passed")  # noqa: T201
    assert generated == passed
    assert generated >= 100


def test_a_soak_holds_with_no_error_and_no_memory_growth(production: Container) -> None:
    # Bounded: 60 s of wrk at 64 connections, RSS read every 5 s.
    readings: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(5):
            readings.append(sum(sample(production).server_rss))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        load = wrk(f"{production.base_url}/items/5?q=somequery", seconds=60)
    finally:
        done.set()
        watcher.join()
    settled, final = readings[2], readings[-1]  # after 15 s, and at the end
    print(  # noqa: T201
        f"soak: {load.requests_per_second:.0f} requests/s for 60 s, p99 {load.p99_ms:.1f} ms, "
        f"{load.non_2xx} non-2xx, {load.socket_errors} socket errors, RSS "
        f"{settled / MiB:.1f} MiB at 15 s and {final / MiB:.1f} MiB at 60 s"
    )
    assert load.clean
    assert final - settled < 8 * MiB
    assert production.inspect("{{.State.OOMKilled}}") == "false"
