"""Settings: defaults, accepted spellings, and one clear line for every bad value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, describe_error

LINE_PREFIX = "invalid configuration: "


def test_defaults_serve_docs_at_info_level_with_access_lines() -> None:
    settings = Settings()
    assert (settings.log_level, settings.log_format, settings.access_log) == ("info", "text", True)
    assert settings.metrics_enabled is True
    assert settings.docs_enabled is True
    assert (settings.wait_for, settings.wait_timeout) == ((), 30.0)


def test_log_level_is_case_insensitive() -> None:
    assert Settings(log_level="DEBUG").log_level == "debug"


def test_a_log_level_that_is_not_text_is_refused_as_a_setting_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"log_level": 10})
    assert [e["type"] for e in caught.value.errors()] == ["literal_error"]


def test_wait_for_takes_an_ipv6_host_up_to_its_last_colon() -> None:
    (endpoint,) = Settings.model_validate({"wait_for": "::1:5432"}).wait_for
    assert (endpoint.host, endpoint.port) == ("::1", 5432)


# One invalid value for every setting and pydantic's error type for it: a new setting
# without a row here fails the test below.
INVALID = {
    "log_level": ("loud", "literal_error", ("log_level",)),
    "log_format": ("xml", "literal_error", ("log_format",)),
    "metrics_enabled": ("perhaps", "bool_parsing", ("metrics_enabled",)),
    "access_log": ("sometimes", "bool_parsing", ("access_log",)),
    "docs_enabled": ("maybe", "bool_parsing", ("docs_enabled",)),
    "wait_for": ("db:http", "int_parsing", ("wait_for", 0, "port")),
    "wait_timeout": ("0", "greater_than", ("wait_timeout",)),
}


def test_every_setting_has_an_invalid_case() -> None:
    assert set(INVALID) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(INVALID))
def test_an_invalid_value_is_refused_with_its_error_type(field: str) -> None:
    value, error_type, location = INVALID[field]
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({field: value})
    ((error),) = (caught.value.errors(),)
    assert [(e["type"], e["loc"]) for e in error] == [(error_type, location)]


def test_the_line_names_the_variable_and_the_position_of_a_nested_value() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"wait_for": "db:5432,cache:http"})
    line = describe_error(caught.value)
    assert line.startswith(f"{LINE_PREFIX}APP_WAIT_FOR[1][port]: ")
    assert "\n" not in line


def test_several_invalid_values_share_one_line_in_field_order() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"log_level": "loud", "wait_timeout": "0"})
    line = describe_error(caught.value)
    first, second = line.removeprefix(LINE_PREFIX).split("; ")
    assert first.startswith("APP_LOG_LEVEL: ")
    assert second.startswith("APP_WAIT_TIMEOUT: ")


def _serve_from_the_environment(**env: str) -> subprocess.CompletedProcess[str]:
    # What `fastapi run --entrypoint app.main:app` does: import the module, then look up `app`.
    return subprocess.run(
        [sys.executable, "-c", "import app.main; app.main.app"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("field", sorted(INVALID))
def test_any_invalid_setting_stops_the_server_with_one_line_and_no_traceback(field: str) -> None:
    variable = f"APP_{field.upper()}"
    result = _serve_from_the_environment(**{variable: INVALID[field][0]})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{LINE_PREFIX}{variable}")
    assert result.stderr == line + "\n"


def test_importing_the_application_module_reads_no_setting_and_never_exits() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        env={**os.environ, "APP_LOG_LEVEL": "loud"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


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
