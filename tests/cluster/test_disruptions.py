"""What the cluster does to the pods on its own: liveness restarts, node drains under the
PodDisruptionBudget, and the autoscaler."""

import os
import shutil
import signal
import subprocess
import time

import pytest

from testing.cluster import Release, get, host_pids_of, kubectl, ready
from testing.load import Load
from testing.wait import wait_until


def _app_status(release: Release, name: str) -> dict[str, object]:
    pod = release.get("pod", name)
    (status,) = pod["status"]["containerStatuses"]
    return dict(status)


@pytest.mark.node_local
def test_liveness_restarts_a_frozen_server_and_readiness_takes_it_out_meanwhile(
    dev: Release,
) -> None:
    (pod, *_) = dev.pods(ready_only=True)
    name, address = pod["metadata"]["name"], pod["status"]["podIP"]
    (status,) = pod["status"]["containerStatuses"]
    pids = host_pids_of(status["containerID"])
    if not pids:
        pytest.skip("the container's processes are not visible from here (not on its node)")
    frozen = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    # Readiness fails: the pod leaves the Service's endpoints while it is still frozen.
    wait_until(lambda: address not in dev.endpoints(), timeout=60, what="the endpoint's removal")
    assert _app_status(dev, name)["restartCount"] == 0
    with Load(f"{dev.service_url()}/items/5?q=k8s").running() as load:
        # Liveness fails: the kubelet kills the container and starts it again.
        wait_until(
            lambda: _app_status(dev, name)["restartCount"] == 1,
            timeout=180,
            what="the kubelet to restart the frozen container",
            interval=1,
        )
        wait_until(lambda: address in dev.endpoints(), timeout=60, what="the pod back in service")
    print(f"frozen to serving again: {time.monotonic() - frozen:.0f} s")  # noqa: T201
    print(load.summary("frozen server"))  # noqa: T201
    assert load.failures == []


@pytest.fixture
def two_nodes(dev: Release) -> list[str]:
    nodes = [n["metadata"]["name"] for n in get("nodes")["items"] if ready(n)]
    if len(nodes) < 2:
        pytest.skip("one node: a drain has nowhere to move the pod (NODES=2 ensure-kubernetes)")
    return nodes


def test_the_replicas_spread_across_the_nodes(dev: Release, two_nodes: list[str]) -> None:
    placed = [p["spec"]["nodeName"] for p in dev.pods(ready_only=True)]
    assert len(set(placed)) == len(placed) == 2


@pytest.mark.node_local
def test_a_node_drain_moves_the_pod_under_the_budget_and_loses_no_request(
    dev: Release, two_nodes: list[str]
) -> None:
    (pod, *_) = dev.pods(ready_only=True)
    node = pod["spec"]["nodeName"]
    try:
        with Load(f"{dev.service_url()}/items/5?q=k8s").running() as load:
            kubectl(
                "drain",
                node,
                "--pod-selector=app.kubernetes.io/name=fastapi-service",
                "--ignore-daemonsets",
                "--delete-emptydir-data",
                "--timeout=180s",
                timeout=240,
            )
            dev.rollout_status()
    finally:
        kubectl("uncordon", node)
    print(load.summary("node drain"))  # noqa: T201
    assert load.failures == []
    assert node not in {p["spec"]["nodeName"] for p in dev.pods(ready_only=True)}


def _evict(release: Release, pod: str) -> subprocess.CompletedProcess[str]:
    eviction = (
        '{"apiVersion": "policy/v1", "kind": "Eviction",'
        f' "metadata": {{"name": "{pod}", "namespace": "{release.namespace}"}}}}'
    )
    path = f"/api/v1/namespaces/{release.namespace}/pods/{pod}/eviction"
    return kubectl("create", "--raw", path, "-f", "-", stdin=eviction, check=False)


def test_an_eviction_that_would_break_the_budget_is_refused(dev: Release) -> None:
    first, second = (p["metadata"]["name"] for p in dev.pods(ready_only=True))
    allowed = _evict(dev, first)
    assert allowed.returncode == 0, allowed.stderr
    # Right away, before a replacement is ready: the budget has no disruption left.
    refused = _evict(dev, second)
    assert refused.returncode != 0
    assert "(TooManyRequests)" in refused.stderr, refused.stderr


@pytest.mark.node_local
def test_the_autoscaler_adds_replicas_under_cpu_load(dev: Release) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed (apt-get install wrk)")
    wait_until(
        lambda: dev.get("hpa", "fastapi-service")["status"].get("currentMetrics"),
        timeout=180,
        what="metrics-server's CPU figures to reach the autoscaler",
        interval=2,
    )
    started = time.monotonic()
    url = f"{dev.service_url()}/items/5?q=k8s"
    # Bounded: at most 240 s, stopped as soon as the autoscaler has acted.
    with subprocess.Popen(["wrk", "-t1", "-c16", "-d240s", url], stdout=subprocess.DEVNULL) as load:
        try:
            wait_until(
                lambda: dev.get("hpa", "fastapi-service")["status"].get("desiredReplicas", 0) > 2,
                timeout=240,
                what="the autoscaler to want more than 2 replicas",
                interval=2,
            )
        finally:
            load.terminate()
    print(f"above 2 replicas after {time.monotonic() - started:.0f} s of load")  # noqa: T201
    wait_until(lambda: len(dev.pods()) > 2, timeout=60, what="a third pod")
