"""Log lines: JSON objects with their fields in the image, uvicorn-style text for people."""

import json
import logging
import re
import sys
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from app.context import REQUEST_ID
from app.logs import JsonFormatter, TextFormatter, configure_logging

RFC3339_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def record(message: str = "ready", **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord("app.example", logging.INFO, __file__, 1, message, None, None)
    made.__dict__.update(extra)
    return made


def failing_record() -> logging.LogRecord:
    """An ERROR record with a real traceback, as logger.exception() makes one."""
    try:
        raise ValueError("boom")
    except ValueError:
        return record("failed", levelno=logging.ERROR, levelname="ERROR", exc_info=sys.exc_info())


def as_json(made: logging.LogRecord) -> dict[str, Any]:
    line = JsonFormatter().format(made)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_a_json_line_has_time_level_logger_and_message() -> None:
    line = as_json(record())
    assert RFC3339_UTC_MS.fullmatch(line.pop("time"))
    assert line == {"level": "INFO", "logger": "app.example", "message": "ready"}


def test_each_line_has_its_own_time_to_the_millisecond_across_seconds() -> None:
    formatter = JsonFormatter()
    times = []
    for second, milliseconds in (
        (1_767_225_599, 998),
        (1_767_225_600, 1),
        (1_767_225_600, 500),
        (1_767_225_601, 0),
    ):
        made = record()
        made.created, made.msecs = second + milliseconds / 1000, milliseconds
        times.append(json.loads(formatter.format(made))["time"])
    assert times == [
        "2025-12-31T23:59:59.998Z",
        "2026-01-01T00:00:00.001Z",
        "2026-01-01T00:00:00.500Z",
        "2026-01-01T00:00:01.000Z",
    ]


def test_a_json_line_carries_its_extra_fields_after_the_four() -> None:
    line = as_json(record(status=200, route="/items/{item_id}"))
    assert list(line)[4:] == ["status", "route"]
    assert (line["status"], line["route"]) == (200, "/items/{item_id}")


def test_a_message_that_looks_like_json_and_lines_stays_one_message() -> None:
    hostile = 'x"\n{"level": "ERROR", "message": "forged"}\r\u2028'
    line = as_json(record(hostile))
    assert (line["level"], line["message"]) == ("INFO", hostile)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (2**70, 2**70),  # beyond 64 bits: orjson refuses it, the standard library writes it
        ({"nested": ["x", 1.5, None]}, {"nested": ["x", 1.5, None]}),
        (b"raw", "b'raw'"),  # neither encoder takes bytes: their text, never a lost line
        ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),
        # Not text UTF-8 can hold: orjson refuses it, the standard library escapes it.
        ("x\udc80", "x\udc80"),
    ],
    ids=["big-int", "nested", "bytes", "non-ascii", "lone-surrogate"],
)
def test_any_field_value_is_written_and_reads_back(value: object, written: object) -> None:
    line = as_json(record(value=value))
    assert line["value"] == written


def test_an_exception_traceback_is_whole_in_its_own_field() -> None:
    line = as_json(failing_record())
    assert line["message"] == "failed"
    assert line["exception"].startswith("Traceback (most recent call last):\n")
    assert line["exception"].endswith("ValueError: boom")
    assert "in failing_record" in line["exception"]


def test_the_current_request_id_is_on_every_line_logged_for_it() -> None:
    token = REQUEST_ID.set("req-1")
    try:
        assert as_json(record())["request_id"] == "req-1"
    finally:
        REQUEST_ID.reset(token)
    assert "request_id" not in as_json(record())


def test_trace_and_span_ids_are_those_of_the_current_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        context = span.get_span_context()
        line = as_json(record())
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in as_json(record())


def test_a_text_line_keeps_the_traceback() -> None:
    text = TextFormatter().format(failing_record())
    assert text.startswith("ERROR:    app.example: failed\nTraceback (most recent call last):\n")
    assert text.endswith("ValueError: boom")


def test_the_server_s_coloured_copy_of_a_message_is_left_out() -> None:
    line = as_json(record("Started server process", color_message="\x1b[36mStarted\x1b[0m"))
    assert "color_message" not in line


def lines_printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON lines on stdout, and nothing on stderr."""
    out, err = capsys.readouterr()
    assert err == ""
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.usefixtures("logging_state")
def test_text_configuration_writes_one_line_however_often_it_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info")
    configure_logging("info")
    logging.getLogger("app.example").info("ready")
    assert capsys.readouterr().err == "INFO:     app.example: ready\n"


@pytest.mark.usefixtures("logging_state")
def test_json_configuration_sends_every_logger_to_stdout_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 1)
    logging.getLogger("app.example").info("ready")
    logging.getLogger("a.library").warning("careful")
    assert [(x["logger"], x["message"]) for x in lines_printed(capsys)] == [
        ("uvicorn.error", "Started server process [1]"),
        ("app.example", "ready"),
        ("a.library", "careful"),
    ]


@pytest.mark.usefixtures("logging_state")
def test_the_level_applies_to_the_app_and_the_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("warning", "json")
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    logging.getLogger("app.example").info("ready")
    logging.getLogger("app.example").warning("careful")
    assert [x["message"] for x in lines_printed(capsys)] == ["careful"]


@pytest.mark.usefixtures("logging_state")
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_uvicorn_access_logger_has_no_handler(log_format: str) -> None:
    # With a handler uvicorn writes its own access line, which would repeat the app's.
    logging.getLogger("uvicorn.access").addHandler(logging.NullHandler())
    configure_logging("info", log_format)  # type: ignore[arg-type]
    assert not logging.getLogger("uvicorn.access").hasHandlers()


@pytest.mark.usefixtures("logging_state")
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_line_that_cannot_be_formatted_is_reported_and_never_raised(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", log_format)  # type: ignore[arg-type]
    logging.getLogger("app.example").info("%d items", "not a number")
    assert "--- Logging error ---" in capsys.readouterr().err


@pytest.mark.usefixtures("logging_state")
def test_an_exporter_s_retries_are_quiet_and_its_failure_is_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    exporter = logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    exporter.warning("Transient error, retrying")
    exporter.error("Failed to export spans batch")
    assert [x["message"] for x in lines_printed(capsys)] == ["Failed to export spans batch"]


def test_a_stack_asked_for_is_whole_in_its_own_field() -> None:
    line = as_json(record(stack_info='Stack (most recent call last):\n  File "x.py", line 1'))
    assert line["stack"] == 'Stack (most recent call last):\n  File "x.py", line 1'
