"""A service generated from the template is green from its first commit: made with
`copier copy` into a directory named otherwise than its slug, committed in a new git
repository, it passes its own lint and test suite, and names no file the copy left out."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from template.generate import ANSWERS, committed
from testing.context import tracked
from testing.environ import clean_environ
from testing.paths import PROJECT_ROOT

pytestmark = pytest.mark.tools

# The generated suite's cluster tests and its arm64 image under QEMU are the template's
# own, renamed: the template's run has just proven them on the same cluster and engine,
# and a second pass would cost CI about a quarter of an hour. A generated service's own
# .ci/run runs them.
MARKERS = "not cluster and not emulated"


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated into a directory named otherwise than its slug, and committed."""
    return committed(template, tmp_path_factory.mktemp("generated") / "checkout", **ANSWERS)


def _its_own_environment(service: Path) -> dict[str, str]:
    """This machine's environment without this suite's virtualenv, and with the REQUIRE_*
    variables the service's .ci/run sets for its tests: a skip fails, as in its CI."""
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    required = re.findall(r"\b(REQUIRE_[A-Z0-9]+)=1\b", (service / ".ci/run").read_text())
    environment = {k: v for k, v in clean_environ().items() if not k.startswith("REQUIRE_")}
    environment.pop("VIRTUAL_ENV", None)
    return environment | {"PATH": path} | dict.fromkeys(required, "1")


def _run(service: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=service,
        env=_its_own_environment(service),
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )


def _left_behind() -> list[str]:
    """What copier.yml's `_exclude` leaves out, but git's own directory."""
    excluded = yaml.safe_load((PROJECT_ROOT / "copier.yml").read_text())["_exclude"]
    return [name for name in excluded if name != ".git"]


def test_the_copy_leaves_behind_what_proves_the_template(service: Path) -> None:
    assert [name for name in _left_behind() if (service / name).exists()] == []


def test_its_lint_passes(service: Path) -> None:
    result = _run(service, "scripts/lint")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_its_test_suite_passes_with_nothing_skipped(service: Path) -> None:
    result = _run(
        service, "uv", "run", "--locked", "pytest", "-p", "no:cacheprovider", "-m", MARKERS
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-6000:]
    assert re.fullmatch(r"=+ \d+ passed, \d+ deselected in .* =+", summary), summary


def _naming(left_behind: list[str]) -> re.Pattern[str]:
    """A file of them by its name, a path into a directory of them, or a module of one
    (`python -m benchmarks.memory`)."""
    patterns = []
    for name in map(re.escape, left_behind):
        if "." in name.rsplit("/", 1)[-1]:
            patterns.append(rf"(?<![\w/.-]){name}(?!\w)")
        else:
            patterns += [rf"(?<![\w/.-]){name}(?:/|\.[a-z_])", rf"-m {name}\b"]
    return re.compile("|".join(patterns))


def test_no_file_it_keeps_names_one_the_copy_left_out(service: Path) -> None:
    """Nor what speaks of them: the README's section on the template, the docs' passages
    on its figures, `.ci/run`'s hook and Renovate's ignore of the naive image's pins."""
    naming = _naming(_left_behind())
    found = [
        f"{name}: {match.group()}"
        for name in tracked(root=service)
        for match in naming.finditer(_text(service / name))
    ]
    assert found == []


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except UnicodeDecodeError:
        return ""
