"""Start your own service with `copier copy`, take the template's later commits with
`copier update`: run for real (Copier from the package index) on throw-away git copies."""

import re
import subprocess
from pathlib import Path

import pytest

from template.generate import (
    ANSWERS,
    commit,
    committed,
    copier,
    copier_version,
    git,
    template_repository,
)
from testing.paths import PROJECT_ROOT
from tests.deploy.kustomize import render

pytestmark = pytest.mark.tools

# What names the template itself, in any of its spellings.
OLD = re.compile(r"fastapi-service|FastAPI service|ghcr\.io/example|api\.example\.com")
# Where a trace of the template may stay, each for the reason the README gives.
KEPT = {
    # The rename itself names the template's values, to rename from them.
    "scripts/rename.py",
}


@pytest.fixture(scope="module")
def generated(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated with answers that are none of the defaults, and committed."""
    return committed(template, tmp_path_factory.mktemp("generated") / "orders-api", **ANSWERS)


def _traces(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or relative in KEPT or ".venv" in path.parts:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{relative}: {m.group()}" for m in OLD.finditer(text)]
    return found


def test_no_trace_of_the_template_s_name_image_or_domain_is_left(generated: Path) -> None:
    assert _traces(generated) == []


def test_the_answers_are_where_the_service_names_itself(generated: Path) -> None:
    pyproject = (generated / "pyproject.toml").read_text()
    assert 'name = "orders-api"' in pyproject
    assert 'description = "Takes and tracks orders."' in pyproject
    assert 'TITLE = "Orders API"' in (generated / "src" / "app" / "main.py").read_text()
    # Compose runs locally under localhost; a server is given its name at deploy time.
    assert "${DOMAIN:-localhost}" in (generated / "compose.yaml").read_text()
    answers = (generated / ".copier-answers.yml").read_text()
    assert "slug: orders-api" in answers


def test_compose_names_the_new_project_image_and_domain(generated: Path) -> None:
    config = subprocess.run(
        ["docker", "compose", "config", "--format", "json"],
        cwd=generated,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert '"name": "orders-api"' in config
    assert '"image": "orders-api:latest"' in config
    assert '"DOMAIN": "localhost"' in config


def test_the_kubernetes_overlays_carry_the_new_names(generated: Path) -> None:
    for overlay in ("dev", "prod"):
        manifests = render(overlay, k8s=generated / "deploy" / "k8s")
        assert "fastapi-service" not in str(manifests)
        assert "orders-api" in {m["metadata"]["name"] for m in manifests}
    (prod,) = [
        m for m in render("prod", k8s=generated / "deploy" / "k8s") if m["kind"] == "Deployment"
    ]
    images = {c["image"] for c in prod["spec"]["template"]["spec"]["containers"]}
    assert {i.split("@")[0] for i in images} == {"ghcr.io/acme/orders-api"}
    routes = [
        m for m in render("prod", k8s=generated / "deploy" / "k8s") if m["kind"] == "HTTPRoute"
    ]
    assert {h for r in routes for h in r["spec"]["hostnames"]} == {"orders.example.com"}


def test_the_swarm_stack_carries_the_new_names(generated: Path) -> None:
    stack = subprocess.run(
        ["deploy/swarm/deploy", "--config"],
        cwd=generated,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "orders-api-docs-enabled" in stack
    assert "image: orders-api:latest" in stack


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("slug", "Orders-API"),
        ("slug", "orders api"),
        ("slug", "9orders"),
        ("slug", "o" * 41),
        ("image", "not an image"),
        ("image", "ghcr.io/acme/orders:1.0"),
        ("domain", "https://orders.example.com"),
    ],
)
def test_an_invalid_answer_is_refused_and_nothing_is_written(
    template: Path, tmp_path: Path, question: str, value: str
) -> None:
    destination = tmp_path / "refused"
    result = generate_refused(template, destination, question, value)
    assert result.returncode != 0
    assert question in result.stderr or value in result.stderr
    assert not destination.exists() or not any(destination.iterdir())


def generate_refused(
    template: Path, destination: Path, question: str, value: str
) -> subprocess.CompletedProcess[str]:
    return copier(
        "copy",
        "--trust",
        "--defaults",
        "--data",
        f"{question}={value}",
        str(template),
        str(destination),
        cwd=template.parent,
        check=False,
    )


def test_renaming_again_with_other_values_is_refused(generated: Path) -> None:
    result = subprocess.run(
        [
            "python3",
            "scripts/rename.py",
            "--slug=other",
            "--title=Other",
            "--description=Other.",
            "--image=ghcr.io/acme/other",
            "--domain=localhost",
        ],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "rename: this project is named 'orders-api' already; not renaming it 'other'"
    )


def test_a_template_only_passage_left_open_is_refused_naming_where(tmp_path: Path) -> None:
    template = template_repository(tmp_path / "template")
    testing_doc = template / "docs" / "testing.md"
    lines = testing_doc.read_text().count("\n")
    testing_doc.write_text(testing_doc.read_text() + "<!-- template-only: start -->\n")
    commit(template, "a passage left open")
    result = generate_refused(template, tmp_path / "refused", "slug", "orders-api")
    assert result.returncode != 0
    assert (
        f"rename: docs/testing.md:{lines + 1}: a template-only marker without its pair"
        in result.stderr
    )


def _updatable(tmp_path: Path) -> tuple[Path, Path]:
    """A template repository and a project generated from it, committed in git."""
    template = template_repository(tmp_path / "template")
    project = committed(template, tmp_path / "project", **ANSWERS)
    return template, project


def _edit_the_greeting(project: Path) -> Path:
    """The project's own edit, committed: a line of its root route's module."""
    root = project / "src" / "app" / "api" / "root.py"
    root.write_text(
        root.read_text().replace('"""Greet the caller."""', '"""Greet whoever calls."""')
    )
    commit(project, "the project's own edit")
    return root


def test_an_update_brings_the_template_s_change_and_keeps_the_project_s(tmp_path: Path) -> None:
    template, project = _updatable(tmp_path)
    root = _edit_the_greeting(project)
    caddyfile = template / "deploy" / "caddy" / "Caddyfile"
    caddyfile.write_text(caddyfile.read_text() + "# a later improvement of the template\n")
    commit(template, "the template's later change")
    copier("update", "--trust", "--defaults", cwd=project)
    assert '"""Greet whoever calls."""' in root.read_text()
    assert (
        (project / "deploy" / "caddy" / "Caddyfile")
        .read_text()
        .endswith("# a later improvement of the template\n")
    )
    assert "<<<<<<<" not in git("diff", cwd=project) + "".join(
        p.read_text() for p in (root, project / "deploy" / "caddy" / "Caddyfile")
    )


def test_a_conflicting_change_gets_copier_s_conflict_markers(tmp_path: Path) -> None:
    template, project = _updatable(tmp_path)
    root = _edit_the_greeting(project)
    in_template = template / "src" / "app" / "api" / "root.py"
    in_template.write_text(
        in_template.read_text().replace('"""Greet the caller."""', '"""Say hello."""')
    )
    commit(template, "the template changes the same line")
    copier("update", "--trust", "--defaults", cwd=project, check=False)
    text = root.read_text()
    assert "<<<<<<<" in text
    assert '"""Greet whoever calls."""' in text
    assert '"""Say hello."""' in text


def test_the_readme_pins_the_copier_the_tests_run() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "uvx copier@" in readme
    assert f"uvx copier@{copier_version()} update --trust" in readme
