"""Dependabot and Renovate: valid configurations that cover every kind of dependency."""

import json
from typing import Any

import yaml

from tests.repo.tools import run_tool
from tests.support import PROJECT_ROOT

DEPENDABOT = PROJECT_ROOT / ".github" / "dependabot.yml"
RENOVATE = PROJECT_ROOT / "renovate.json"


def test_dependabot_validates_against_its_schema() -> None:
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.dependabot", str(DEPENDABOT))
    assert result.returncode == 0, result.stdout + result.stderr


def test_renovate_validates_against_its_schema() -> None:
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.renovate", str(RENOVATE))
    assert result.returncode == 0, result.stdout + result.stderr


def _dependabot() -> list[dict[str, Any]]:
    updates: list[dict[str, Any]] = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    return updates


def test_dependabot_covers_python_images_compose_and_actions() -> None:
    ecosystems = sorted(u["package-ecosystem"] for u in _dependabot())
    assert ecosystems == ["docker", "docker-compose", "github-actions", "uv"]


def test_dependabot_groups_updates_and_waits_for_a_cooldown() -> None:
    for update in _dependabot():
        assert update["groups"], update["package-ecosystem"]
        assert update["cooldown"]["default-days"] >= 3, update["package-ecosystem"]


def test_the_uv_image_is_a_stage_the_docker_bot_can_see() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "\nFROM ghcr.io/astral-sh/uv:" in dockerfile


def test_renovate_has_the_same_scope_with_lock_maintenance_and_a_release_age() -> None:
    config = json.loads(RENOVATE.read_text())
    assert set(config["enabledManagers"]) >= {
        "pep621",
        "dockerfile",
        "docker-compose",
        "github-actions",
    }
    assert config["lockFileMaintenance"]["enabled"] is True
    assert config["minimumReleaseAge"] == "7 days"
