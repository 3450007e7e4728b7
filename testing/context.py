"""Copies of the project: the image's build context as `.dockerignore` admits it, and the
whole tracked tree."""

import shutil
import subprocess
from pathlib import Path

from docker.utils.build import PatternMatcher

from testing.paths import PROJECT_ROOT


def context_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Every file of `root` that a `docker build` of it sends, relative, sorted: the
    Docker SDK's reading of `.dockerignore`, read as its own build call reads the file."""
    lines = (line.strip() for line in (root / ".dockerignore").read_text().splitlines())
    matcher = PatternMatcher([line for line in lines if line and not line.startswith("#")])
    # The SDK admits the ignore file itself, which Docker's legacy builder needed; BuildKit
    # sends it only where a pattern admits it, and none here does.
    return sorted(
        path
        for path in matcher.walk(str(root))
        if path != ".dockerignore" and (root / path).is_file()
    )


def copy_build_context(destination: Path, root: Path = PROJECT_ROOT) -> None:
    """The build context of `root` in `destination`, with the Dockerfile and the ignore
    file, which Docker reads whatever they say."""
    for name in {*context_files(root), "Dockerfile", ".dockerignore"}:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination / name)


class NotAWorkTreeError(RuntimeError):
    """The tests that read the project's file list need git's: run `git init` first."""


def tracked(*patterns: str, root: Path = PROJECT_ROOT) -> list[str]:
    """The files of `root` that git tracks and those it would (not ignored), relative, as
    `git ls-files` lists them; only those matching `patterns`, if any are given."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *patterns],
        cwd=root,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if listing.returncode != 0:
        msg = (
            f"{root} is not a git work tree, and the project's file list is git's: "
            f"run `git init` there first ({listing.stderr.decode().strip()})"
        )
        raise NotAWorkTreeError(msg)
    return sorted(filter(None, listing.stdout.decode().split("\0")))


def copy_project(destination: Path, root: Path = PROJECT_ROOT) -> None:
    """The project's files as they are in the working tree: those git tracks and those it
    would (not ignored)."""
    for name in tracked(root=root):
        if (root / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, destination / name)
