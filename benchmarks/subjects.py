"""What the benchmark compares: the project's image and a naive baseline of the same app.

Each subject is built from a throw-away copy of its build context, so the edits that the
rebuild measurements make never touch the working tree.
"""

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support import PROJECT_ROOT

BASELINE = Path(__file__).resolve().parent / "baseline"
# A small, pure-Python package: what a dependency change adds.
EXTRA_DEPENDENCY = "six"


@dataclass(frozen=True)
class Subject:
    name: str
    tag: str
    copy_context: Callable[[Path], None]
    source_file: str
    add_dependency: Callable[[Path], None]
    # How the subject runs in production: the project behind its proxy, which logs requests.
    run_options: tuple[str, ...] = ()


def _copy_project(destination: Path) -> None:
    files = subprocess.run(
        [
            "git",
            "ls-files",
            "-z",
            "--",
            "Dockerfile",
            ".dockerignore",
            "pyproject.toml",
            "uv.lock",
            "README.md",
            "src",
            "docker",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, destination / name)


def _project_dependency(context: Path) -> None:
    subprocess.run(
        ["uv", "add", "--quiet", "--no-sync", EXTRA_DEPENDENCY],
        cwd=context,
        check=True,
        timeout=300,
    )


def _copy_baseline(destination: Path) -> None:
    shutil.copytree(BASELINE, destination, dirs_exist_ok=True)


def _baseline_dependency(context: Path) -> None:
    with (context / "requirements.txt").open("a") as requirements:
        requirements.write(f"{EXTRA_DEPENDENCY}\n")


PROJECT = Subject(
    name="project",
    tag="fastapi-service:bench",
    copy_context=_copy_project,
    source_file="src/app/main.py",
    add_dependency=_project_dependency,
    run_options=("-e", "APP_ACCESS_LOG=false"),
)
NAIVE = Subject(
    name="baseline",
    tag="fastapi-baseline:bench",
    copy_context=_copy_baseline,
    source_file="app/main.py",
    add_dependency=_baseline_dependency,
)
