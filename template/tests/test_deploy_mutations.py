"""The deployment mutations describe the files as they are, and template/README.md shows them."""

from pathlib import Path

import pytest

from template.deploy_mutations import MUTATIONS, Mutation, table
from testing.context import copy_project
from testing.paths import PROJECT_ROOT


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.file}: {m.what}")
def test_each_mutation_changes_exactly_one_place_of_its_file(
    mutation: Mutation, tmp_path: Path
) -> None:
    copy_project(tmp_path)
    before = (tmp_path / mutation.file).read_text()
    mutation.apply(tmp_path)
    assert (tmp_path / mutation.file).read_text() != before


def test_each_named_test_exists() -> None:
    for mutation in MUTATIONS:
        path, _, name = mutation.test.partition("::")
        assert f"def {name.split('[')[0]}(" in (PROJECT_ROOT / path).read_text(), mutation.test


def test_the_readme_shows_the_table_as_the_runner_has_it() -> None:
    assert table() in (PROJECT_ROOT / "template" / "README.md").read_text()
