"""Renovate's own extraction, run on the repository, covers every pinned thing in it, and
nothing of the project's own. The pinned things are read from the files themselves."""

import json
import re
import shutil
import tomllib

import pytest

from testing.context import tracked
from testing.paths import PROJECT_ROOT
from testing.renovate import Dependency, run, validate
from testing.require import require

pytestmark = pytest.mark.tools

# The project's own image, under any tag: built here, never looked up.
OWN_IMAGE = re.compile(r"(\$\{IMAGE:-)?fastapi-service(:[^}]*)?\}?")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dockerfiles() -> set[tuple[str, str, str]]:
    found = set()
    for dockerfile in tracked("Dockerfile", "*/Dockerfile"):
        stages: set[str] = set()
        for line in (PROJECT_ROOT / dockerfile).read_text().splitlines():
            words = [w for w in line.split() if not w.startswith("--")]
            if not words or words[0].upper() != "FROM":
                continue
            if words[1] not in stages:
                found.add(("dockerfile", dockerfile, words[1].split(":")[0]))
            if len(words) >= 4 and words[2].upper() == "AS":
                stages.add(words[3])
    return found


def _compose_images() -> set[tuple[str, str, str]]:
    found = set()
    for compose in tracked("compose*.yaml"):
        # Read as text: compose's own tags (!reset) are not YAML any loader here knows.
        for image in re.findall(r"^\s+image:\s*(\S+)", (PROJECT_ROOT / compose).read_text(), re.M):
            if not OWN_IMAGE.fullmatch(image):
                found.add(("docker-compose", compose, image.split(":")[0]))
    return found


def _workflows() -> set[tuple[str, str, str]]:
    found = set()
    for workflow in tracked(".github/workflows/*.yml"):
        text = (PROJECT_ROOT / workflow).read_text()
        # owner/repo of each action (an action in a subdirectory is its repository's).
        names = [
            "/".join(action.split("/")[:2]) for action in re.findall(r"uses:\s*([^@\s]+)@", text)
        ]
        # runs-on: ubuntu-24.04 is a pinned runner image too.
        names += re.findall(r"runs-on:\s*([a-z]+)-[0-9.]+", text)
        # helm/kind-action's inputs pin kind, its node image and kubectl, as Renovate reads
        # them.
        if "helm/kind-action@" in text:
            names += ["kubernetes-sigs/kind", "kubernetes/kubernetes"]
            names += [image.split(":")[0] for image in re.findall(r"node_image:\s*(\S+)", text)]
        found |= {("github-actions", workflow, name) for name in names}
    return found


def _python() -> set[tuple[str, str, str]]:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    groups = pyproject["dependency-groups"].values()
    # requires-python pins the Python minor: Renovate reads it as "python".
    found = {("pep621", "pyproject.toml", "python")}
    requirements = [
        *pyproject["project"]["dependencies"],
        *(r for group in groups for r in group if isinstance(r, str)),
        *pyproject["build-system"]["requires"],
    ]
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert name is not None, requirement
        found.add(("pep621", "pyproject.toml", _normalized(name.group())))
    for hashed in tracked("scripts/*requirements*.txt"):
        for name in re.findall(r"^([A-Za-z0-9._-]+)==", (PROJECT_ROOT / hashed).read_text(), re.M):
            found.add(("pip_requirements", hashed, _normalized(name)))
    return found


def _npm() -> set[tuple[str, str, str]]:
    return {
        ("npm", package, name)
        for package in tracked("*package.json")
        for name in json.loads((PROJECT_ROOT / package).read_text())["dependencies"]
    }


def pinned() -> set[tuple[str, str, str]]:
    """(manager, file, name) of every pinned thing, read from the files."""
    return _dockerfiles() | _compose_images() | _workflows() | _python() | _npm()


@pytest.fixture(scope="module")
def extracted() -> list[Dependency]:
    """Renovate's extraction of this repository (needs npm; CI sets REQUIRE_RENOVATE=1)."""
    require(
        shutil.which("npm") is not None,
        variable="REQUIRE_RENOVATE",
        reason="npm is not installed (apt-get install npm)",
    )
    return run(PROJECT_ROOT)


def _key(dependency: Dependency) -> tuple[str, str, str]:
    name = dependency.name
    if dependency.manager in {"pep621", "pip_requirements"}:
        name = _normalized(name)
    return (dependency.manager, dependency.file, name)


def test_renovate_extracts_every_pinned_thing(extracted: list[Dependency]) -> None:
    looked_up = {_key(d) for d in extracted if d.skip_reason != "ignored"}
    assert pinned() - looked_up == set()


def test_uv_is_extracted_from_the_image_and_the_hash_checked_requirements(
    extracted: list[Dependency],
) -> None:
    uv = {(d.manager, d.name) for d in extracted if d.name in {"uv", "ghcr.io/astral-sh/uv"}}
    assert uv == {("dockerfile", "ghcr.io/astral-sh/uv"), ("pip_requirements", "uv")}


IGNORED = set(json.loads((PROJECT_ROOT / "renovate.json").read_text())["ignoreDeps"])


def test_nothing_of_the_project_s_own_is_looked_up(extracted: list[Dependency]) -> None:
    """Renovate reads the project's own image (compose names it); ignoreDeps keeps it from
    every lookup. No Dockerfile stage is read as an image."""
    own = {d.name for d in extracted if "fastapi-service" in d.name}
    assert own
    assert own <= IGNORED
    stages = set(re.findall(r"^FROM \S+ AS (\S+)", (PROJECT_ROOT / "Dockerfile").read_text(), re.M))
    assert not {d.name for d in extracted if d.manager == "dockerfile"} & stages


def test_beyond_the_pins_renovate_finds_only_what_it_ignores(extracted: list[Dependency]) -> None:
    """What Renovate finds that carries no version here is ignored by renovate.json, or is
    the one thing whose version an action chooses."""
    chosen_by_an_action = {("github-actions", "aquasecurity/trivy")}
    extra = {(d.manager, d.name) for d in extracted if _key(d) not in pinned()}
    assert {(m, n) for m, n in extra if n not in IGNORED} <= chosen_by_an_action


def test_the_pinned_things_are_read_from_every_kind_of_file() -> None:
    managers = {manager for manager, _, _ in pinned()}
    assert managers == {
        "dockerfile",
        "docker-compose",
        "github-actions",
        "pep621",
        "pip_requirements",
        "npm",
    }


def test_renovate_accepts_its_configuration_strictly(extracted: list[Dependency]) -> None:
    result = validate(PROJECT_ROOT / "renovate.json")
    assert result.returncode == 0, result.stdout + result.stderr
