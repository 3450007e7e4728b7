"""Log lines: one JSON object per line in the image, uvicorn-style text under `fastapi dev`.

In JSON, every logger goes through the root logger's one handler on stdout: the
server's own lines, the access lines (app.access) and the app's lines. Each line has
time, level, logger and message, the request id and trace ids while a request is being
handled, and an exception's traceback in a field of its own.
"""

import asyncio
import contextlib
import json
import logging
import logging.config
import sys
import time
from typing import Any, TextIO

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanContext

from app.context import current_request_id
from app.settings import LogFormat, LogLevel

# Set on a record by `extra={FIELDS: {...}}`: more fields for its JSON object.
FIELDS = "fields"


class CurrentStream(logging.StreamHandler[TextIO]):
    """Write to whatever sys.stdout (or sys.stderr) is when a line is logged, not when the
    handler was made: a process that swaps its streams (a test runner) keeps its lines."""

    def __init__(self, stream: str = "stdout") -> None:
        super().__init__()
        self.stream_name = stream

    def emit(self, record: logging.LogRecord) -> None:
        # The line and its newline in one write: one system call per line where the
        # stream is unbuffered (PYTHONUNBUFFERED in the image), not two.
        try:
            line = self.format(record) + self.terminator
            stream = getattr(sys, self.stream_name)
            stream.write(line)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


# One access line's values, kept as they are until the line is written (access_line):
# time (time.time()), request id, the server span's context (None where untraced), method,
# path, route template ("" where nothing matched), status, duration in seconds, client.
Access = tuple[float, str, SpanContext | None, str, str, str, int, float, str | None]


class JsonLines(logging.Handler):
    """The image's log stream: JSON lines on stdout.

    Records through logging (the server's lines, the app's, errors) are written at once.
    Access lines, one per request, wait as their raw values until 256 are waiting (or
    their paths add up to 64 KiB), 0.2 s have passed, or any other line comes (written
    after them, in order); then they are formatted together and written in one write,
    one wake-up of Docker's log reader instead of one per request. Formatted together,
    one after the other, each costs a fraction of what it costs between two requests'
    handling (README, "Observe it"). The 0.2 s write is a timer on the event loop that
    queued the first waiting line, not a thread: a thread waking up five times a second
    slows every request the loop serves (each wake-up hands the GIL over and back). A line
    queued where no event loop runs is written at once. A process killed outright loses
    at most its last 0.2 s of access lines.
    """

    FLUSH_SECONDS = 0.2
    FLUSH_LINES = 256
    # Paths are the one part of a line without a small bound of their own.
    FLUSH_PATH_BYTES = 64 * 1024

    def __init__(self) -> None:
        super().__init__()
        self._access: list[Access] = []
        self._path_bytes = 0
        # The loop whose 0.2 s timer is set. The timer is never cancelled: a line from
        # another thread (an exporter's, a sync endpoint's) writes what waits without
        # touching the loop, which is not thread-safe; a timer that finds nothing waiting
        # writes nothing.
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode()
        except Exception:
            self.handleError(record)
            return
        with self.lock:  # type: ignore[union-attr] # logging always makes the lock
            self._write(line)

    def access(self, entry: Access) -> None:
        """Queue one access line."""
        with self.lock:  # type: ignore[union-attr]
            self._access.append(entry)
            self._path_bytes += len(entry[4])  # the path (Access)
            if len(self._access) >= self.FLUSH_LINES or self._path_bytes >= self.FLUSH_PATH_BYTES:
                self._write()
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                # No event loop here to write it later: now, then.
                self._write()
                return
            if self._timer_loop is not loop:
                self._timer_loop = loop
                loop.call_later(self.FLUSH_SECONDS, self._timer_fired)

    def _timer_fired(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._timer_loop = None
            self._write()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _write(self, then: bytes = b"") -> None:
        """Write the waiting access lines, then `then`, in one write."""
        if self._access:
            waiting, self._access, self._path_bytes = self._access, [], 0
            data = b"".join([*map(access_line, waiting), then])
        elif then:
            data = then
        else:
            return
        # Whatever stdout is now: a test runner that swaps it keeps the lines.
        stream = sys.stdout
        binary = getattr(stream, "buffer", None)
        if binary is None:
            # A text-only stream (io.StringIO) takes text.
            stream.write(data.decode())
            stream.flush()
            return
        # Text written to the stream before (print) goes out before these lines.
        stream.flush()
        binary.write(data)
        binary.flush()

    def close(self) -> None:
        """Write what waits (logging's shutdown calls this)."""
        # stdout may be gone (closed, a broken pipe): there is nowhere left to say so.
        with contextlib.suppress(OSError, ValueError):
            self.flush()
        super().close()


def log_access(entry: Access) -> None:
    """One access line (INFO, app.access). Where the JSON stream is the root's handler, the
    entry goes straight to it: a record through logging costs over three times as much
    (README, "Observe it"), and there is one per request. Elsewhere, through logging."""
    if not _access.isEnabledFor(logging.INFO):
        return
    for handler in logging.root.handlers:
        if isinstance(handler, JsonLines):
            handler.access(entry)
            return
    message, fields = access_fields(entry)
    _access.info(message, extra={FIELDS: fields})


def access_fields(entry: Access) -> tuple[str, dict[str, Any]]:
    """An access line's message and its fields after the message."""
    _, request_id, span, method, path, route, status, seconds, client = entry
    fields = {
        "request_id": request_id,
        **trace_ids(span),
        "method": method,
        "path": path,
        "route": route or None,
        "status": status,
        # Whole microseconds, as round(..., 3) would show them, without its detour
        # through the float's decimal digits.
        "duration_ms": int(seconds * 1_000_000) / 1000,
        "client": client,
    }
    return f"{method} {path} {status}", fields


def access_line(entry: Access) -> bytes:
    """An access line as the JSON stream writes it, newline included."""
    message, fields = access_fields(entry)
    line = {
        "time": _timestamp(entry[0]),
        "level": "INFO",
        "logger": _ACCESS,
        "message": message,
        **fields,
    }
    return _encode(line, newline=True)


_ACCESS = "app.access"
_access = logging.getLogger(_ACCESS)


class OncePerInterval(logging.Filter):
    """At most one line per `seconds` from each OpenTelemetry logger; the next line that
    passes says how many were left out. An unreachable collector fails every export (and
    every retry of it): its operators need to know that, not to read it hundreds of times."""

    def __init__(self, seconds: float = 5.0, prefix: str = "opentelemetry.") -> None:
        super().__init__()
        self.seconds = seconds
        self.prefix = prefix
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefix):
            return True
        last = self._last.get(record.name)
        if last is not None and record.created - last < self.seconds:
            self._left_out[record.name] = self._left_out.get(record.name, 0) + 1
            return False
        self._last[record.name] = record.created
        left_out = self._left_out.pop(record.name, 0)
        if left_out:
            fields = dict(getattr(record, FIELDS, None) or {})
            fields["left_out"] = left_out
            setattr(record, FIELDS, fields)
        return True


_second = -1
_second_text = ""


def _timestamp(created: float) -> str:
    """RFC 3339 in UTC with milliseconds: 2026-01-31T12:00:00.123Z (the date and time of
    day formatted once per second: thousands of lines a second share them)."""
    global _second, _second_text  # noqa: PLW0603 - a one-entry cache, per process
    second = int(created)
    if second != _second:
        _second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second = second
    return f"{_second_text}.{int((created - second) * 1000):03d}Z"


# orjson escapes every quote, backslash and control character, keeps non-ASCII text
# readable, and is the cheapest encoder measured for the line every request writes
# (README, "Observe it"). What it refuses (an integer beyond 64 bits) the standard
# library writes instead, so no line is lost.
_STDLIB = json.JSONEncoder(ensure_ascii=False, default=str)


def _fallback(line: dict[str, Any], *, newline: bool = False) -> bytes:
    text = _STDLIB.encode(line)
    # A lone surrogate (text no UTF-8 can hold) becomes its JSON escape, \udc80.
    return (text + "\n" if newline else text).encode(errors="backslashreplace")


def _encode(line: dict[str, Any], *, newline: bool = False) -> bytes:
    """The object as UTF-8 JSON, and its newline if asked."""
    try:
        return orjson.dumps(
            line, default=str, option=orjson.OPT_APPEND_NEWLINE if newline else None
        )
    except orjson.JSONEncodeError:
        return _fallback(line, newline=newline)


def current_span() -> SpanContext:
    """The context of the span this code runs in (an invalid one outside any span)."""
    return trace.get_current_span().get_span_context()


def trace_ids(span: SpanContext | None) -> dict[str, str]:
    """A span's trace and span ids, in W3C's hex; none for no span or an invalid one."""
    if span is None or not span.is_valid:
        return {}
    return {"trace_id": format(span.trace_id, "032x"), "span_id": format(span.span_id, "016x")}


def json_line(
    created: float, level: str, logger: str, message: str, fields: dict[str, Any] | None
) -> str:
    """One line's JSON object: the four fields, the request's and trace's ids where a
    request is being handled, then `fields`."""
    line: dict[str, Any] = {
        "time": _timestamp(created),
        "level": level,
        "logger": logger,
        "message": message,
    }
    request_id = current_request_id()
    if request_id is not None:
        line["request_id"] = request_id
    line.update(trace_ids(current_span()))
    if fields:
        line.update(fields)
    return _encode(line).decode()


class JsonFormatter(logging.Formatter):
    """One JSON object per record; json does all the escaping, so no value (a path, a
    header, a message) can break a line or forge a field."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS, None)
        if record.exc_info or record.stack_info:
            fields = dict(fields or {})
            if record.exc_info:
                fields["exception"] = self.formatException(record.exc_info)
            if record.stack_info:
                fields["stack"] = self.formatStack(record.stack_info)
        return json_line(record.created, record.levelname, record.name, record.getMessage(), fields)


class TextFormatter(logging.Formatter):
    """`INFO:     app.lifespan: message`, aligned with uvicorn's own lines, then any
    traceback on the lines below."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"{record.levelname}:".ljust(10)
        text = f"{prefix}{record.name}: {record.getMessage()}"
        request_id = current_request_id()
        if request_id is not None:
            text += f" [{request_id}]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _json_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
        "filters": {"once_per_interval": {"()": "app.logs.OncePerInterval"}},
        "handlers": {
            "stdout": {
                "()": "app.logs.JsonLines",
                "formatter": "json",
                "filters": ["once_per_interval"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # The server's lines go up to the root's one handler.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"level": level},
            # The access lines are the app's (app.access): uvicorn's would repeat them.
            "uvicorn.access": {"handlers": [], "propagate": False},
            "app": {"handlers": [], "level": level, "propagate": True},
        },
    }


def configure_logging(level: LogLevel, log_format: LogFormat = "text") -> None:
    """Apply the format and level to every logger of the process."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    if log_format == "json":
        config = _json_config(level.upper())
        logging.config.dictConfig(config)
        _server_follows(config)
    else:
        logger = logging.getLogger("app")
        logger.setLevel(numeric)
        # Idempotent: a second app in the same process (tests) must not double every line.
        if not any(isinstance(handler, CurrentStream) for handler in logger.handlers):
            handler = CurrentStream("stderr")
            handler.setFormatter(TextFormatter())
            logger.addHandler(handler)
        # One knob for all logs: APP_LOG_LEVEL=warning also quiets the server's lines.
        logging.getLogger("uvicorn").setLevel(numeric)
    silence_server_access_log()


def _server_follows(config: dict[str, Any]) -> None:
    """Make uvicorn configure its loggers as this process did.

    `fastapi run` has no --log-config: uvicorn applies its default configuration, the
    dict uvicorn.config.LOGGING_CONFIG, after the app is found and again in each worker
    (the dict travels to them with the server's settings). Replacing its contents makes
    the server's very first line JSON, in every process.
    """
    import uvicorn.config  # noqa: PLC0415 - only the served process needs the server

    uvicorn.config.LOGGING_CONFIG.clear()
    uvicorn.config.LOGGING_CONFIG.update(config)


def silence_server_access_log() -> None:
    """No handler on uvicorn.access: uvicorn then skips its access line entirely (it builds
    the line's arguments whenever the logger has a handler, even at a level that drops it)."""
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
