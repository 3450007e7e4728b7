"""Settings: defaults, accepted spellings, and one clear line for every bad value."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.settings import Settings, describe_error

LOG_LEVEL_CHOICES = "Input should be 'critical', 'error', 'warning', 'info' or 'debug'"
ROOT_PATH_RULE = "must be empty or a path such as /api: starting with '/', not ending with '/'"


def test_defaults_serve_docs_at_info_level_without_prefix() -> None:
    settings = Settings()
    assert (settings.log_level, settings.docs_enabled, settings.root_path) == ("info", True, "")


def test_log_level_is_case_insensitive() -> None:
    assert Settings(log_level="DEBUG").log_level == "debug"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("log_level", "loud", f"APP_LOG_LEVEL: {LOG_LEVEL_CHOICES}"),
        (
            "docs_enabled",
            "maybe",
            "APP_DOCS_ENABLED: Input should be a valid boolean, unable to interpret input",
        ),
        ("root_path", "api", f"APP_ROOT_PATH: {ROOT_PATH_RULE}"),
        ("root_path", "/api/", f"APP_ROOT_PATH: {ROOT_PATH_RULE}"),
    ],
)
def test_an_invalid_value_is_described_in_one_line_naming_the_variable(
    field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({field: value})
    assert describe_error(caught.value) == f"invalid configuration: {message}"


def test_several_invalid_values_share_one_line() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"log_level": "loud", "root_path": "api"})
    assert describe_error(caught.value) == (
        f"invalid configuration: APP_LOG_LEVEL: {LOG_LEVEL_CHOICES}; "
        f"APP_ROOT_PATH: {ROOT_PATH_RULE}"
    )


def test_the_process_stops_at_import_with_one_line_and_no_traceback() -> None:
    env = {**os.environ, "APP_LOG_LEVEL": "loud"}
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == f"invalid configuration: APP_LOG_LEVEL: {LOG_LEVEL_CHOICES}\n"
