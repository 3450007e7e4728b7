"""Helpers shared by the tests and the benchmarks: paths, free ports, polling, compose."""

import json
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until[T](check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll `check` until it returns something other than None or False; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def answers_ready(base_url: str) -> bool:
    """True once GET /health/ready answers 200."""
    try:
        return httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def compose_app_memory() -> tuple[int, int]:
    """compose.yaml's memory limit and reservation for `app`, in bytes, as compose reads them."""
    config = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            str(PROJECT_ROOT / "compose.yaml"),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    resources = json.loads(config)["services"]["app"]["deploy"]["resources"]
    return int(resources["limits"]["memory"]), int(resources["reservations"]["memory"])
