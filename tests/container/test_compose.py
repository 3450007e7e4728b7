"""The single-server stack: Caddy terminating TLS in front of two app replicas."""

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from testing.compose import ROTATED_LOGS, Stack
from testing.docker import docker
from testing.logs import parse
from testing.wait import wait_until
from tests.container.probing import PROBE_OVERRIDE


@pytest.fixture(scope="module")
def stack(image: str) -> Iterator[Stack]:
    """compose.yaml with the probe routes, two replicas, up and healthy."""
    stack = Stack(files=("compose.yaml", PROBE_OVERRIDE))
    try:
        stack.up("--scale", "app=2")
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[httpx.Client]:
    with stack.proxy_client() as client:
        yield client


def _addresses(stack: Stack) -> tuple[str, str]:
    """The edge network's gateway (where published ports' traffic comes from) and the proxy's."""
    network = json.loads(docker("network", "inspect", f"{stack.name}_edge").stdout)[0]
    subnet = ipaddress.ip_network(network["IPAM"]["Config"][0]["Subnet"])
    (proxy,) = stack.containers("proxy")
    proxy_address = network["Containers"][proxy]["IPv4Address"].split("/")[0]
    # Docker gives the gateway the subnet's first address unless told otherwise.
    return str(next(subnet.hosts())), proxy_address


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", {"Hello": "World"}), ("/items/5?q=somequery", {"item_id": 5, "q": "somequery"})],
)
def test_https_through_the_proxy_serves_the_contract(
    client: httpx.Client, path: str, body: object
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == body


def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    response = httpx.get(
        f"http://{stack.published('proxy', '80')}/items/5?q=x", headers={"Host": "localhost"}
    )
    assert response.status_code == 308
    assert response.headers["location"] == "https://localhost/items/5?q=x"


def test_an_app_redirect_behind_the_proxy_keeps_https(client: httpx.Client) -> None:
    response = client.get("/items/5/")
    assert response.status_code == 307
    assert response.headers["location"] == "https://localhost/items/5"


def test_the_app_sees_the_clients_scheme_host_and_address(
    stack: Stack, client: httpx.Client
) -> None:
    seen = client.get("/_probe/request").json()
    assert seen["scheme"] == "https"
    assert seen["url_for"] == "https://localhost/items/5"
    gateway, proxy = _addresses(stack)
    # The client as the proxy saw it (Docker's gateway for a published port), not the proxy.
    assert seen["client"] == gateway
    assert seen["client"] != proxy


def _from_the_proxy(stack: Stack, url: str, *headers: str) -> str:
    """GET `url` from inside the proxy's container (busybox wget): from the proxy's address."""
    flags = [arg for header in headers for arg in ("--header", header)]
    return stack.compose("exec", "-T", "proxy", "wget", "-qO-", *flags, url)


def test_the_app_believes_forwarded_headers_from_the_proxys_address(stack: Stack) -> None:
    forged = ("X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https")
    seen = json.loads(_from_the_proxy(stack, "http://app:8000/_probe/request", *forged))
    assert seen["client"] == "203.0.113.9"
    assert seen["scheme"] == "https"


def test_a_client_cannot_forge_forwarded_headers_through_the_proxy(client: httpx.Client) -> None:
    seen = client.get(
        "/_probe/request", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
    ).json()
    assert seen["client"] != "203.0.113.9"
    assert seen["scheme"] == "https"


def test_only_the_proxy_publishes_ports(stack: Stack) -> None:
    for service in ("app", "prestart"):
        for container in stack.containers(service):
            ports = stack.inspect(container)["NetworkSettings"]
            assert not any(ports["Ports"].values()), f"{service} publishes {ports['Ports']}"


def test_every_container_keeps_at_most_three_log_files_of_10_mb(stack: Stack) -> None:
    for service in ("app", "prestart", "proxy"):
        for container in stack.containers(service):
            assert stack.inspect(container)["HostConfig"]["LogConfig"] == ROTATED_LOGS, service


def test_prestart_completed_before_any_replica_started(stack: Stack) -> None:
    (prestart,) = stack.containers("prestart")
    state = stack.inspect(prestart)["State"]
    assert state["ExitCode"] == 0
    for container in stack.containers("app"):
        app_state = stack.inspect(container)["State"]
        assert app_state["StartedAt"] > state["FinishedAt"]


def test_requests_are_balanced_across_replicas(client: httpx.Client) -> None:
    replicas = {client.get("/_probe/request").json()["hostname"] for _ in range(20)}
    assert len(replicas) == 2


def _wait_healthy(stack: Stack, container: str) -> None:
    wait_until(
        lambda: stack.inspect(container)["State"]["Health"]["Status"] == "healthy",
        timeout=60,
        what=f"{container[:12]} to be healthy again",
    )


def test_the_app_writes_no_access_line_behind_the_proxy(stack: Stack, client: httpx.Client) -> None:
    # An item id no other request uses: the app's access line would carry its path.
    assert client.get("/items/98765?q=unlogged").status_code == 200
    # The proxy logs the request (one JSON line); by then the app has answered it.
    wait_until(
        lambda: "/items/98765?q=unlogged" in stack.compose("logs", "proxy"),
        timeout=10,
        what="the proxy's access line",
    )
    assert "/items/98765" not in stack.compose("logs", "app")


def test_the_restart_policy_brings_back_a_server_that_exits(
    stack: Stack, client: httpx.Client
) -> None:
    replica = stack.containers("app")[0]
    # The server ends from inside, as a crash would: Docker did not stop it, so the policy
    # applies. (`docker kill` and `docker stop` count as deliberate and are never restarted;
    # SIGKILL from inside the container cannot reach its PID 1.)
    end = "import os, signal; os.kill(1, signal.SIGTERM)"
    docker("exec", replica, "python", "-c", end)
    wait_until(
        lambda: stack.inspect(replica)["RestartCount"] == 1,
        timeout=30,
        what="the restart policy to restart the replica",
    )
    _wait_healthy(stack, replica)
    replicas = {client.get("/_probe/request").json()["hostname"] for _ in range(20)}
    assert stack.inspect(replica)["Config"]["Hostname"] in replicas


def test_a_rolling_restart_under_load_loses_no_request(stack: Stack, client: httpx.Client) -> None:
    outcomes: list[int | str] = []
    stop = threading.Event()

    def load() -> None:
        # Bounded: at most 20 000 requests or 120 s, whichever comes first.
        deadline = time.monotonic() + 120
        while not stop.is_set() and len(outcomes) < 20_000 and time.monotonic() < deadline:
            try:
                outcomes.append(client.get("/items/5?q=roll").status_code)
            except httpx.HTTPError as error:
                outcomes.append(type(error).__name__)

    sender = threading.Thread(target=load)
    sender.start()
    try:
        wait_until(lambda: len(outcomes) > 50, timeout=30, what="load to start")
        for container in stack.containers("app"):
            # No --time: Docker waits the stop grace period compose.yaml declares.
            docker("restart", container, timeout=60)
            _wait_healthy(stack, container)
    finally:
        stop.set()
        sender.join()
    failures = [o for o in outcomes if o != 200]
    print(f"rolling restart: {len(outcomes)} requests, {len(failures)} failed")  # noqa: T201
    assert len(outcomes) > 100
    assert failures == []


def test_up_wait_returns_only_once_https_serves_the_contract(image: str) -> None:
    """Ten cold starts in a row (volumes removed, so a new certificate each time): the
    moment `up --wait` returns, the contract answers over verified TLS, with no retry."""
    for attempt in range(10):
        stack = Stack()
        try:
            stack.up()
            with stack.proxy_client() as client:
                assert client.get("/").json() == {"Hello": "World"}, attempt
                items = client.get("/items/5?q=somequery").json()
                assert items == {"item_id": 5, "q": "somequery"}, attempt
        finally:
            stack.down()


def test_a_failing_prestart_step_keeps_the_app_from_starting(image: str) -> None:
    # The one override: a dependency that never answers (port 9 of prestart's own loopback).
    stack = Stack(env={"APP_WAIT_FOR": "127.0.0.1:9", "APP_WAIT_TIMEOUT": "1"})
    try:
        up = stack.up_attempt("--wait-timeout", "60")
        assert up.returncode != 0
        (prestart,) = stack.containers("prestart")
        state = stack.inspect(prestart)["State"]
        assert state["ExitCode"] == 1
        logs = stack.compose("logs", "--no-log-prefix", "prestart")
        assert "prestart failed: 127.0.0.1:9 did not accept a connection within 1 s (" in logs
        for container in stack.containers("app"):
            app_state = stack.inspect(container)["State"]
            assert app_state["Status"] == "created", "the app must never have started"
    finally:
        stack.down()


def test_the_stack_serves_under_a_path_prefix_with_working_docs(image: str) -> None:
    # The one override: the prefix under test.
    stack = Stack(env={"ROOT_PATH": "/api"})
    try:
        stack.up()
        with stack.proxy_client() as client:
            assert client.get("/api/items/5?q=x").json() == {"item_id": 5, "q": "x"}
            docs = client.get("/api/docs")
            assert docs.status_code == 200
            assert "url: '/api/openapi.json'" in docs.text
            schema = client.get("/api/openapi.json").json()
            assert schema["servers"] == [{"url": "/api"}]
            assert client.get("/items/5").status_code == 404
    finally:
        stack.down()


def test_the_proxy_cuts_off_a_client_that_trickles_its_headers(
    stack: Stack, client: httpx.Client
) -> None:
    host, port = stack.published("proxy", "443").rsplit(":", 1)
    context = ssl.create_default_context(cadata=stack.proxy_root_certificate())
    started = time.monotonic()
    closed_after = None
    with (
        socket.create_connection((host, int(port)), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as slow,
    ):
        slow.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        slow.settimeout(1)
        # One byte a second, for 30 s at most: well past the proxy's 10 s header timeout.
        while time.monotonic() - started < 30:
            try:
                slow.sendall(b"X")
                if slow.recv(4096) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
        # Meanwhile everyone else is served.
        assert client.get("/").json() == {"Hello": "World"}
    assert closed_after is not None, "the proxy kept a trickling client for 30 s"
    assert closed_after < 20


def test_the_proxy_refuses_oversized_headers_itself(client: httpx.Client) -> None:
    response = client.get("/", headers={"X-Filler": "a" * 32 * 1024})
    assert response.status_code == 431
    # Not the app's own refusal (JSON from app/guard.py): the proxy never forwarded it.
    assert response.headers.get("content-type") != "application/json"


@pytest.mark.parametrize(("method", "status"), [("GET", 200), ("POST", 405)])
def test_requests_spaced_around_the_servers_keep_alive_never_get_a_502(
    client: httpx.Client, method: str, status: int
) -> None:
    """uvicorn closes a connection idle for 5 s; requests that come just before, at and just
    after that, to each replica, are answered by the app (POST has no route: 405)."""
    statuses = []
    for pause in (4.5, 5.0, 5.5):
        time.sleep(pause)  # the idle time is what is under test
        # One request to each replica: round robin alternates them.
        statuses += [client.request(method, "/items/5?q=idle").status_code for _ in range(2)]
    assert statuses == [status] * 6


def test_a_request_in_flight_finishes_within_the_stop_grace_period(stack: Stack) -> None:
    """A request still running 12 s after `docker stop` completes: compose.yaml's grace
    period outlasts Docker's 10 s default before SIGKILL."""
    replica = stack.containers("app")[-1]
    address = stack.address(replica)
    answer: dict[str, str] = {}
    slow = threading.Thread(
        target=lambda: answer.update(
            body=_from_the_proxy(stack, f"http://{address}:8000/_probe/slow?seconds=12")
        )
    )
    slow.start()
    try:
        wait_until(
            lambda: (
                '"in_flight":1' in _from_the_proxy(stack, f"http://{address}:8000/_probe/in-flight")
            ),
            timeout=10,
            what="the slow request to arrive",
        )
        docker("stop", replica, timeout=60)  # no --time: the declared grace period applies
    finally:
        slow.join(timeout=60)
    try:
        assert json.loads(answer["body"]) == {"slept": 12.0}
        assert stack.inspect(replica)["State"]["ExitCode"] == 0
    finally:
        docker("start", replica)
        _wait_healthy(stack, replica)


def _in_flight_by_replica(stack: Stack) -> dict[str, int]:
    """How many slow probe requests each app replica is serving now."""
    counts = {}
    for container in stack.containers("app"):
        answer = _from_the_proxy(stack, f"http://{stack.address(container)}:8000/_probe/in-flight")
        counts[container] = json.loads(answer)["in_flight"]
    return counts


def test_a_request_that_outlives_the_grace_period_is_cut_off_with_a_502(stack: Stack) -> None:
    """Two 30 s requests through the proxy; the replica serving one is stopped. Its grace
    period (20 s) ends first, so Docker kills it (exit 137), its log has no lifespan
    shutdown, and each client it was serving gets the proxy's 502; the rest are served."""
    statuses: list[int] = []

    def slow() -> None:
        with stack.proxy_client() as own:
            statuses.append(own.get("/_probe/slow?seconds=30", timeout=60).status_code)

    senders = [threading.Thread(target=slow) for _ in range(2)]
    for sender in senders:
        sender.start()
    victim = ""
    try:
        counts = wait_until(
            lambda: found if sum((found := _in_flight_by_replica(stack)).values()) == 2 else None,
            timeout=20,
            what="both slow requests to arrive",
        )
        victim = max(counts, key=lambda container: counts[container])
        # Earlier tests may have restarted it: only this run's log counts.
        started = stack.inspect(victim)["State"]["StartedAt"]
        docker("stop", victim, timeout=60)  # no --time: the declared grace period applies
        for sender in senders:
            sender.join(timeout=60)
        cut_off = counts[victim]
        assert sorted(statuses) == [200] * (2 - cut_off) + [502] * cut_off
        assert stack.inspect(victim)["State"]["ExitCode"] == 137
        output = parse(docker("logs", "--since", started, victim).stdout)
        assert output.said(
            "uvicorn.error", "Waiting for connections to close. (CTRL+C to force quit)"
        )
        assert not output.said("app.lifespan", "shutdown complete")
    finally:
        for sender in senders:
            sender.join(timeout=60)
        if victim:
            docker("start", victim)
            _wait_healthy(stack, victim)
