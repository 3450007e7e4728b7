"""Rolling updates, restarts and deletions lose no request; a bad configuration stops at the
init container while the old pods keep serving."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testing.cluster import (
    Release,
    fewest_endpoints,
    json_stream,
    wait_rollout_stuck,
    watching,
)
from testing.load import Load
from testing.logs import parse
from tests.cluster.conftest import Pushed

# Each reaches the Service (or the Gateway) from this machine.
pytestmark = pytest.mark.node_local


def test_an_image_change_loses_no_request(dev: Release, pushed: Pushed, tmp_path: Path) -> None:
    changed = Release(dev.overlay, dev.namespace, pushed.other_tag)
    with Load(f"{dev.service_url()}/items/5?q=k8s").running() as load:
        changed.apply(tmp_path / "changed")
    print(load.summary("image change"))  # noqa: T201
    assert load.failures == []
    for pod in dev.pods():
        assert {c["image"] for c in pod["spec"]["containers"]} == {pushed.other_tag}


def test_a_rollout_restart_loses_no_request(dev: Release) -> None:
    before = {p["metadata"]["name"] for p in dev.pods()}
    with Load(f"{dev.service_url()}/items/5?q=k8s").running() as load:
        dev.kubectl("rollout", "restart", "deployment/fastapi-service")
        dev.rollout_status()
    print(load.summary("rollout restart"))  # noqa: T201
    assert load.failures == []
    assert before.isdisjoint(p["metadata"]["name"] for p in dev.pods())


def test_a_rollout_never_has_fewer_ready_pods_than_replicas(dev: Release) -> None:
    replicas = dev.get("deployment", "fastapi-service")["spec"]["replicas"]
    with fewest_endpoints(dev) as fewest:
        dev.kubectl("rollout", "restart", "deployment/fastapi-service")
        dev.rollout_status()
    assert fewest[0] >= replicas


def test_a_pod_deleted_by_hand_drains_then_stops_cleanly(dev: Release, tmp_path: Path) -> None:
    (deployment,) = [m for m in dev.render(tmp_path) if m["kind"] == "Deployment"]
    spec = deployment["spec"]["template"]["spec"]
    delay = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    (pod, *_) = dev.pods(ready_only=True)
    name = pod["metadata"]["name"]
    with (
        Load(f"{dev.service_url()}/items/5?q=k8s").running() as load,
        watching("-n", dev.namespace, "get", "pod", name, "-w", "-o", "json") as events,
        watching("-n", dev.namespace, "logs", "-f", name, "-c", "app") as logs,
    ):
        deleted = datetime.now(UTC)
        dev.kubectl(
            "delete", "pod", name, "--wait=true", timeout=spec["terminationGracePeriodSeconds"] + 60
        )
        dev.rollout_status()
        # The followed log has reached the container's end.
        time.sleep(1)
    print(load.summary("pod deleted"))  # noqa: T201
    assert load.failures == []
    output = parse(logs[0])
    (stopping,) = [r for r in output.by("uvicorn.error") if r["message"] == "Shutting down"]
    # SIGTERM (uvicorn's "Shutting down") only once the preStop sleep has passed.
    assert _at(stopping["time"]) >= deleted.timestamp() + delay
    # Then the lifespan's shutdown, after the requests in flight.
    messages = output.messages()
    assert messages.index("shutdown complete") > messages.index("Shutting down")
    finals = [
        status["state"]["terminated"]
        for event in json_stream(events[0])
        for status in event["status"].get("containerStatuses", [])
        if status["name"] == "app" and "terminated" in status["state"]
    ]
    assert finals, "the pod's watch saw no terminated state"
    assert finals[-1]["exitCode"] == 0
    finished = datetime.fromisoformat(finals[-1]["finishedAt"]).timestamp()
    assert finished - deleted.timestamp() < spec["terminationGracePeriodSeconds"]


def _at(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def test_an_invalid_setting_stops_the_rollout_at_the_init_container_and_undo_recovers(
    dev: Release, tmp_path: Path
) -> None:
    (deployment,) = [m for m in dev.render(tmp_path / "render") if m["kind"] == "Deployment"]
    deadline = deployment["spec"]["progressDeadlineSeconds"]
    serving = {p["metadata"]["name"] for p in dev.pods(ready_only=True)}
    broken = Release(dev.overlay, dev.namespace, dev.image, settings=("APP_LOG_LEVEL=loud",))
    with Load(f"{dev.service_url()}/items/5?q=k8s").running() as load:
        started = time.monotonic()
        broken.apply(tmp_path / "broken", wait=False)
        wait_rollout_stuck(dev, timeout=deadline + 60)
        print(f"no progress reported after {time.monotonic() - started:.0f} s")  # noqa: T201
        held = [p for p in dev.pods() if p["metadata"]["name"] not in serving]
        assert held
        for pod in held:
            (init,) = pod["status"]["initContainerStatuses"]
            assert not init.get("ready")
            assert pod["status"]["containerStatuses"][0].get("started") is not True
            said = dev.kubectl("logs", pod["metadata"]["name"], "-c", "prestart").stdout
            assert said.startswith("invalid configuration: APP_LOG_LEVEL"), said
        # The old pods kept serving all along.
        assert serving <= {p["metadata"]["name"] for p in dev.pods(ready_only=True)}
        dev.kubectl("rollout", "undo", "deployment/fastapi-service")
        dev.rollout_status()
    print(load.summary("invalid setting, then undo"))  # noqa: T201
    assert load.failures == []
    assert len(dev.pods(ready_only=True)) == len(serving)
