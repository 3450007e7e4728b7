"""One uv version and one Python version across the project.

uv's exact version is written once, in scripts/uv-requirements.txt; the Dockerfile's uv
image follows it, and both bots bump the two in one pull request. When a bump leaves a
place behind, this names it.
"""

import re
import tomllib

from packaging.specifiers import SpecifierSet

from testing.paths import PROJECT_ROOT
from testing.versions import pinned_uv


def _read(name: str) -> str:
    return (PROJECT_ROOT / name).read_text()


def _uv_versions() -> dict[str, str]:
    dockerfile = re.findall(r"^FROM ghcr\.io/astral-sh/uv:(\S+)", _read("Dockerfile"), re.M)
    return {
        "scripts/uv-requirements.txt uv==": pinned_uv(),
        **{f"Dockerfile FROM ghcr.io/astral-sh/uv (#{i + 1})": v for i, v in enumerate(dockerfile)},
    }


def _python_versions() -> dict[str, str]:
    pyproject = tomllib.loads(_read("pyproject.toml"))
    bases = re.findall(r"^FROM python:(\d+\.\d+)-", _read("Dockerfile"), re.M)
    requires = pyproject["project"]["requires-python"]
    lower = re.match(r">=(\d+\.\d+)", requires)
    return {
        ".python-version": _read(".python-version").strip(),
        "pyproject.toml requires-python (lower bound)": lower.group(1) if lower else requires,
        **{f"Dockerfile FROM python (#{i + 1})": v for i, v in enumerate(bases)},
    }


def _disagreement(kind: str, versions: dict[str, str]) -> str:
    listing = "\n".join(f"  {place}: {version}" for place, version in versions.items())
    return f"the {kind} versions disagree; bump them all to the same version:\n{listing}"


def test_every_place_names_the_same_uv() -> None:
    versions = _uv_versions()
    assert len(versions) >= 2
    assert len(set(versions.values())) == 1, _disagreement("uv", versions)


def test_the_pinned_uv_meets_the_floor_pyproject_requires() -> None:
    floor = tomllib.loads(_read("pyproject.toml"))["tool"]["uv"]["required-version"]
    assert SpecifierSet(floor).contains(pinned_uv()), (floor, pinned_uv())


def test_every_place_names_the_same_python() -> None:
    versions = _python_versions()
    assert len(versions) >= 4
    assert len(set(versions.values())) == 1, _disagreement("Python", versions)


def test_requires_python_admits_only_that_minor_version() -> None:
    minor = _read(".python-version").strip()
    major, number = minor.split(".")
    requires = tomllib.loads(_read("pyproject.toml"))["project"]["requires-python"]
    assert requires == f">={minor},<{major}.{int(number) + 1}"
