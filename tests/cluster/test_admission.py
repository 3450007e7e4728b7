"""Pod Security is enforced by the cluster, not only declared in the manifests."""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.cluster import Manifest, Release

type Change = Callable[[dict[str, Any]], None]


def _pod_of(release: Release, scratch: Path) -> Manifest:
    """A bare Pod with the overlay's own pod template, in the release's namespace."""
    (deployment,) = [m for m in release.render(scratch / "render") if m["kind"] == "Deployment"]
    template = copy.deepcopy(deployment["spec"]["template"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "admission-check", "namespace": release.namespace},
        "spec": template["spec"],
    }


def _dry_run(release: Release, pod: Manifest) -> tuple[int, str]:
    result = release.kubectl(
        "create", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(pod), check=False
    )
    return result.returncode, result.stdout + result.stderr


def _without_run_as_non_root(spec: dict[str, Any]) -> None:
    del spec["securityContext"]["runAsNonRoot"]
    for container in spec["initContainers"] + spec["containers"]:
        del container["securityContext"]["runAsNonRoot"]


def _with_a_capability_added(spec: dict[str, Any]) -> None:
    spec["containers"][0]["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]


def _with_privilege_escalation(spec: dict[str, Any]) -> None:
    spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True


def test_the_overlays_pod_is_admitted(dev: Release, tmp_path: Path) -> None:
    code, output = _dry_run(dev, _pod_of(dev, tmp_path))
    assert code == 0, output


@pytest.mark.parametrize(
    "change",
    [_without_run_as_non_root, _with_a_capability_added, _with_privilege_escalation],
    ids=["runAsNonRoot-unset", "capability-added", "privilege-escalation"],
)
def test_a_pod_that_breaks_the_restricted_profile_is_refused_at_admission(
    dev: Release, tmp_path: Path, change: Change
) -> None:
    pod = _pod_of(dev, tmp_path)
    change(pod["spec"])
    code, output = _dry_run(dev, pod)
    assert code != 0
    # The Pod Security admission's refusal (HTTP 403), not some other error.
    assert "(Forbidden)" in output, output
    assert "PodSecurity" in output, output
