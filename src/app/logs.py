"""Log lines: one JSON object per line in the image, plain text under `fastapi dev`.

Every logger (the server's, the access lines' `app.access`, the app's) goes through the
root logger's one handler, configured by one `logging.config.dictConfig`.
A line is written when it is logged.
"""

import json
import logging
import logging.config
import time
from typing import Any

import orjson
from opentelemetry import trace

from app.context import current_request_id
from app.settings import LogFormat, LogLevel

# The attributes every LogRecord has: anything else on a record came from `extra=`, apart
# from uvicorn's `color_message`, the same message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """time, level, logger and message; the request id and trace ids while a request is
    handled; the record's `extra=` fields; an exception's traceback in a field of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _time(self, record: logging.LogRecord) -> str:
        """RFC 3339 in UTC with milliseconds (2026-01-31T12:00:00.123Z); the whole seconds
        are formatted once a second, not once a line."""
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := current_request_id()) is not None:
            line["request_id"] = request_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = trace.format_trace_id(span.trace_id)
            line["span_id"] = trace.format_span_id(span.span_id)
        line.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(line, default=str).decode()
        except orjson.JSONEncodeError:
            # What orjson refuses (a lone surrogate, an integer beyond 64 bits), the
            # standard library writes, ASCII-escaped: no line is lost.
            return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """`INFO:     app.lifespan: message [request id]`, aligned with uvicorn's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname + ':':<9} {record.name}: {record.getMessage()}"
        if (request_id := current_request_id()) is not None:
            text += f" [{request_id}]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def logging_config(level: LogLevel, log_format: LogFormat) -> dict[str, Any]:
    """The one logging configuration, for either format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"()": TextFormatter},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                # JSON for log pipelines on stdout; text for people on stderr, where
                # uvicorn writes its own.
                "stream": "ext://sys.stdout" if log_format == "json" else "ext://sys.stderr",
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {
            # The server's lines go up to the root's one handler.
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"level": level.upper()},
            # The access lines are the app's (app.access). With no handler here, uvicorn
            # writes none of its own.
            "uvicorn.access": {"handlers": [], "propagate": False},
            # An unreachable collector: one line for each export that failed, not one
            # more for each of its retries.
            "opentelemetry.exporter": {"level": "ERROR"},
        },
    }


def configure_logging(level: LogLevel, log_format: LogFormat = "text") -> None:
    """Apply the format and level to every logger of the process."""
    logging.config.dictConfig(logging_config(level, log_format))
