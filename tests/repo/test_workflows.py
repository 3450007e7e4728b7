"""The GitHub Actions workflows: valid, lint-clean, audited, and hardened."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.paths import PROJECT_ROOT
from tests.repo.tools import run_tool

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    return data


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_there_is_a_workflow() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_validates_against_the_github_schema(path: Path) -> None:
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    result = run_tool("actionlint", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_finds_nothing_even_when_pedantic() -> None:
    result = run_tool("zizmor", "--offline", "--persona", "pedantic", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report." in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    lines = [line.strip() for line in path.read_text().splitlines()]
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses
    for action in uses:
        assert PINNED.match(action), f"not pinned by SHA with a version comment: {action}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_timeouts_and_concurrency_are_set(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, name
        assert job["timeout-minutes"] <= 60, name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_never_persists_credentials(path: Path) -> None:
    steps = _steps(_load(path))
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def _ci() -> dict[Any, Any]:
    return _load(PROJECT_ROOT / ".github" / "workflows" / "ci.yml")


def _step(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    (found,) = [s for s in steps if s.get("uses", "").startswith(f"{action}@")]
    return found


def _builds(steps: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The image job's two builds: the amd64 one the scanner reads, then the published one."""
    scan, publish = [s for s in steps if s.get("uses", "").startswith("docker/build-push-action@")]
    return scan, publish


# The first major of each docker/* action that runs on Node 24 (their changelogs).
NODE_24_MAJORS = {
    "docker/setup-qemu-action": 4,
    "docker/setup-buildx-action": 4,
    "docker/metadata-action": 6,
    "docker/login-action": 4,
    "docker/build-push-action": 7,
}


def test_the_docker_actions_are_on_their_node_24_majors() -> None:
    uses = [s["uses"] for s in _steps(_ci()) if "uses" in s]
    lines = (PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text().splitlines()
    comments = {
        line.split("uses:", 1)[1].split("@")[0].strip(): line.rsplit("# v", 1)[1]
        for line in lines
        if "uses: docker/" in line
    }
    assert set(comments) == set(NODE_24_MAJORS)
    assert {u.split("@")[0] for u in uses if u.startswith("docker/")} == set(NODE_24_MAJORS)
    for action, major in NODE_24_MAJORS.items():
        assert int(comments[action].split(".")[0]) >= major, action


def test_uv_comes_from_the_hash_checked_script_not_an_unverified_download() -> None:
    steps = _ci()["jobs"]["checks"]["steps"]
    assert not [s for s in steps if "astral-sh/setup-uv" in s.get("uses", "")]
    (install,) = [s for s in steps if "scripts/install-uv" in s.get("run", "")]
    # Installed where the job's later steps find it, not left to whatever uv the runner has.
    assert install["run"].splitlines() == [
        "scripts/install-uv",
        'echo "$UV_INSTALL_DIR" >> "$GITHUB_PATH"',
    ]
    # Right after the checkout, before any step that runs uv.
    assert steps.index(install) == 1


def test_the_image_is_rebuilt_every_week_from_freshly_pulled_base_images() -> None:
    workflow = _ci()
    # PyYAML reads the `on` key as the boolean True (YAML 1.1).
    (cron,) = [entry["cron"] for entry in workflow[True]["schedule"]]
    minute, hour, day_of_month, month, day_of_week = cron.split()
    assert (day_of_month, month) == ("*", "*")
    assert [field.isdigit() for field in (minute, hour, day_of_week)] == [True, True, True]
    image = workflow["jobs"]["image"]
    assert "if" not in image
    # A scheduled run is not a pull request, so it publishes.
    assert image["env"]["PUBLISH"] == "${{ github.event_name != 'pull_request' }}"
    for build in _builds(image["steps"]):
        assert build["with"]["pull"] is True


def test_the_scan_fails_on_fixable_critical_and_high_findings_and_uploads_sarif() -> None:
    steps = _ci()["jobs"]["image"]["steps"]
    scan_build, publish = _builds(steps)
    scan = _step(steps, "aquasecurity/trivy-action")
    upload = _step(steps, "github/codeql-action/upload-sarif")
    # It scans what the published build makes, for the platform the runner can load.
    assert scan_build["with"]["load"] is True
    assert scan_build["with"]["platforms"] == "linux/amd64"
    for key in ("context", "target"):
        assert scan_build["with"][key] == publish["with"][key]
    assert scan["with"]["image-ref"] == scan_build["with"]["tags"]
    assert {
        key: scan["with"][key]
        for key in (
            "severity",
            "ignore-unfixed",
            "exit-code",
            "format",
            "limit-severities-for-sarif",
        )
    } == {
        "severity": "CRITICAL,HIGH",
        "ignore-unfixed": True,
        "exit-code": "1",
        "format": "sarif",
        "limit-severities-for-sarif": True,
    }
    assert upload["with"]["sarif_file"] == scan["with"]["output"]
    assert upload["if"] == f"always() && steps.{scan['id']}.outcome != 'skipped'"
    # A finding stops the job before anything is pushed.
    assert steps.index(scan_build) < steps.index(scan) < steps.index(publish)


def test_only_the_pushed_digest_is_signed_and_its_sbom_attested_keylessly() -> None:
    image = _ci()["jobs"]["image"]
    steps = image["steps"]
    _, publish = _builds(steps)
    (sign,) = [s for s in steps if "cosign sign" in s.get("run", "")]
    installer = _step(steps, "sigstore/cosign-installer")
    assert publish["with"]["push"] == "${{ env.PUBLISH == 'true' }}"
    assert sign["if"] == installer["if"] == "env.PUBLISH == 'true'"
    assert sign["env"]["DIGEST"] == f"${{{{ steps.{publish['id']}.outputs.digest }}}}"
    commands = [line.strip() for line in sign["run"].splitlines()]
    assert 'image="ghcr.io/${GITHUB_REPOSITORY,,}@${DIGEST}"' in commands
    assert 'cosign sign --yes "$image"' in commands
    assert 'cosign attest --yes --type spdxjson --predicate "$sbom" "$image"' in commands
    # No key anywhere: the identity is the workflow's OIDC token.
    assert "--key" not in sign["run"]
    assert image["permissions"]["id-token"] == "write"
    assert publish["with"]["sbom"] is True
    assert steps.index(publish) < steps.index(installer) < steps.index(sign)


def test_the_arm64_image_is_tested_natively_before_anything_is_published() -> None:
    (workflow,) = WORKFLOWS
    jobs = _load(workflow)["jobs"]
    arm64 = jobs["arm64"]
    assert arm64["runs-on"] == "ubuntu-24.04-arm"
    (test,) = [step for step in arm64["steps"] if "scripts/test" in step.get("run", "")]
    assert test["env"]["REQUIRE_DOCKER"] == "1"
    assert '-m "container and not emulated"' in test["run"]
    assert "tests/container/test_image.py" in test["run"]
    assert "arm64" in jobs["image"]["needs"]


def test_the_cluster_tests_run_on_a_pinned_kind_before_anything_is_published() -> None:
    (workflow,) = WORKFLOWS
    jobs = _load(workflow)["jobs"]
    kind = jobs["kind"]
    (create,) = [step for step in kind["steps"] if "helm/kind-action@" in step.get("uses", "")]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", create["with"]["version"])
    assert re.fullmatch(r"kindest/node:v[\d.]+@sha256:[0-9a-f]{64}", create["with"]["node_image"])
    config = yaml.safe_load((PROJECT_ROOT / create["with"]["config"]).read_text())
    assert [n["role"] for n in config["nodes"]].count("worker") >= 2
    (test,) = [step for step in kind["steps"] if "scripts/test" in step.get("run", "")]
    assert test["env"]["REQUIRE_KUBERNETES"] == "1"
    assert '-m "cluster and not node_local"' in test["run"]
    assert "kind" in jobs["image"]["needs"]
