"""Copies of the project: the image's build context as `.dockerignore` admits it, and the
whole tracked tree.

The build context follows Docker's rules for `.dockerignore`: each line is a path pattern
(`*` within a name, `**` across directories); a pattern that matches a directory matches
everything below it; the last pattern that matches a path decides, and `!` admits.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from testing.paths import PROJECT_ROOT

_WILDCARDS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    admits: bool
    literal_prefix: str


def _compile(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


@dataclass(frozen=True)
class DockerIgnore:
    """The rules of one `.dockerignore` file."""

    text: str

    @cached_property
    def rules(self) -> list[_Rule]:
        rules = []
        for raw in self.text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            admits = line.startswith("!")
            pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
            prefix = _WILDCARDS.split(pattern, maxsplit=1)[0]
            rules.append(_Rule(_compile(pattern), admits, prefix))
        return rules

    def admits(self, path: str) -> bool:
        """Whether Docker sends `path` (relative, with '/') to the builder."""
        parts = path.split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        admitted = True
        for rule in self.rules:
            if any(rule.regex.fullmatch(candidate) for candidate in candidates):
                admitted = rule.admits
        return admitted

    def may_admit_below(self, directory: str) -> bool:
        """Whether any file below an excluded `directory` could still be admitted."""
        return any(
            rule.admits
            and (
                not rule.literal_prefix
                or rule.literal_prefix.startswith(f"{directory}/")
                or f"{directory}/".startswith(rule.literal_prefix)
            )
            for rule in self.rules
        )


def context_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Every file of `root` that a `docker build` of it sends, relative, sorted."""
    ignore = DockerIgnore((root / ".dockerignore").read_text())
    found = []
    for directory, subdirectories, files in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        subdirectories[:] = [
            name
            for name in subdirectories
            if ignore.admits(prefix + name) or ignore.may_admit_below(prefix + name)
        ]
        found += [prefix + name for name in files if ignore.admits(prefix + name)]
    return sorted(found)


def copy_build_context(destination: Path, root: Path = PROJECT_ROOT) -> None:
    """The build context of `root` in `destination`, with the Dockerfile and the ignore
    file, which Docker reads whatever they say."""
    for name in {*context_files(root), "Dockerfile", ".dockerignore"}:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination / name)


def copy_project(destination: Path, root: Path = PROJECT_ROOT) -> None:
    """The project's files as they are in the working tree: those git tracks and those it
    would (not ignored)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        if (root / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, destination / name)
