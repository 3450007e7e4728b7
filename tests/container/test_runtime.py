"""The image under the conditions production puts it in: proxies, signals, workers,
memory limits, and prestart, each with the configuration that ships."""

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest

from testing.compose import shipped_environment, shipped_memory
from testing.docker import Container, docker, env_options, remove, start
from testing.inside import sample, workers
from testing.knative import shipped as shipped_knative_service
from testing.logs import parse
from testing.units import MiB
from testing.wait import ready, wait_until
from tests.container.probing import PROBE, PROBE_COMMAND
from tests.container.shipped import CONFIGURATIONS, environment

FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def shipped(request: pytest.FixtureRequest, image: str) -> Iterator[Container]:
    """The probe routes served with a shipped configuration's environment, nothing else.

    The test client is on the host, so its requests reach the container from Docker's
    bridge gateway: an address no shipped configuration trusts.
    """
    container = start(
        image, *PROBE, *env_options(environment(request.param)), command=PROBE_COMMAND
    )
    yield container
    remove(container)


def test_forged_forwarded_headers_from_an_untrusted_address_are_ignored(
    shipped: Container,
) -> None:
    seen = httpx.get(f"{shipped.base_url}/_probe/request", headers=FORGED).json()
    assert seen["client"] != "203.0.113.9"
    assert seen["scheme"] == "http"
    assert seen["url_for"].startswith("http://127.0.0.1:")


def test_a_redirect_from_an_untrusted_address_keeps_the_real_scheme(shipped: Container) -> None:
    response = httpx.get(f"{shipped.base_url}/items/5/", headers=FORGED)
    assert response.status_code == 307
    assert response.headers["location"].startswith("http://127.0.0.1:")


# The image logs each request itself; behind compose's proxy or a cluster's ingress, which
# log them already, the server does not.
ACCESS_LINES = {"image": True, "compose": False, "k8s-prod": False}


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_access_lines_are_written_only_where_nothing_in_front_logs_requests(
    image: str, configuration: str
) -> None:
    container = start(image, *env_options(environment(configuration)))
    try:
        assert httpx.get(f"{container.base_url}/items/5?q=access").status_code == 200
        # Stopped, its log is complete: an absent line is absent, not late.
        docker("stop", container.id)
        output = parse(container.logs())
    finally:
        remove(container)
    assert output.said("app.lifespan", "shutdown complete")
    lines = [(x["path"], x["status"]) for x in output.by("app.access")]
    assert (("/items/5", 200) in lines) is ACCESS_LINES[configuration]


@pytest.fixture
def probe(image: str) -> Iterator[Container]:
    """The image's defaults, serving the probe routes."""
    container = start(image, *PROBE, command=PROBE_COMMAND)
    yield container
    remove(container)


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
    wait_until(lambda: _in_flight(probe) == 1, timeout=10, what="the slow request")
    docker("kill", "--signal", "TERM", probe.id)
    # The server stops listening at once: a new connection fails while the old one is served.
    with pytest.raises(httpx.TransportError):
        wait_until(
            lambda: None if ready(probe.base_url) else httpx.get(probe.base_url),
            timeout=5,
            what="the listener to close",
        )
    slow.join(timeout=20)
    assert result["response"].status_code == 200
    assert result["response"].json() == {"slept": 3.0}
    assert probe.wait_until_exited(timeout=10) == 0
    messages = parse(probe.logs()).messages()
    assert messages.index("GET /_probe/slow 200") < messages.index("shutdown complete")


@pytest.fixture
def two_workers(image: str) -> Iterator[Container]:
    # The one override: the image ships with one worker; this is how an operator asks for two.
    container = start(image, "-e", "WEB_CONCURRENCY=2")
    yield container
    remove(container)


def test_web_concurrency_runs_that_many_workers(two_workers: Container) -> None:
    # Each worker logs its own startup.
    wait_until(
        lambda: (
            parse(two_workers.logs(), supervisor=True).messages().count("startup complete") == 2
        ),
        timeout=30,
        what="two workers to start",
    )
    assert len(workers(two_workers)) == 2


def test_the_image_serves_from_pid_1_alone_by_default(running: Container) -> None:
    assert workers(running) == set()
    assert [p.pid for p in sample(running).servers] == [1]


def test_a_killed_worker_is_replaced_and_requests_keep_succeeding(
    two_workers: Container,
) -> None:
    before = wait_until(
        lambda: found if len(found := workers(two_workers)) == 2 else None,
        timeout=30,
        what="two workers",
    )
    victim = min(before)
    kill = f"import os, signal; os.kill({victim}, signal.SIGKILL)"
    assert two_workers.exec("python", "-c", kill).returncode == 0
    statuses = [httpx.get(f"{two_workers.base_url}/").status_code for _ in range(50)]
    wait_until(
        lambda: len(found := workers(two_workers)) == 2 and victim not in found,
        timeout=30,
        what="the killed worker to be replaced",
    )
    assert statuses == [200] * 50
    assert httpx.get(f"{two_workers.base_url}/").json() == {"Hello": "World"}


async def _load(base_url: str, total: int, concurrency: int) -> list[int]:
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                statuses.append((await client.get("/items/5?q=somequery")).status_code)

        await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
    return statuses


def test_under_load_the_server_peaks_below_half_the_compose_memory_limit(
    image: str,
) -> None:
    limit, _ = shipped_memory()
    memory = ("--memory", str(limit), "--memory-swap", str(limit))
    container = start(image, *memory, *env_options(shipped_environment("app")))
    try:
        # Bounded: 4 000 requests over 32 connections.
        statuses = asyncio.run(_load(container.base_url, total=4000, concurrency=32))
        peak = sample(container).cgroup_peak
        assert container.inspect("{{.State.OOMKilled}}") == "false"
    finally:
        remove(container)
    print(f"memory: peak {peak / MiB:.1f} MiB under a {limit / MiB:.0f} MiB limit")  # noqa: T201
    assert statuses == [200] * 4000
    # docs/deploy.md's reasoning for the limit: over twice the peak under load.
    assert 2 * peak < limit


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
        messages = parse(container.logs()).messages()
        assert messages.index("prestart complete") < messages.index("startup complete")
    finally:
        remove(container)


def test_single_container_mode_does_not_serve_when_a_step_fails(image: str) -> None:
    # The one override: a dependency that never answers (port 9 of the container itself).
    container = start(
        image,
        "-e",
        "APP_WAIT_FOR=127.0.0.1:9",
        "-e",
        "APP_WAIT_TIMEOUT=1",
        command=SERVE_AFTER_PRESTART,
        wait=False,
    )
    try:
        assert container.wait_until_exited() == 1
        output = parse(container.logs())
    finally:
        remove(container)
    (failed,) = output.by("app.prestart")[-1:]
    assert failed["level"] == "ERROR"
    assert failed["message"].startswith(
        "prestart failed: 127.0.0.1:9 did not accept a connection within 1 s ("
    )
    assert "startup complete" not in output.messages()


def test_the_cloud_services_command_runs_the_steps_then_serves_on_cloud_runs_port(
    image: str,
) -> None:
    """deploy/cloudrun/service.yaml's command, under the PORT Cloud Run gives by default."""
    (app,) = shipped_knative_service()["spec"]["template"]["spec"]["containers"]
    container = start(image, "-e", "PORT=8080", command=app["command"], port=8080)
    try:
        assert httpx.get(f"{container.base_url}/items/5?q=run").json() == {"item_id": 5, "q": "run"}
        messages = parse(container.logs()).messages()
        assert messages.index("prestart complete") < messages.index("startup complete")
    finally:
        remove(container)
