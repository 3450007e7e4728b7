"""A uv bump, made as the bots make it, passes the repository's own checks unaided.

In a throw-away copy the pin is moved one release back (the state a bump starts from);
Renovate, run for real, looks uv up on the package index and proposes the bump; then the
bots' edits are made exactly: the pip managers rewrite `uv==` and its hashes (every file
of that release, as `uv pip compile --generate-hashes` lists them and as the bots' own
hashing does), the docker managers rewrite the uv image's tag. Nothing else is touched.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.context import copy_project
from testing.renovate import Dependency, run
from testing.require import require
from testing.versions import UV_REQUIREMENTS, pinned_uv

pytestmark = pytest.mark.tools

# The repository's own checks of versions, the lock and the bots, run in the copy.
CHECKS = (
    "tests/repo/test_versions.py",
    "tests/repo/test_install_uv.py",
    "tests/repo/test_doctor.py",
    "tests/repo/test_dependency_bots.py",
)


def _pin(copy: Path, requirement: str) -> str:
    """Write scripts/uv-requirements.txt for `requirement` as its first lines say; the
    version it pins."""
    subprocess.run(
        [
            "uv",
            "pip",
            "compile",
            "--no-config",
            "--generate-hashes",
            "--universal",
            "-",
            "-o",
            str(UV_REQUIREMENTS),
        ],
        input=requirement,
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return pinned_uv(copy)


def _tag_the_uv_image(copy: Path, version: str) -> None:
    dockerfile = copy / "Dockerfile"
    text, count = re.subn(
        r"^(FROM ghcr\.io/astral-sh/uv:)\S+", rf"\g<1>{version}", dockerfile.read_text(), flags=re.M
    )
    assert count == 1
    dockerfile.write_text(text)


def _committed(copy: Path) -> None:
    """The copy as a git repository of one commit: what Renovate's local platform reads."""
    identity = ["-c", "user.name=bump", "-c", "user.email=bump@localhost"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "before the bump"], cwd=copy, check=True)


def _proposed(copy: Path) -> Dependency:
    """Renovate's lookup of uv in the copy, its renovate.json limited for that run to the
    manager whose registry this machine reaches (the package index), with no cooldown
    (this tests the edits, not the wait); the file is put back afterwards."""
    original = (copy / "renovate.json").read_text()
    config = json.loads(original)
    config["enabledManagers"] = ["pip_requirements"]
    config.pop("minimumReleaseAge")
    (copy / "renovate.json").write_text(json.dumps(config))
    _committed(copy)
    try:
        (uv,) = [d for d in run(copy, "lookup") if d.name == "uv"]
    finally:
        (copy / "renovate.json").write_text(original)
    return uv


@pytest.fixture(scope="module")
def bumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Dependency]:
    """The copy after the bump, the version it started from, and Renovate's proposal."""
    require(
        shutil.which("npm") is not None,
        variable="REQUIRE_RENOVATE",
        reason="npm is not installed (apt-get install npm)",
    )
    copy = tmp_path_factory.mktemp("repository")
    copy_project(copy)
    older = _pin(copy, f"uv<{pinned_uv()}")
    _tag_the_uv_image(copy, older)
    proposal = _proposed(copy)
    newer = _pin(copy, f"uv{proposal.updates[0]}")
    _tag_the_uv_image(copy, newer)
    return copy, older, proposal


def test_renovate_proposes_the_next_uv_in_the_uv_group(
    bumped: tuple[Path, str, Dependency],
) -> None:
    _, older, proposal = bumped
    assert proposal.current == f"=={older}"
    assert proposal.updates[0] == f"=={pinned_uv()}"
    assert proposal.branches[0] == "renovate/uv"


def test_the_repository_s_version_lock_and_bot_checks_pass_after_the_bump(
    bumped: tuple[Path, str, Dependency],
) -> None:
    copy, _, _ = bumped
    subprocess.run(
        ["uv", "lock", "--check"], cwd=copy, check=True, capture_output=True, timeout=120
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CHECKS],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_install_uv_installs_the_bumped_release_hash_checked(
    bumped: tuple[Path, str, Dependency], tmp_path: Path
) -> None:
    copy, _, _ = bumped
    subprocess.run(
        [str(copy / "scripts" / "install-uv")],
        # The machine's python3 and pip, as on a fresh machine: not this virtualenv's.
        env={
            **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "INSTALL_UV_FORCE": "1",
            "UV_INSTALL_DIR": str(tmp_path),
        },
        cwd=copy,
        capture_output=True,
        check=True,
        timeout=300,
    )
    version = subprocess.run(
        [str(tmp_path / "uv"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith(f"uv {pinned_uv(copy)} ")
