"""pre-commit and the dev container: configuration the tools accept. (hadolint runs in
scripts/lint and pre-commit.)"""

import json

from testing.paths import PROJECT_ROOT
from tests.repo.tools import run_tool


def test_pre_commit_accepts_its_configuration() -> None:
    result = run_tool("pre-commit", "validate-config", ".pre-commit-config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dev_container_builds_a_stage_of_the_projects_dockerfile() -> None:
    config = json.loads((PROJECT_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    target = config["build"]["target"]
    assert config["build"]["dockerfile"] == "../Dockerfile"
    assert f" AS {target}\n" in (PROJECT_ROOT / "Dockerfile").read_text()
