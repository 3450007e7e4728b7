"""Settings: defaults, accepted spellings, and one clear line for every bad value."""

import os
import subprocess
import sys
from pathlib import Path

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


# One invalid value for every setting: a new setting without a row here fails the test.
INVALID = {
    "log_level": ("loud", f"APP_LOG_LEVEL: {LOG_LEVEL_CHOICES}"),
    "access_log": (
        "sometimes",
        "APP_ACCESS_LOG: Input should be a valid boolean, unable to interpret input",
    ),
    "docs_enabled": (
        "maybe",
        "APP_DOCS_ENABLED: Input should be a valid boolean, unable to interpret input",
    ),
    "root_path": ("api", f"APP_ROOT_PATH: {ROOT_PATH_RULE}"),
    "wait_for": (
        "db:http",
        "APP_WAIT_FOR[0][port]: Input should be a valid integer, unable to "
        "parse string as an integer",
    ),
    "wait_timeout": ("0", "APP_WAIT_TIMEOUT: Input should be greater than 0"),
}


def test_every_setting_has_an_invalid_case() -> None:
    assert set(INVALID) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(INVALID))
def test_any_invalid_setting_stops_the_start_with_one_line_and_no_traceback(field: str) -> None:
    value, message = INVALID[field]
    env = {**os.environ, f"APP_{field.upper()}": value}
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == f"invalid configuration: {message}\n"


def test_a_setting_can_come_from_a_secrets_file(tmp_path: Path) -> None:
    (tmp_path / "APP_DOCS_ENABLED").write_text("false\n")
    settings = Settings(_secrets_dir=tmp_path)
    assert settings.docs_enabled is False


def test_the_environment_wins_over_a_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "APP_LOG_LEVEL").write_text("debug")
    monkeypatch.setenv("APP_LOG_LEVEL", "warning")
    assert Settings(_secrets_dir=tmp_path).log_level == "warning"
