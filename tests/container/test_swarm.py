"""Swarm mode, for real on a one-node swarm: deploy/swarm/deploy runs compose.yaml with
deploy/swarm/stack.yaml; through the proxy, updates roll without losing a request, a bad
version is rolled back, and a killed replica is replaced."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.docker import docker
from testing.wait import wait_until
from tests.container.swarm import Load, SwarmStack, swarm_mode


@pytest.fixture(scope="module")
def stack(image: str) -> Iterator[SwarmStack]:
    """The stack as deploy/swarm/deploy runs it, its docs secret set to false."""
    with swarm_mode():
        stack = SwarmStack()
        stack.create_secret("false")
        try:
            stack.deploy(image)
            stack.wait_serving()
            yield stack
        finally:
            stack.remove()


@pytest.fixture(scope="module")
def client(stack: SwarmStack) -> Iterator[httpx.Client]:
    with stack.proxy_client() as client:
        yield client


def _report(what: str, load: Load) -> None:
    print(f"swarm {what}: {len(load.outcomes)} requests, {len(load.failures)} failed")  # noqa: T201


def test_the_contract_is_served_over_https_by_both_replicas(
    stack: SwarmStack, client: httpx.Client
) -> None:
    assert client.get("/items/5?q=somequery").json() == {"item_id": 5, "q": "somequery"}
    # The app's name resolves to every replica (dnsrr); each answers on the overlay network.
    (proxy,) = stack.containers("proxy")
    (first, *_) = stack.containers("app")
    lookup = "import socket; print(*sorted(socket.gethostbyname_ex('app')[2]))"
    addresses = docker("exec", first, "python", "-c", lookup).stdout.split()
    assert len(addresses) == 2
    for address in addresses:
        url = f"http://{address}:8000/items/5?q=replica"
        body = docker("exec", proxy, "wget", "-qO-", url).stdout
        assert body == '{"item_id":5,"q":"replica"}'


@pytest.mark.parametrize(
    ("service", "added", "pids"),
    [("app", [], 128), ("proxy", ["CAP_NET_BIND_SERVICE"], 256)],
)
def test_swarm_runs_each_task_read_only_without_capabilities_and_with_a_process_limit(
    stack: SwarmStack, service: str, added: list[str], pids: int
) -> None:
    """What `docker stack deploy` honours of compose's hardening, on the running tasks."""
    for container in stack.containers(service):
        config = json.loads(docker("inspect", container).stdout)[0]["HostConfig"]
        assert config["ReadonlyRootfs"] is True
        assert config["CapDrop"] == ["ALL"]
        assert (config["CapAdd"] or []) == added
        assert config["PidsLimit"] == pids
        tmpfs = [m["Target"] for m in config["Mounts"] if m["Type"] == "tmpfs"]
        assert tmpfs == ["/tmp"]  # noqa: S108 (the one writable path)


def test_swarm_ignores_no_new_privileges_as_its_docs_say(stack: SwarmStack) -> None:
    """`docker stack deploy` drops security_opt: a task's process could regain privileges
    through a setuid binary, had it one and a capability to use. docs/deploy.md says what to
    do instead (the daemon's no-new-privileges default)."""
    for container in stack.containers("app"):
        config = json.loads(docker("inspect", container).stdout)[0]["HostConfig"]
        assert not config["SecurityOpt"]


def test_a_secret_reaches_the_setting(stack: SwarmStack, client: httpx.Client) -> None:
    # The stack's secret says APP_DOCS_ENABLED=false: no docs, the API as ever.
    assert client.get("/docs").status_code == 404
    assert client.get("/").json() == {"Hello": "World"}
    for container in stack.containers("app"):
        mounted = docker("exec", container, "cat", "/run/secrets/APP_DOCS_ENABLED").stdout
        assert mounted == "false"


@pytest.fixture
def restored(stack: SwarmStack, image: str) -> Iterator[None]:
    """The stack back on the project's image, as shipped, after a test that updates it."""
    yield
    stack.deploy(image)
    stack.wait_serving()


def _update_under_load(
    stack: SwarmStack, what: str, image: str, ends: str, timeout: float, **env: str
) -> Load:
    """Redeploy with `image` (and `env`) while requests flow through the proxy; wait for the
    update to end in state `ends` and for the stack to serve again."""
    # An earlier test's restore may still be updating: this update starts from a settled
    # service, so that its rollback has one version to return to.
    stack.wait_settled()
    with Load(stack).running() as load:
        stack.deploy(image, **env)
        wait_until(
            lambda: stack.update_state("app") == ends,
            timeout=timeout,
            what=f"the update to end {ends}",
        )
        stack.wait_serving()
    _report(what, load)
    return load


@pytest.mark.usefixtures("restored")
def test_a_rolling_update_to_a_new_tag_loses_no_request(
    stack: SwarmStack, image: str, tmp_path: Path
) -> None:
    label = "LABEL org.opencontainers.image.version=v2"
    new = stack.build_variant(image, f"{image}-v2", tmp_path, label)
    load = _update_under_load(stack, "rolling update", new, "completed", timeout=180)
    assert len(load.outcomes) > 100
    assert load.failures == []
    assert {task["Image"] for task in stack.running("app")} == {new}


@pytest.mark.usefixtures("restored")
def test_an_update_whose_health_check_fails_is_rolled_back_and_loses_no_request(
    stack: SwarmStack, image: str, tmp_path: Path
) -> None:
    unhealthy = stack.build_variant(
        image,
        f"{image}-unhealthy",
        tmp_path,
        "USER 0",
        "RUN printf 'raise SystemExit(1)\\n' "
        "> /opt/venv/lib/python3.13/site-packages/app/healthcheck.py",
        "USER 10001:10001",
    )
    # The rollback returns to the spec the update replaced: the shipped image, which the
    # restore after an earlier test deployed again.
    stack.wait_settled()
    before = stack.spec_image("app")
    what = "failed update, rolled back"
    load = _update_under_load(stack, what, unhealthy, "rollback_completed", timeout=240)
    assert len(load.outcomes) > 100
    assert load.failures == []
    assert before.split("@")[0] == image
    assert {task["Image"] for task in stack.running("app")} == {before}


@pytest.mark.usefixtures("restored")
def test_a_failing_prestart_step_keeps_the_new_version_from_serving(
    stack: SwarmStack, image: str
) -> None:
    # The one override: a dependency the new version waits for and never gets.
    load = _update_under_load(
        stack,
        "failing prestart step, rolled back",
        image,
        "rollback_completed",
        timeout=180,
        APP_WAIT_FOR="127.0.0.1:9",
        APP_WAIT_TIMEOUT="1",
    )
    assert load.failures == []
    environments = [
        docker("exec", c, "printenv", "APP_WAIT_FOR").stdout.strip()
        for c in stack.containers("app")
    ]
    assert environments == ["", ""]


def test_a_killed_replica_is_replaced_and_the_service_converges(
    stack: SwarmStack, client: httpx.Client
) -> None:
    victim = stack.containers("app")[0]
    with Load(stack).running() as load:
        docker("kill", "--signal", "KILL", victim)
        wait_until(
            lambda: victim not in stack.containers("app") and len(stack.containers("app")) == 2,
            timeout=60,
            what="a replacement replica",
        )
        stack.wait_serving()
    _report("replica killed", load)
    assert client.get("/").json() == {"Hello": "World"}
