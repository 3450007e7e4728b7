"""scripts/doctor: one line for each tool that is missing or too old, and exit 1."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testing.paths import PROJECT_ROOT

DOCTOR = PROJECT_ROOT / "scripts" / "doctor"
README = PROJECT_ROOT / "README.md"


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _docker(engine: str, compose: str, buildx: str) -> str:
    """A `docker` that answers the doctor's three questions with these versions."""
    return (
        'case "$1 $2" in\n'
        f'  "version --format") [ -n "{engine}" ] && echo "{engine}" ;;\n'
        f'  "compose version") echo "{compose}" ;;\n'
        f'  "buildx version") echo "github.com/docker/buildx {buildx} 1a2b3c" ;;\n'
        "esac"
    )


def doctor(tmp_path: Path, *, docker: str | None, uv: str | None) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if docker is not None:
        _stub(bin_dir, "docker", docker)
    if uv is not None:
        _stub(bin_dir, "uv", f'echo "uv {uv} (abc 2026-01-01)"')
    # Only the stubs and the base tools the script uses: no real docker or uv.
    for tool in ("sort", "grep", "head"):
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    env = {"PATH": str(bin_dir)}
    result = subprocess.run(
        ["/bin/bash", str(DOCTOR)], env=env, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout.splitlines()


def _minimum(name: str) -> str:
    found = re.search(rf"^{name}=(\S+)", DOCTOR.read_text(), re.MULTILINE)
    assert found, name
    return found[1]


def test_a_machine_with_everything_is_ready(tmp_path: Path) -> None:
    docker = _docker("26.1.5+dfsg1", "2.26.1-4", "0.13.1+ds1")
    assert doctor(tmp_path, docker=docker, uv=_minimum("UV_VERSION")) == (0, ["doctor: ready"])


def test_each_old_tool_is_one_line_naming_what_it_needs(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=_docker("24.0.7", "2.20.3", "0.9.1"), uv="0.12.0")
    assert code == 1
    assert lines == [
        "doctor: docker engine: 24.0.7, needs 25.0 or later (health checks' start interval)",
        "doctor: docker compose: 2.20.3, needs 2.24.4 or later (!reset and !override, "
        "develop.watch)",
        "doctor: docker buildx: 0.9.1, needs 0.10.0 or later",
        "doctor: uv: 0.12.0, the project pins 0.13.9 (scripts/install-uv)",
    ]


def test_missing_tools_are_named(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=None, uv=None)
    assert code == 1
    assert lines == [
        "doctor: docker: not found (Docker Engine 25.0 or later, with buildx and compose)",
        "doctor: uv: not found (uv 0.13.9: scripts/install-uv)",
    ]


def test_an_engine_that_does_not_answer_is_named(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=_docker("", "2.26.1", "0.13.1"), uv="0.13.9")
    assert (code, lines) == (
        1,
        ["doctor: docker engine: not answering (start it; 25.0 or later needed)"],
    )


@pytest.mark.parametrize(
    ("variable", "row"),
    [("ENGINE_MIN", "Docker Engine"), ("COMPOSE_MIN", "Docker Compose"), ("BUILDX_MIN", "buildx")],
)
def test_the_readme_states_the_minimums_the_doctor_checks(variable: str, row: str) -> None:
    lines = [line for line in README.read_text().splitlines() if line.startswith(f"| {row} |")]
    assert len(lines) == 1, row
    assert f"| {_minimum(variable)} |" in lines[0]


def test_the_pinned_uv_is_the_project_s() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert f'required-version = "=={_minimum("UV_VERSION")}"' in pyproject
