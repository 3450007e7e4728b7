"""Releasing: prod runs its image by digest, and scripts/pin-release is how a release sets it."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from testing.paths import PROJECT_ROOT
from tests.deploy.kustomize import K8S, Manifest, one, render

PIN_RELEASE = PROJECT_ROOT / "scripts" / "pin-release"
OVERLAY_FILE = Path("overlays") / "prod" / "kustomization.yaml"
DIGEST = "sha256:" + "5" * 64


def _images(manifests: list[Manifest]) -> list[str]:
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return [c["image"] for c in pod["initContainers"] + pod["containers"]]


def _pin(k8s: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PIN_RELEASE), *args],
        env={**os.environ, "PIN_RELEASE_OVERLAY": str(k8s / "overlays" / "prod")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def k8s(tmp_path: Path) -> Path:
    """A copy of deploy/k8s that the script may edit."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    return copy


def test_prod_runs_every_container_by_digest_and_none_by_tag() -> None:
    images = _images(render("prod"))
    assert len(images) >= 2
    for image in images:
        name, digest = image.split("@")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), image
        assert ":" not in name.rsplit("/", 1)[1], f"a tag as well as the digest: {image}"


def test_pin_release_makes_prod_run_the_digest_given_and_changes_only_those_lines(
    k8s: Path,
) -> None:
    before = (k8s / OVERLAY_FILE).read_text().splitlines()
    reference = f"localhost:5000/team/fastapi-service@{DIGEST}"
    result = _pin(k8s, reference)
    assert result.returncode == 0, result.stderr
    assert set(_images(render("prod", k8s))) == {reference}
    after = (k8s / OVERLAY_FILE).read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        (
            "    newName: ghcr.io/example/fastapi-service",
            "    newName: localhost:5000/team/fastapi-service",
        ),
        (next(line for line in before if line.startswith("    digest: ")), f"    digest: {DIGEST}"),
    ]


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["ghcr.io/example/fastapi-service:0.1.0"],
        [f"ghcr.io/example/fastapi-service:0.1.0@{DIGEST}"],
        ["ghcr.io/example/fastapi-service@sha256:abc"],
        [f"ghcr.io/example/fastapi-service@{DIGEST.upper()}"],
        [f"fastapi-service@{DIGEST}"],
        [f"ghcr.io/example/fastapi-service@{DIGEST}", "extra"],
        [f"ghcr.io/example/fastapi-service@{DIGEST}\n    newTag: latest"],
    ],
    ids=["none", "tag", "tag-and-digest", "short", "upper", "no-registry", "two", "injection"],
)
def test_pin_release_refuses_anything_but_one_registry_path_and_digest_and_changes_nothing(
    k8s: Path, arguments: list[str]
) -> None:
    before = (k8s / OVERLAY_FILE).read_text()
    result = _pin(k8s, *arguments)
    assert result.returncode == 1
    assert result.stderr.startswith("pin-release: give one image as REGISTRY/PATH@sha256:")
    assert result.stderr.count("\n") == 1
    assert (k8s / OVERLAY_FILE).read_text() == before


def test_the_workflow_prints_the_pin_command_for_the_digest_it_signed() -> None:
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    (sign,) = [s for s in workflow["jobs"]["image"]["steps"] if "cosign sign" in s.get("run", "")]
    assert "scripts/pin-release $image" in sign["run"]
    assert 'image="ghcr.io/${GITHUB_REPOSITORY,,}@${DIGEST}"' in sign["run"]
