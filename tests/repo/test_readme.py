"""The README is the front door: short, every command in it and in docs/ is run, and every
link of the project's Markdown to one of its files finds it."""

import re

import pytest

from testing.context import tracked
from testing.paths import PROJECT_ROOT
from testing.readme import Block, blocks

README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
CI = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
README_MARKERS = re.compile(
    r"ci: run|ci: serves http://127\.0\.0\.1:\d+/\S*|ci: the test step of \.ci/run"
    r"|ci: run by \S+\.py \(.+\)"
)


def test_the_readme_is_read_in_ten_minutes() -> None:
    assert len(README.read_text().splitlines()) <= 300


# A Markdown link's target, without its #fragment; one with a scheme (https:) is not a file.
LINK = re.compile(r"\]\((?![a-z]+:)([^)#\s]+)[^)]*\)")


def test_every_link_of_the_markdown_to_a_file_of_the_project_finds_it() -> None:
    broken = [
        f"{name}: {target}"
        for name in tracked("*.md")
        for target in LINK.findall((PROJECT_ROOT / name).read_text())
        if not (PROJECT_ROOT / name).parent.joinpath(target).exists()
    ]
    assert broken == []


def test_ci_runs_every_command_of_the_readme() -> None:
    assert "scripts/readme" in CI


@pytest.mark.parametrize("block", blocks(README), ids=lambda b: f"line-{b.line}")
def test_every_readme_block_says_how_ci_runs_it(block: Block) -> None:
    assert README_MARKERS.fullmatch(block.marker), block.marker


def test_the_readme_s_test_command_is_the_one_ci_runs() -> None:
    (tests,) = [b for b in blocks(README) if b.marker == "ci: the test step of .ci/run"]
    (command,) = tests.commands.splitlines()
    assert any(command in line for line in CI), command


def test_the_quickstart_starts_the_stack_asks_it_over_verified_tls_and_removes_it() -> None:
    heading = README.read_text().splitlines().index("## Quickstart")
    quickstart = next(b for b in blocks(README) if b.line > heading)
    commands = quickstart.commands.splitlines()
    up = next(i for i, c in enumerate(commands) if c.startswith("docker compose up"))
    request = next(i for i, c in enumerate(commands) if c.startswith("curl"))
    down = next(i for i, c in enumerate(commands) if c.startswith("docker compose down"))
    assert up < request < down
    assert "--wait" in commands[up].split()
    assert not {"-k", "--insecure"} & set(commands[request].split())


@pytest.mark.parametrize(
    "block",
    [block for page in DOCS for block in blocks(page)],
    ids=lambda b: f"{b.path.name}:{b.line}",
)
def test_every_docs_command_names_the_test_that_runs_it_or_why_none_does(block: Block) -> None:
    if block.marker.startswith("not run here: "):
        assert len(block.marker) > len("not run here: ") + 10
        return
    assert block.marker.startswith("run by: "), block.marker
    path = block.marker.removeprefix("run by: ").split()[0]
    assert (PROJECT_ROOT / path).is_file(), path
