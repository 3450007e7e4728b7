"""checkov's skips and the dependency audit. (checkov itself runs in scripts/lint.)"""

import re

import yaml

from testing.context import tracked
from testing.paths import PROJECT_ROOT


def test_every_skip_carries_its_reason() -> None:
    skips = [
        line.strip()
        for path in (
            *(PROJECT_ROOT / name for name in tracked("Dockerfile", "*/Dockerfile")),
            PROJECT_ROOT / "deploy/k8s/base/deployment.yaml",
            PROJECT_ROOT / "deploy/k8s/overlays/dev/kustomization.yaml",
        )
        for line in path.read_text().splitlines()
        if "checkov:skip" in line or "checkov.io/skip" in line
    ]
    assert skips
    for skip in skips:
        assert re.search(r"CKV\w*_\d+\s*[:=]\s*\S+.{10,}", skip), f"no reason given: {skip}"


def test_ci_audits_the_locked_runtime_dependencies() -> None:
    # The audit needs the OSV database, which this machine cannot reach: it runs on GitHub.
    workflow = yaml.safe_load((PROJECT_ROOT / ".github/workflows/ci.yml").read_text())
    commands = [step.get("run", "") for step in workflow["jobs"]["checks"]["steps"]]
    assert "uv audit --locked --no-dev --preview-features audit-command" in commands
