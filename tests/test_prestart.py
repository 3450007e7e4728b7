"""prestart: settings, TCP dependencies, project steps, then the server."""

import errno
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from app import prestart
from app.settings import Endpoint, Settings, describe_error, get_settings
from testing.ports import closed_port

# main() configures logging as the server's process would: undone after each test.
pytestmark = pytest.mark.usefixtures("logging_state")


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
    with closed_port() as port, pytest.raises(prestart.PrestartError) as caught:
        prestart.wait_for([Endpoint(host="127.0.0.1", port=port)], timeout=1)
    assert str(caught.value).startswith(
        f"127.0.0.1:{port} did not accept a connection within 1 s ("
    )
    assert isinstance(caught.value.__cause__, OSError)
    assert caught.value.__cause__.errno == errno.ECONNREFUSED


def test_waiting_keeps_trying_until_the_endpoint_opens() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        endpoint = Endpoint(host="127.0.0.1", port=server.getsockname()[1])
        opener = threading.Timer(0.7, server.listen)
        opener.start()
        try:
            started = time.monotonic()
            prestart.wait_for([endpoint], timeout=10)
            waited = time.monotonic() - started
        finally:
            opener.cancel()
    assert 0.5 < waited < 5


def test_wait_for_also_takes_endpoints_as_they_are() -> None:
    endpoint = Endpoint(host="db", port=5432)
    assert Settings(wait_for=(endpoint,)).wait_for == (endpoint,)
    assert str(endpoint) == "db:5432"


@pytest.mark.parametrize("value", ["db", "db:5432,cache"])
def test_an_entry_without_a_port_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"wait_for": value})
    (error,) = caught.value.errors()
    assert (error["type"], error["loc"]) == ("value_error", ("wait_for",))
    assert describe_error(caught.value).endswith(f"{value.rsplit(',', 1)[-1]!r} is not host:port")


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
    assert err[-1] == "ERROR:    app.prestart: prestart failed: migrate failed: schema is locked"


def test_it_succeeds_alone_when_nothing_is_declared() -> None:
    result = _prestart()
    assert result.returncode == 0
    assert "app.prestart: prestart complete" in result.stderr


def test_an_unreachable_dependency_exits_1_with_one_line() -> None:
    with closed_port() as port:
        result = _prestart(APP_WAIT_FOR=f"127.0.0.1:{port}", APP_WAIT_TIMEOUT="1")
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(
        "ERROR:    app.prestart: prestart failed: "
        f"127.0.0.1:{port} did not accept a connection within 1 s ("
    )
    assert f"[Errno {errno.ECONNREFUSED}]" in last


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
        "ERROR:    app.prestart: "
        f"prestart: cannot run 'no-such-server': {os.strerror(errno.ENOENT)}"
    )


def test_arguments_without_the_separator_are_a_usage_error() -> None:
    result = _prestart("fastapi")
    assert result.returncode == 2
    assert result.stderr == "usage: python -m app.prestart [-- COMMAND [ARG...]]\n"


def test_main_alone_runs_the_steps_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert prestart.main([]) == 0
    assert capsys.readouterr().err == "INFO:     app.prestart: prestart complete\n"


def test_main_reports_an_unreachable_dependency_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with closed_port() as port:
        monkeypatch.setenv("APP_WAIT_FOR", f"127.0.0.1:{port}")
        monkeypatch.setenv("APP_WAIT_TIMEOUT", "0.5")
        get_settings.cache_clear()
        try:
            assert prestart.main(["--", "never-run"]) == 1
        finally:
            get_settings.cache_clear()
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"ERROR:    app.prestart: prestart failed: 127.0.0.1:{port} did not accept a connection"
    )


def test_main_answers_a_missing_command_with_127(capsys: pytest.CaptureFixture[str]) -> None:
    assert prestart.main(["--", "no-such-server"]) == 127
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ERROR:    app.prestart: "
        f"prestart: cannot run 'no-such-server': {os.strerror(errno.ENOENT)}"
    )


@pytest.mark.parametrize("args", [["fastapi"], ["fastapi", "--", "run"]])
def test_main_refuses_arguments_before_the_separator(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert prestart.main(args) == 2
    assert capsys.readouterr().err == "usage: python -m app.prestart [-- COMMAND [ARG...]]\n"


@pytest.fixture
def hanging() -> Iterator[Endpoint]:
    """An endpoint whose connection attempts hang: a listener with a full backlog."""
    with socket.socket() as server, socket.socket() as queued:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        queued.connect(server.getsockname())
        yield Endpoint(host="127.0.0.1", port=server.getsockname()[1])


def test_a_hanging_connection_attempt_does_not_outlast_the_timeout(hanging: Endpoint) -> None:
    started = time.monotonic()
    with pytest.raises(prestart.PrestartError) as caught:
        prestart.wait_for([hanging], timeout=0.5)
    assert time.monotonic() - started < 1.0
    assert isinstance(caught.value.__cause__, TimeoutError)


def test_waiting_gives_up_rather_than_retry_past_the_deadline() -> None:
    with closed_port() as port:
        started = time.monotonic()
        with pytest.raises(prestart.PrestartError):
            prestart.wait_for([Endpoint(host="127.0.0.1", port=port)], timeout=1)
    # Attempts every 0.5 s; the one that would end after the deadline is not made.
    assert time.monotonic() - started < 1.4


def test_every_endpoint_is_waited_for_not_only_the_first(listening: Endpoint) -> None:
    with closed_port() as port, pytest.raises(prestart.PrestartError):
        prestart.wait_for([listening, Endpoint(host="127.0.0.1", port=port)], timeout=0.5)


def test_each_endpoint_that_answers_is_logged(
    listening: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.prestart")
    prestart.wait_for([listening], timeout=5)
    assert [r.getMessage() for r in caplog.records] == [f"{listening} accepts connections"]


def test_each_step_is_logged_and_given_the_settings(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    given: list[Settings] = []

    def migrate(settings: Settings) -> None:
        given.append(settings)

    monkeypatch.setattr(prestart, "STEPS", (migrate,))
    caplog.set_level(logging.INFO, logger="app.prestart")
    settings = Settings()
    prestart.run(settings)
    assert given == [settings]
    assert given[0] is settings
    assert [r.getMessage() for r in caplog.records] == [
        "running migrate",
        "prestart complete",
    ]


@pytest.mark.parametrize(("argv", "code"), [(["prestart"], 0), (["prestart", "fastapi"], 2)])
def test_main_reads_its_arguments_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    assert prestart.main() == code


def test_main_replaces_itself_with_the_whole_command_after_the_separator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executed: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(os, "execvp", lambda file, args: executed.append((file, args)))
    prestart.main(["--", "fastapi", "run", "--entrypoint", "app.main:app"])
    assert executed == [("fastapi", ["fastapi", "run", "--entrypoint", "app.main:app"])]
