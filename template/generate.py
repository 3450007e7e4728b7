"""Copier, run for real on a throw-away git copy of this repository: generate a project
from it, and update one, as a user of the template does."""

import re
import subprocess
from pathlib import Path

from testing.context import copy_project
from testing.paths import PROJECT_ROOT


def copier_version() -> str:
    """The Copier the docs' commands pin (`uvx copier@X.Y.Z ...`), one version in all."""
    docs = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "docs" / "dependency-updates.md"]
    found = {v for doc in docs for v in re.findall(r"uvx copier@(\d+\.\d+\.\d+)", doc.read_text())}
    assert len(found) == 1, found
    return str(found.pop())


def copier(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`uvx copier@<the README's version> ARGS`, without a terminal to ask questions on."""
    return subprocess.run(
        ["uvx", f"copier@{copier_version()}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=check,
        timeout=600,
    )


def git(*args: str, cwd: Path) -> str:
    identity = ["-c", "user.name=template", "-c", "user.email=template@localhost"]
    return subprocess.run(
        ["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def template_repository(directory: Path) -> Path:
    """This repository's files, as they are, committed in a git repository of their own."""
    copy_project(directory)
    git("init", "-q", "-b", "main", cwd=directory)
    commit(directory, "the template")
    return directory


def commit(directory: Path, message: str) -> None:
    git("add", "-A", cwd=directory)
    git("commit", "-qm", message, cwd=directory)


ANSWERS = {
    "slug": "orders-api",
    "title": "Orders API",
    "description": "Takes and tracks orders.",
    "image": "ghcr.io/acme/orders-api",
    "domain": "orders.example.com",
}


def generate(template: Path, destination: Path, **answers: str) -> subprocess.CompletedProcess[str]:
    """`copier copy --trust` with these answers (the defaults for the rest)."""
    data = [arg for name, value in answers.items() for arg in ("--data", f"{name}={value}")]
    return copier(
        "copy", "--trust", "--defaults", *data, str(template), str(destination), cwd=template.parent
    )


def committed(template: Path, destination: Path, **answers: str) -> Path:
    """A project generated into `destination`, then `git init` and a first commit, as the
    README's next step says."""
    generate(template, destination, **answers)
    git("init", "-q", "-b", "main", cwd=destination)
    commit(destination, "generated")
    return destination
