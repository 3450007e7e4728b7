"""The overlays roll out and serve on a real cluster, as the manifests say they do."""

import json
import uuid
from pathlib import Path

import httpx
import pytest

from testing.cluster import Release, released, routed_locally
from testing.units import MiB
from testing.wait import wait_until
from tests.cluster.conftest import Pushed


@pytest.mark.node_local
def test_the_service_answers_the_contract_the_docs_and_the_probes(dev: Release) -> None:
    url = dev.service_url()
    assert httpx.get(f"{url}/").json() == {"Hello": "World"}
    assert httpx.get(f"{url}/items/5?q=somequery").json() == {"item_id": 5, "q": "somequery"}
    docs = httpx.get(f"{url}/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert httpx.get(f"{url}/health/live").json() == {"status": "alive"}
    assert httpx.get(f"{url}/health/ready").json() == {"status": "ready"}


@pytest.mark.node_local
def test_kubectl_logs_shows_json_lines_with_the_request_id(dev: Release) -> None:
    # The overlays leave request lines to the gateway in front; a user who wants the
    # service's own turns them on, as here.
    dev.kubectl("set", "env", "deployment/fastapi-service", "-c", "app", "APP_ACCESS_LOG=true")
    dev.rollout_status()
    (pod, *_) = dev.pods(ready_only=True)
    request_id = uuid.uuid4().hex
    address = pod["status"]["podIP"]
    assert routed_locally(address), f"{address} is not routed to the cluster's bridge here"
    answer = httpx.get(f"http://{address}:8000/items/5", headers={"X-Request-ID": request_id})
    assert answer.headers["x-request-id"] == request_id

    def access_line() -> dict[str, object] | None:
        lines = dev.logs(pod["metadata"]["name"]).splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return next((r for r in records if r.get("request_id") == request_id), None)

    line = wait_until(access_line, timeout=30, what="the request's line in kubectl logs")
    assert line["logger"] == "app.access"
    assert line["path"] == "/items/5"
    assert line["status"] == 200


def test_every_line_the_pod_writes_is_json(dev: Release) -> None:
    for pod in dev.pods():
        lines = [line for line in dev.logs(pod["metadata"]["name"]).splitlines() if line]
        # fastapi run's banner (indented or blank lines), then JSON only.
        records = [json.loads(line) for line in lines if not line.startswith(" ")]
        assert any(r["message"] == "startup complete" for r in records)


def test_the_root_is_read_only_and_tmp_is_writable_in_a_pod(dev: Release) -> None:
    (pod, *_) = dev.pods(ready_only=True)
    name = pod["metadata"]["name"]
    outside = dev.kubectl("exec", name, "-c", "app", "--", "touch", "/var/tmp/x", check=False)  # noqa: S108
    assert outside.returncode != 0
    assert "Read-only file system" in outside.stderr
    inside = dev.kubectl("exec", name, "-c", "app", "--", "touch", "/tmp/x", check=False)  # noqa: S108
    assert inside.returncode == 0, inside.stderr


def test_the_containers_memory_limit_is_the_manifests(dev: Release, tmp_path: Path) -> None:
    (deployment,) = [m for m in dev.render(tmp_path) if m["kind"] == "Deployment"]
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    declared = int(app["resources"]["limits"]["memory"].removesuffix("Mi")) * MiB
    (pod, *_) = dev.pods(ready_only=True)
    # cgroup v2's file, or v1's: whichever this node's kernel has.
    read = (
        "cat /sys/fs/cgroup/memory.max 2>/dev/null"
        " || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
    )
    limit = dev.kubectl("exec", pod["metadata"]["name"], "-c", "app", "--", "sh", "-c", read)
    assert int(limit.stdout) == declared


def test_the_prod_overlay_rolls_out_by_digest_pulling_always(
    pushed: Pushed, tmp_path: Path
) -> None:
    with released("prod", pushed.digest, tmp_path, "prod") as prod:
        pods = prod.pods(ready_only=True)
        assert len(pods) >= 2
        digest = pushed.digest.split("@", 1)[1]
        for pod in pods:
            for container in pod["spec"]["initContainers"] + pod["spec"]["containers"]:
                assert container["image"] == pushed.digest
                assert container["imagePullPolicy"] == "Always"
            (status,) = pod["status"]["containerStatuses"]
            assert status["imageID"].endswith(digest)
