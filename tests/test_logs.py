"""Log lines: JSON objects with their fields in the image, uvicorn-style text for people."""

import asyncio
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvicorn.config
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanContext, TraceFlags

from app.context import REQUEST_ID
from app.logs import (
    Access,
    CurrentStream,
    JsonFormatter,
    JsonLines,
    OncePerInterval,
    TextFormatter,
    access_line,
    configure_logging,
    log_access,
)
from tests.conftest import flush_logs

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


def test_a_json_line_carries_its_extra_fields() -> None:
    line = as_json(record(fields={"status": 200, "route": "/items/{item_id}"}))
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
    line = as_json(record(fields={"value": value}))
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


@pytest.mark.usefixtures("logging_state")
def test_text_configuration_adds_one_handler_however_often_it_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info")
    configure_logging("info")
    assert len(logging.getLogger("app").handlers) == 1
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
    flush_logs()
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["logger"], x["message"]) for x in lines] == [
        ("uvicorn.error", "Started server process [1]"),
        ("app.example", "ready"),
        ("a.library", "careful"),
    ]
    assert err == ""


@pytest.mark.usefixtures("logging_state")
def test_the_level_applies_to_the_app_and_the_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("warning", "json")
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    logging.getLogger("app.example").info("ready")
    logging.getLogger("app.example").warning("careful")
    flush_logs()
    assert [json.loads(x)["message"] for x in capsys.readouterr().out.splitlines()] == ["careful"]


@pytest.mark.usefixtures("logging_state")
def test_uvicorn_applies_the_same_json_configuration_in_every_process() -> None:
    configure_logging("info", "json")
    config = uvicorn.config.LOGGING_CONFIG
    assert config["formatters"] == {"json": {"()": "app.logs.JsonFormatter"}}
    assert config["loggers"]["uvicorn"] == {"handlers": [], "level": "INFO", "propagate": True}


@pytest.mark.usefixtures("logging_state")
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_uvicorn_access_logger_has_no_handler(log_format: str) -> None:
    # With a handler (even at a level that drops its lines) uvicorn builds every line.
    logging.getLogger("uvicorn.access").addHandler(logging.NullHandler())
    configure_logging("info", log_format)  # type: ignore[arg-type]
    assert not logging.getLogger("uvicorn.access").hasHandlers()


def test_opentelemetry_lines_pass_once_per_interval_then_say_how_many_were_left_out() -> None:
    once = OncePerInterval(seconds=5)

    def at(seconds: float, name: str = "opentelemetry.exporter.x") -> logging.LogRecord:
        made = logging.LogRecord(name, logging.ERROR, __file__, 1, "export failed", None, None)
        made.created = 1000 + seconds
        return made

    passed = [once.filter(at(t)) for t in (0, 1, 2, 4.9)]
    assert passed == [True, False, False, False]
    later = at(5)
    assert once.filter(later)
    assert as_json(later)["left_out"] == 3
    assert once.filter(at(1, name="opentelemetry.exporter.y"))
    assert all(once.filter(at(1, name="app.example")) for _ in range(3))


def in_event_loop(body: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `body` where the server writes access lines: on a running event loop."""
    asyncio.run(body())


def access(path: str = "/a", span: SpanContext | None = None) -> Access:
    """What RequestContext queues for GET `path` answered 200 in 1.2345 ms."""
    return (time.time(), "req-1", span, "GET", path, "/a", 200, 0.0012345, "10.0.0.7")


def test_an_access_line_has_the_request_fields_in_order() -> None:
    created = 1_764_000_000.0429
    line = access_line((created, "req-1", None, "GET", "/nowhere", "", 404, 0.0012345, None))
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert list(json.loads(line).items()) == [
        ("time", "2025-11-24T16:00:00.042Z"),
        ("level", "INFO"),
        ("logger", "app.access"),
        ("message", "GET /nowhere 404"),
        ("request_id", "req-1"),
        ("method", "GET"),
        ("path", "/nowhere"),
        ("route", None),
        ("status", 404),
        ("duration_ms", 1.234),
        ("client", None),
    ]


def test_an_access_line_of_a_traced_request_has_its_trace_ids() -> None:
    span = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    line = json.loads(access_line(access(span=span)))
    assert (line["trace_id"], line["span_id"]) == (
        "0af7651916cd43dd8448eb211c80319c",
        "00f067aa0ba902b7",
    )
    assert list(line).index("span_id") == list(line).index("request_id") + 2


def test_an_access_line_keeps_a_hostile_path_inside_its_string() -> None:
    path = '/a"\n{"level":"ERROR"}\u2028\x00\udc80'
    line = access_line(access(path))
    assert line.count(b"\n") == 1
    assert json.loads(line)["path"] == path


@pytest.mark.usefixtures("logging_state")
def test_access_lines_wait_and_any_other_line_writes_them_first_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")

    async def body() -> None:
        log_access(access("/a"))
        log_access(access("/b"))
        assert capsys.readouterr().out == ""
        logging.getLogger("app.example").info("ready")

    in_event_loop(body)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["GET /a 200", "GET /b 200", "ready"]
    assert lines[0]["logger"] == "app.access"
    assert RFC3339_UTC_MS.fullmatch(lines[0]["time"])


async def written_by_the_timer(capsys: pytest.CaptureFixture[str], message: str) -> float:
    """Seconds until `message` is written, polling the loop the timer runs on: well above
    the 0.2 s period, well below anything a person would call late."""
    started = time.monotonic()
    while message not in capsys.readouterr().out:
        assert time.monotonic() - started < 2, f"{message!r} was not written"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.usefixtures("logging_state")
def test_waiting_access_lines_are_written_within_a_fraction_of_a_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    waited: list[float] = []

    async def body() -> None:
        log_access(access())
        waited.append(await written_by_the_timer(capsys, "GET /a 200"))

    in_event_loop(body)
    assert JsonLines.FLUSH_SECONDS * 0.9 <= waited[0] < 2


@pytest.mark.usefixtures("logging_state")
def test_a_line_from_another_thread_leaves_the_timer_to_write_later_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")

    async def body() -> None:
        log_access(access("/a"))
        other = threading.Thread(target=logging.getLogger("app.example").info, args=("ready",))
        other.start()
        other.join()
        assert [json.loads(x)["message"] for x in capsys.readouterr().out.splitlines()] == [
            "GET /a 200",
            "ready",
        ]
        log_access(access("/b"))
        await written_by_the_timer(capsys, "GET /b 200")

    in_event_loop(body)


@pytest.mark.usefixtures("logging_state")
def test_the_256th_waiting_line_writes_them_all(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")

    async def body() -> None:
        for _ in range(JsonLines.FLUSH_LINES - 1):
            log_access(access())
        assert capsys.readouterr().out == ""
        log_access(access())
        assert len(capsys.readouterr().out.splitlines()) == JsonLines.FLUSH_LINES

    in_event_loop(body)


@pytest.mark.usefixtures("logging_state")
def test_waiting_paths_of_64_kib_are_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    path = "/" + "x" * 1023

    async def body() -> None:
        for _ in range(JsonLines.FLUSH_PATH_BYTES // 1024 - 1):
            log_access(access(path))
        assert capsys.readouterr().out == ""
        log_access(access(path))
        written = capsys.readouterr().out.splitlines()
        assert len(written) == JsonLines.FLUSH_PATH_BYTES // 1024

    in_event_loop(body)


@pytest.mark.usefixtures("logging_state")
def test_an_access_line_written_where_no_event_loop_runs_is_written_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    log_access(access())
    assert json.loads(capsys.readouterr().out)["message"] == "GET /a 200"


@pytest.mark.usefixtures("logging_state")
def test_waiting_lines_start_no_thread_and_closing_writes_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    threads = threading.active_count()

    async def body() -> None:
        log_access(access())
        assert threading.active_count() == threads
        assert capsys.readouterr().out == ""

    in_event_loop(body)
    # The loop ended before its timer: the line waits for logging's shutdown.
    for handler in logging.root.handlers:
        handler.close()
    assert json.loads(capsys.readouterr().out)["message"] == "GET /a 200"


@pytest.mark.usefixtures("logging_state")
def test_lines_from_other_threads_keep_every_waiting_access_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    other = logging.getLogger("app.example")

    def log_from_a_thread() -> None:
        for n in range(500):
            other.info("from a thread %d", n)

    async def body() -> None:
        thread = threading.Thread(target=log_from_a_thread)
        thread.start()
        for _ in range(2000):
            log_access(access())
            await asyncio.sleep(0)
        thread.join()

    in_event_loop(body)
    flush_logs()
    messages = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()]
    assert messages.count("GET /a 200") == 2000
    assert [m for m in messages if m != "GET /a 200"] == [f"from a thread {n}" for n in range(500)]


@pytest.mark.usefixtures("logging_state")
def test_in_text_the_access_line_goes_through_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("info", "text")
    with caplog.at_level(logging.INFO, logger="app.access"):
        log_access(access())
    (record,) = caplog.records
    assert (record.name, record.getMessage(), record.fields) == (  # type: ignore[attr-defined]
        "app.access",
        "GET /a 200",
        {
            "request_id": "req-1",
            "method": "GET",
            "path": "/a",
            "route": "/a",
            "status": 200,
            "duration_ms": 1.234,
            "client": "10.0.0.7",
        },
    )


@pytest.mark.usefixtures("logging_state")
def test_above_info_there_are_no_access_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    log_access(access())
    flush_logs()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("handler", "formatter"),
    [(JsonLines, JsonFormatter), (lambda: CurrentStream("stderr"), TextFormatter)],
)
def test_a_line_that_cannot_be_formatted_is_reported_and_never_raised(
    handler: Callable[[], logging.Handler],
    formatter: Callable[[], logging.Formatter],
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = handler()
    made.setFormatter(formatter())
    broken = record("%d items")
    broken.args = ("not a number",)
    made.handle(broken)
    made.close()
    assert "--- Logging error ---" in capsys.readouterr().err
