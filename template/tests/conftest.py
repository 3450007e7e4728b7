"""The template as a git repository of its own, for Copier to copy from."""

import shutil
from pathlib import Path

import pytest

from template.generate import template_repository
from testing.require import require


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(
        shutil.which("uvx") is not None and shutil.which("git") is not None,
        variable="REQUIRE_COPIER",
        reason="uvx or git is not installed",
    )
    return template_repository(tmp_path_factory.mktemp("template"))
