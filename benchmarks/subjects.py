"""What the benchmark compares: the project's image and a naive baseline of the same app.

Each subject is built from a throw-away copy of its build context, so the edits that the
rebuild measurements make never touch the working tree.
"""

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from testing.context import copy_build_context
from testing.paths import run_id

BASELINE = Path(__file__).resolve().parent / "baseline"
# A small, pure-Python package: what a dependency change adds.
EXTRA_DEPENDENCY = "six"


@dataclass(frozen=True)
class Subject:
    name: str
    repository: str
    copy_context: Callable[[Path], None]
    source_file: str
    add_dependency: Callable[[Path], None]
    # How the subject runs in production: the project behind its proxy, which logs requests.
    run_options: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """This run's tag: another run on the same engine builds its own."""
        return f"{self.repository}:bench-{run_id()}"


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
    repository="fastapi-service",
    copy_context=copy_build_context,
    source_file="src/app/main.py",
    add_dependency=_project_dependency,
    run_options=("-e", "APP_ACCESS_LOG=false"),
)
NAIVE = Subject(
    name="baseline",
    repository="fastapi-baseline",
    copy_context=_copy_baseline,
    source_file="app/main.py",
    add_dependency=_baseline_dependency,
)
