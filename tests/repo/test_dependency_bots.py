"""Dependabot and Renovate: valid configurations that cover every kind of dependency."""

import json
import tomllib
from typing import Any

import yaml

from testing.paths import PROJECT_ROOT
from tests.repo.tools import run_tool

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


# What each bot calls the kind of dependency a file of the project holds.
KINDS = {
    "uv.lock": ("uv", "pep621"),
    "scripts/uv-requirements.txt": ("pip", "pip_requirements"),
    "Dockerfile": ("docker", "dockerfile"),
    "compose.yaml": ("docker-compose", "docker-compose"),
    ".github/workflows": ("github-actions", "github-actions"),
    "testing/renovate/package.json": ("npm", "npm"),
}


def test_both_bots_cover_exactly_the_kinds_of_dependency_the_project_has() -> None:
    present = [kinds for path, kinds in KINDS.items() if (PROJECT_ROOT / path).exists()]
    assert present
    ecosystems = {u["package-ecosystem"] for u in _dependabot()}
    managers = set(json.loads(RENOVATE.read_text())["enabledManagers"])
    # Neither claims more than the other, nor more than the project holds.
    assert {dependabot for dependabot, _ in present} == ecosystems
    assert {renovate for _, renovate in present} == managers


def test_both_bots_and_uv_hold_a_release_back_for_the_same_number_of_days() -> None:
    cooldowns = {u["cooldown"]["default-days"] for u in _dependabot()}
    age = json.loads(RENOVATE.read_text())["minimumReleaseAge"]
    days = int(age.removesuffix(" days"))
    assert cooldowns == {days}
    uv = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["uv"]
    assert uv["exclude-newer"] == f"{days} days"
    # The lock was resolved with it: uv wrote the span down.
    options = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())["options"]
    assert options["exclude-newer-span"] == f"P{days}D"


def test_the_uv_image_is_a_stage_the_docker_bot_can_see() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "\nFROM ghcr.io/astral-sh/uv:" in dockerfile


def test_dependabot_moves_uv_s_image_and_hash_checked_pin_in_one_pull_request() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text())
    assert "uv" in config["multi-ecosystem-groups"]
    members = {
        (u["package-ecosystem"], u["directory"], tuple(u["patterns"]))
        for u in config["updates"]
        if u.get("multi-ecosystem-group") == "uv"
    }
    assert ("docker", "/", ("ghcr.io/astral-sh/uv",)) in members
    assert ("pip", "/scripts", ("uv",)) in members


def test_renovate_moves_uv_s_image_and_hash_checked_pin_in_one_pull_request() -> None:
    rules = json.loads(RENOVATE.read_text())["packageRules"]
    groups = {
        r.get("groupName")
        for r in rules
        if {"uv", "ghcr.io/astral-sh/uv"} <= set(r.get("matchPackageNames", []))
    }
    assert groups == {"uv"}


def test_dependabot_never_looks_up_the_project_s_own_image() -> None:
    (compose,) = [u for u in _dependabot() if u["package-ecosystem"] == "docker-compose"]
    assert {"dependency-name": "fastapi-service"} in compose["ignore"]
