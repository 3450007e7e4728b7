"""scripts/doctor: one line for each tool that is missing or too old, and exit 1."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testing.paths import PROJECT_ROOT
from testing.versions import pinned_uv

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


def doctor(
    tmp_path: Path, *, docker: str | None, uv: str | None, script: Path = DOCTOR
) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if docker is not None:
        _stub(bin_dir, "docker", docker)
    if uv is not None:
        _stub(bin_dir, "uv", f'echo "uv {uv} (abc 2026-01-01)"')
    # Only the stubs and the base tools the script uses: no real docker or uv.
    for tool in ("sort", "grep", "head", "sed", "dirname"):
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    env = {"PATH": str(bin_dir)}
    result = subprocess.run(
        ["/bin/bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout.splitlines()


def _minimum(name: str) -> str:
    found = re.search(rf"^{name}=(\S+)", DOCTOR.read_text(), re.MULTILINE)
    assert found, name
    return found[1]


def test_a_machine_with_everything_is_ready(tmp_path: Path) -> None:
    docker = _docker("26.1.5+dfsg1", "2.26.1-4", "0.13.1+ds1")
    assert doctor(tmp_path, docker=docker, uv=pinned_uv()) == (0, ["doctor: ready"])


def test_each_old_tool_is_one_line_naming_what_it_needs(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=_docker("24.0.7", "2.20.3", "0.9.1"), uv="0.12.0")
    assert code == 1
    assert lines == [
        "doctor: docker engine: 24.0.7, needs 25.0 or later (health checks' start interval)",
        "doctor: docker compose: 2.20.3, needs 2.24.4 or later (!reset and !override, "
        "develop.watch)",
        "doctor: docker buildx: 0.9.1, needs 0.10.0 or later",
        f"doctor: uv: 0.12.0, the project pins {pinned_uv()} (scripts/install-uv)",
    ]


def test_missing_tools_are_named(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=None, uv=None)
    assert code == 1
    assert lines == [
        "doctor: docker: not found (Docker Engine 25.0 or later, with buildx and compose)",
        f"doctor: uv: not found (uv {pinned_uv()}: scripts/install-uv)",
    ]


def test_an_engine_that_does_not_answer_is_named(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path, docker=_docker("", "2.26.1", "0.13.1"), uv=pinned_uv())
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


def test_the_doctor_asks_for_the_uv_that_scripts_uv_requirements_pins(tmp_path: Path) -> None:
    """Read from the pin, so a bot's bump of that file moves the doctor with it."""
    hashes = (PROJECT_ROOT / "scripts" / "uv-requirements.txt").read_text()
    tree = tmp_path / "tree" / "scripts"
    tree.mkdir(parents=True)
    shutil.copy2(DOCTOR, tree / "doctor")
    (tree / "uv-requirements.txt").write_text(hashes.replace(f"uv=={pinned_uv()} ", "uv==9.9.9 "))
    code, lines = doctor(
        tmp_path,
        docker=_docker("26.1.5", "2.26.1", "0.13.1"),
        uv=pinned_uv(),
        script=tree / "doctor",
    )
    assert (code, lines) == (
        1,
        [f"doctor: uv: {pinned_uv()}, the project pins 9.9.9 (scripts/install-uv)"],
    )
