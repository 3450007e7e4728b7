"""The image under the conditions production puts it in: proxies, signals, workers,
restarts, memory limits, a locked-down runtime, and the previous steps."""

import asyncio
import os
import signal
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.container.docker import (
    PROBE,
    PROBE_COMMAND,
    Container,
    docker,
    published_url,
    remove,
    start,
)
from tests.support import answers_ready, compose_app_memory, wait_until


@pytest.fixture
def probe(image: str) -> Iterator[Container]:
    """The image serving the test-only probe routes, trusting forwarded headers only from a
    subnet the test client is not in."""
    container = start(
        image, *PROBE, "-e", "FORWARDED_ALLOW_IPS=10.213.0.0/24", command=PROBE_COMMAND
    )
    yield container
    remove(container)


FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_forged_forwarded_headers_from_an_untrusted_address_are_ignored(
    probe: Container,
) -> None:
    seen = httpx.get(f"{probe.base_url}/_probe/request", headers=FORGED).json()
    assert seen["scheme"] == "http"
    assert seen["client"] != "203.0.113.9"
    assert seen["url_for"].startswith("http://")


def test_a_redirect_from_an_untrusted_address_keeps_the_real_scheme(probe: Container) -> None:
    response = httpx.get(f"{probe.base_url}/items/5/", headers=FORGED)
    assert response.status_code == 307
    assert response.headers["location"].startswith("http://127.0.0.1:")


def _in_flight(container: Container) -> int:
    count: int = httpx.get(f"{container.base_url}/_probe/in-flight").json()["in_flight"]
    return count


def test_sigterm_lets_the_request_in_flight_finish_then_stops(probe: Container) -> None:
    result: dict[str, httpx.Response] = {}
    slow = threading.Thread(
        target=lambda: result.update(
            response=httpx.get(f"{probe.base_url}/_probe/slow?seconds=3", timeout=20)
        )
    )
    slow.start()
    wait_until(lambda: _in_flight(probe) == 1 or None, timeout=10, what="the slow request")
    docker("kill", "--signal", "TERM", probe.id)
    # The server stops listening at once: a new connection fails while the old one is served.
    with pytest.raises(httpx.TransportError):
        wait_until(
            lambda: None if answers_ready(probe.base_url) else httpx.get(probe.base_url),
            timeout=5,
            what="the listener to close",
        )
    slow.join(timeout=20)
    assert result["response"].status_code == 200
    assert result["response"].json() == {"slept": 3.0}
    assert probe.wait_until_exited(timeout=10) == 0
    logs = probe.logs()
    assert logs.index('"GET /_probe/slow?seconds=3 HTTP/1.1" 200') < logs.index(
        "app.lifespan: shutdown complete"
    )


def _workers(container: Container) -> set[int]:
    """PIDs of the server's worker processes: those uvicorn spawned through multiprocessing."""
    script = (
        "import os\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    cmdline = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
        "    if b'spawn_main' in cmdline and int(pid) != os.getpid(): print(pid)\n"
    )
    return {int(pid) for pid in container.exec("python", "-c", script).stdout.split()}


@pytest.fixture
def two_workers(image: str) -> Iterator[Container]:
    container = start(image, "-e", "WEB_CONCURRENCY=2")
    yield container
    remove(container)


def test_web_concurrency_runs_that_many_workers(two_workers: Container) -> None:
    # Each worker logs its own startup.
    wait_until(
        lambda: two_workers.logs().count("app.lifespan: startup complete") == 2 or None,
        timeout=30,
        what="two workers to start",
    )
    assert len(_workers(two_workers)) == 2


def test_a_killed_worker_is_replaced_and_requests_keep_succeeding(
    two_workers: Container,
) -> None:
    before = wait_until(
        lambda: _workers(two_workers) if len(_workers(two_workers)) == 2 else None,
        timeout=30,
        what="two workers",
    )
    victim = min(before)
    kill = f"import os, signal; os.kill({victim}, signal.SIGKILL)"
    assert two_workers.exec("python", "-c", kill).returncode == 0
    statuses = [httpx.get(f"{two_workers.base_url}/").status_code for _ in range(50)]

    def replaced() -> set[int] | None:
        workers = _workers(two_workers)
        return workers if len(workers) == 2 and victim not in workers else None

    after = wait_until(replaced, timeout=30, what="the killed worker to be replaced")
    assert victim not in after
    assert statuses == [200] * 50
    assert httpx.get(f"{two_workers.base_url}/").json() == {"Hello": "World"}


def test_the_restart_policy_brings_a_dead_server_back(image: str) -> None:
    container = start(image, "--restart", "unless-stopped")
    try:
        # The server dies as if it crashed: SIGKILL from the host to its PID 1, which is
        # what the restart policy reacts to (`docker stop`/`kill` count as deliberate).
        os.kill(int(container.inspect("{{.State.Pid}}")), signal.SIGKILL)
        wait_until(
            lambda: container.inspect("{{.RestartCount}}") == "1" or None,
            timeout=30,
            what="the restart policy to restart the container",
        )

        # A random host port is chosen again on restart, and only once the restarted
        # container is running: until then there is none to read.
        def serving() -> str | None:
            if container.inspect("{{.State.Running}}") != "true":
                return None
            try:
                url = published_url(container.id)
            except AssertionError:  # `docker port` answers nothing until it is mapped
                return None
            return url if answers_ready(url) else None

        base_url = wait_until(serving, timeout=30, what="it to serve again")
        assert httpx.get(f"{base_url}/").json() == {"Hello": "World"}
    finally:
        remove(container)


async def _load(base_url: str, total: int, concurrency: int) -> list[int]:
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                statuses.append((await client.get("/items/5?q=somequery")).status_code)

        await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
    return statuses


def test_the_server_stays_within_the_compose_memory_limit_under_load(image: str) -> None:
    limit, _ = compose_app_memory()
    container = start(image, "--memory", str(limit), "--memory-swap", str(limit))
    try:
        # Bounded: 4 000 requests over 32 connections.
        statuses = asyncio.run(_load(container.base_url, total=4000, concurrency=32))
        assert statuses == [200] * 4000
        assert container.inspect("{{.State.OOMKilled}}") == "false"
        assert container.inspect("{{.State.Status}}") == "running"
        peak = int(
            container.exec("cat", "/sys/fs/cgroup/memory/memory.max_usage_in_bytes").stdout
            or container.exec("cat", "/sys/fs/cgroup/memory.peak").stdout
        )
        assert peak < limit
    finally:
        remove(container)


SERVE_AFTER_PRESTART = (
    "python",
    "-m",
    "app.prestart",
    "--",
    "fastapi",
    "run",
    "--entrypoint",
    "app.main:app",
)


def test_single_container_mode_runs_the_steps_then_the_server_as_pid_1(image: str) -> None:
    container = start(image, command=SERVE_AFTER_PRESTART)
    try:
        assert httpx.get(f"{container.base_url}/").json() == {"Hello": "World"}
        cmdline = container.exec("cat", "/proc/1/cmdline").stdout.split("\0")
        assert cmdline[:3] == ["/opt/venv/bin/python", "/opt/venv/bin/fastapi", "run"]
        logs = container.logs()
        assert logs.index("app.prestart: previous steps complete") < logs.index(
            "app.lifespan: startup complete"
        )
    finally:
        remove(container)


def test_single_container_mode_does_not_serve_when_a_step_fails(image: str) -> None:
    container = start(
        image,
        "-e",
        "APP_WAIT_FOR=127.0.0.1:5432",
        "-e",
        "APP_WAIT_TIMEOUT=1",
        command=SERVE_AFTER_PRESTART,
        wait_ready=False,
    )
    try:
        assert container.wait_until_exited() == 1
        logs = container.logs()
        assert (
            "prestart failed: 127.0.0.1:5432 did not accept a connection within 1 s "
            "([Errno 111] Connection refused)"
        ) in logs
        assert "startup complete" not in logs
    finally:
        remove(container)
