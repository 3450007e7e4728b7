"""The build-context copy follows `.dockerignore` as Docker does; the project's file list
is git's, and says so outside a work tree."""

from pathlib import Path

import pytest

from testing.context import NotAWorkTreeError, context_files, copy_build_context, copy_project

IGNORE = "# only what the build reads\n*\n!src/\n!docker/*.py\n**/__pycache__\n"


@pytest.mark.parametrize(
    ("path", "admitted"),
    [
        ("README.md", False),
        ("src/app/main.py", True),
        ("src/app/__pycache__/main.cpython-313.pyc", False),
        ("docker/warm_bytecode.py", True),
        ("docker/notes.txt", False),
        ("docker/sub/deeper.py", False),
        (".git/config", False),
    ],
)
def test_the_last_matching_pattern_decides(tmp_path: Path, path: str, admitted: bool) -> None:
    (tmp_path / ".dockerignore").write_text(IGNORE)
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text("")
    assert (path in context_files(tmp_path)) is admitted


def test_the_copy_holds_what_docker_sends_and_the_files_docker_always_reads(
    tmp_path: Path,
) -> None:
    (tmp_path / "project").mkdir()
    root = tmp_path / "project"
    for name, text in {
        ".dockerignore": "*\n!pyproject.toml\n!src/\n**/*.pyc\n",
        "Dockerfile": "FROM scratch\n",
        "pyproject.toml": "",
        "src/app/main.py": "",
        "src/app/main.pyc": "",
        "tests/test_x.py": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert context_files(root) == ["pyproject.toml", "src/app/main.py"]
    copy_build_context(tmp_path / "copy", root)
    copied = sorted(
        p.relative_to(tmp_path / "copy").as_posix()
        for p in (tmp_path / "copy").rglob("*")
        if p.is_file()
    )
    assert copied == [".dockerignore", "Dockerfile", "pyproject.toml", "src/app/main.py"]


def test_copying_the_project_outside_a_git_work_tree_says_to_run_git_init(
    tmp_path: Path,
) -> None:
    (tmp_path / "project").mkdir()
    with pytest.raises(NotAWorkTreeError, match="run `git init` there first"):
        copy_project(tmp_path / "copy", tmp_path / "project")
