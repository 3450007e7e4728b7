"""pre-commit, the dev container and hadolint: real configuration the tools accept."""

import json
import re

from tests.repo.tools import run_tool
from tests.support import PROJECT_ROOT


def test_pre_commit_accepts_its_configuration() -> None:
    result = run_tool("pre-commit", "validate-config", ".pre-commit-config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_runs_ruff_the_lock_check_and_hadolint_locally() -> None:
    config = (PROJECT_ROOT / ".pre-commit-config.yaml").read_text()
    hooks = re.findall(r"^\s+- id: (\S+)$", config, re.M)
    assert hooks == ["uv-lock", "ruff", "ruff-format", "hadolint"]
    assert "repo: local" in config


def test_hadolint_finds_nothing_in_any_dockerfile() -> None:
    dockerfiles = sorted(
        str(p.relative_to(PROJECT_ROOT))
        for p in PROJECT_ROOT.rglob("Dockerfile*")
        if ".venv" not in p.parts
    )
    assert dockerfiles == ["Dockerfile", "benchmarks/baseline/Dockerfile"]
    result = run_tool("hadolint", *dockerfiles)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dev_container_builds_a_stage_of_the_projects_dockerfile() -> None:
    config = json.loads((PROJECT_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    target = config["build"]["target"]
    assert config["build"]["dockerfile"] == "../Dockerfile"
    assert f" AS {target}\n" in (PROJECT_ROOT / "Dockerfile").read_text()
    assert config["postCreateCommand"].startswith("uv sync --locked")
