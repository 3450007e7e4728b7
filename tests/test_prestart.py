"""The previous steps: settings, TCP dependencies, project steps, then the server."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from app import prestart
from app.settings import Endpoint, Settings
from tests.support import free_port


@pytest.fixture
def listening() -> Iterator[Endpoint]:
    """An endpoint on loopback that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield Endpoint(host="127.0.0.1", port=server.getsockname()[1])


def _prestart(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.prestart", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_waiting_returns_once_every_endpoint_accepts(listening: Endpoint) -> None:
    prestart.wait_for([listening, listening], timeout=5)


def test_waiting_gives_up_after_the_timeout_naming_the_endpoint() -> None:
    closed = Endpoint(host="127.0.0.1", port=free_port())
    with pytest.raises(prestart.PrestartError) as caught:
        prestart.wait_for([closed], timeout=1)
    assert str(caught.value) == (
        f"{closed} did not accept a connection within 1 s ([Errno 111] Connection refused)"
    )


def test_wait_for_is_parsed_from_a_comma_separated_list() -> None:
    settings = Settings.model_validate({"wait_for": "db:5432, cache:6379,"})
    assert settings.wait_for == (
        Endpoint(host="db", port=5432),
        Endpoint(host="cache", port=6379),
    )


def test_project_steps_run_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def first(settings: Settings) -> None:
        ran.append("first")

    def second(settings: Settings) -> None:
        ran.append("second")

    monkeypatch.setattr(prestart, "STEPS", (first, second))
    prestart.run(Settings())
    assert ran == ["first", "second"]


def test_a_failing_step_stops_the_start_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def migrate(settings: Settings) -> None:
        raise RuntimeError("schema is locked")

    monkeypatch.setattr(prestart, "STEPS", (migrate,))
    assert prestart.main([]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "prestart failed: migrate failed: schema is locked"


def test_it_succeeds_alone_when_nothing_is_declared() -> None:
    result = _prestart()
    assert result.returncode == 0
    assert "app.prestart: previous steps complete" in result.stderr


def test_an_unreachable_dependency_exits_1_with_one_line() -> None:
    port = free_port()
    result = _prestart(APP_WAIT_FOR=f"127.0.0.1:{port}", APP_WAIT_TIMEOUT="1")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"prestart failed: 127.0.0.1:{port} did not accept a connection within 1 s "
        "([Errno 111] Connection refused)"
    )


def test_an_invalid_setting_exits_1_with_one_line() -> None:
    result = _prestart(APP_WAIT_FOR="db")
    assert result.returncode == 1
    assert result.stderr == "invalid configuration: APP_WAIT_FOR: 'db' is not host:port\n"


def test_the_command_after_the_separator_replaces_the_process() -> None:
    script = "import os; print(os.getpid())"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys; p = subprocess.Popen("
            "[sys.executable, '-m', 'app.prestart', '--', sys.executable, '-c', "
            f"{script!r}]); print(p.pid); p.wait(); sys.exit(p.returncode)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    launched, served = result.stdout.split()
    assert launched == served, "the server must keep the prestart process's PID"


def test_a_missing_command_exits_127() -> None:
    result = _prestart("--", "no-such-server")
    assert result.returncode == 127
    assert result.stderr.splitlines()[-1] == (
        "prestart: cannot run 'no-such-server': No such file or directory"
    )


def test_arguments_without_the_separator_are_a_usage_error() -> None:
    result = _prestart("fastapi")
    assert result.returncode == 2
    assert result.stderr == "usage: python -m app.prestart [-- COMMAND [ARG...]]\n"
