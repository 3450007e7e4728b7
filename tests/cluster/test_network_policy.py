"""The NetworkPolicy, enforced: who may reach the pods, and where the pods may connect."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
import yaml

from testing.cluster import Manifest, Release, get, kubectl, namespace_name, released
from testing.gateway import Gateway
from testing.require import require
from testing.wait import wait_until
from tests.cluster.conftest import Pushed


def _allowed_namespaces(release: Release, scratch: Path) -> set[str]:
    (policy,) = [m for m in release.render(scratch) if m["kind"] == "NetworkPolicy"]
    return {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
    }


def _client_pod(namespace: str, image: str) -> Manifest:
    """A pod that only waits, for `kubectl exec` to connect from; restricted-compliant,
    from the service's own image (it has Python)."""
    context = {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "policy-client", "namespace": namespace},
        "spec": {
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "client",
                    "image": image,
                    "command": ["python", "-c", "import time; time.sleep(900)"],
                    "securityContext": context,
                }
            ],
        },
    }


@contextmanager
def _client_in(namespace: str, image: str) -> Iterator[str]:
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(_client_pod(namespace, image)))
    try:
        kubectl(
            "-n",
            namespace,
            "wait",
            "pod/policy-client",
            "--for=condition=Ready",
            "--timeout=120s",
            timeout=150,
        )
        yield namespace
    finally:
        kubectl("-n", namespace, "delete", "pod", "policy-client", "--wait=false", check=False)


_CONNECT = (
    "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)"
)


def _connects(namespace: str, pod: str, address: str, port: int, container: str) -> bool:
    attempt = kubectl(
        "-n",
        namespace,
        "exec",
        pod,
        "-c",
        container,
        "--",
        "python",
        "-c",
        _CONNECT,
        address,
        str(port),
        check=False,
        timeout=60,
    )
    return attempt.returncode == 0


def _refused_once_enforced(connects: Callable[[], bool]) -> None:
    """A policy reaches a new pod's rules a moment after the pod starts (the network
    plugin's sync), as on any cluster: the connection must be refused within a minute,
    and stay refused."""
    wait_until(lambda: not connects(), timeout=60, what="the policy to refuse the connection")
    assert not connects()


@pytest.fixture
def policed_nodes() -> Iterator[None]:
    """Where the cluster enforces policies on some nodes only (`POLICY_NODES`, such as
    node-1: ensure-kubernetes runs its policy agent for the first node alone), the others
    are cordoned for the test, so that its pods land where the policy is enforced."""
    only = [n for n in os.environ.get("POLICY_NODES", "").split(",") if n]
    names = [n["metadata"]["name"] for n in get("nodes")["items"]]
    others = [n for n in names if only and n not in only]
    for node in others:
        kubectl("cordon", node)
    try:
        yield
    finally:
        for node in others:
            kubectl("uncordon", node)


@pytest.fixture
def dev(policed_nodes: None, pushed: Pushed, tmp_path: Path) -> Iterator[Release]:
    """The dev overlay, its pods where the policy is enforced."""
    with released("dev", pushed.tag, tmp_path / "dev", "policy") as release:
        yield release


@pytest.fixture
def target(dev: Release) -> str:
    (pod, *_) = dev.pods(ready_only=True)
    return str(pod["status"]["podIP"])


def test_a_pod_in_an_allowed_namespace_reaches_the_pods(
    dev: Release, pushed: Pushed, target: str, tmp_path: Path
) -> None:
    existing = {n["metadata"]["name"] for n in get("namespaces")["items"]}
    present = sorted(_allowed_namespaces(dev, tmp_path) & existing)
    require(
        bool(present),
        variable="REQUIRE_GATEWAY",
        reason="no namespace the policy admits exists here (the Gateway's: ensure-gateway)",
    )
    with _client_in(present[0], pushed.tag) as namespace:
        assert _connects(namespace, "policy-client", target, 8000, "client")


def test_a_pod_in_an_unrelated_namespace_is_refused(
    dev: Release, pushed: Pushed, target: str
) -> None:
    unrelated = namespace_name("unrelated")
    kubectl("create", "namespace", unrelated)
    try:
        with _client_in(unrelated, pushed.tag) as namespace:
            _refused_once_enforced(
                lambda: _connects(namespace, "policy-client", target, 8000, "client")
            )
    finally:
        kubectl("delete", "namespace", unrelated, "--wait=false", check=False)


def test_the_pods_resolve_names_but_open_no_connection_the_policy_does_not_list(
    dev: Release,
) -> None:
    (pod, *_) = dev.pods(ready_only=True)
    name = pod["metadata"]["name"]
    api = kubectl(
        "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}"
    ).stdout
    resolve = dev.kubectl(
        "exec",
        name,
        "-c",
        "app",
        "--",
        "python",
        "-c",
        "import socket; print(socket.gethostbyname('kubernetes.default.svc.cluster.local'))",
    )
    assert resolve.stdout.strip() == api
    # The API server is reachable from any pod on an unpoliced cluster; not from these.
    _refused_once_enforced(lambda: _connects(dev.namespace, name, api, 443, "app"))


@pytest.mark.node_local
def test_the_gateway_still_reaches_the_pods_once_the_policy_is_enforced(
    dev: Release, pushed: Pushed, gateway: Gateway, host: str
) -> None:
    """The overlay admits the Gateway's namespace: every pod refuses a stranger, then
    serves through the Gateway all the same."""
    unrelated = namespace_name("stranger")
    kubectl("create", "namespace", unrelated)
    try:
        with _client_in(unrelated, pushed.tag) as namespace:
            for pod in dev.pods(ready_only=True):
                _refused_once_enforced(
                    partial(
                        _connects,
                        namespace,
                        "policy-client",
                        pod["status"]["podIP"],
                        8000,
                        "client",
                    )
                )
    finally:
        kubectl("delete", "namespace", unrelated, "--wait=false", check=False)
    with gateway.client(host) as client:
        for _ in range(20):
            assert client.get("/").json() == {"Hello": "World"}
