"""Microseconds per access line: the service's JSON lines against the JSON logging libraries.

    uv run --with python-json-logger --with structlog python -m benchmarks.log_libraries

Each writes the same access line (the same fields) to memory, 30 000 times, in this
process: the cost of building and formatting the line, without the write to stdout. (In
the service, access lines are formatted like this, one after the other, in batches.)
"""

import io
import json
import logging
import sys
import time
from collections.abc import Callable

import orjson

from app import logs
from app.logs import JsonFormatter, access_line

LINES = 30_000
FIELDS = {
    "method": "GET",
    "path": "/items/5",
    "route": "/items/{item_id}",
    "status": 200,
    "duration_ms": 1.234,
    "client": "127.0.0.1",
}


def _service_line(out: io.BytesIO) -> Callable[[], object]:
    """The service's access line, from the values RequestContext queues."""
    return lambda: out.write(
        access_line(
            (
                time.time(),
                "req-1",
                None,
                "GET",
                "/items/5",
                "/items/{item_id}",
                200,
                0.001234,
                "127.0.0.1",
            )
        )
    )


def _per_line(write: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(LINES):
        write()
    return (time.perf_counter() - started) / LINES * 1e6


def _through_logging(formatter: logging.Formatter, name: str) -> Callable[[], object]:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"benchmark.{name}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return lambda: logger.info("GET /items/5 200", extra={"fields": FIELDS})


class _PlainJson(logging.Formatter):
    """The standard library's json in the simplest formatter."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {"time": self.formatTime(record), "level": record.levelname}
        line |= {"logger": record.name, "message": record.getMessage(), **FIELDS}
        return json.dumps(line)


def _with_stdlib_json(out: io.BytesIO) -> float:
    """The service's line, encoded by the standard library's json (what the service used
    before orjson)."""
    encode = logs._encode  # swapped for this one measurement
    logs._encode = logs._fallback
    try:
        return _per_line(_service_line(out))
    finally:
        logs._encode = encode


def main() -> int:
    out = io.StringIO()
    binary = io.BytesIO()
    rows = {
        "the service's access line (app.logs.access_line with orjson, no logging record)": (
            _per_line(_service_line(binary))
        ),
        "the same line with the standard library's json": _with_stdlib_json(binary),
        "logging + the service's JsonFormatter": _per_line(
            _through_logging(JsonFormatter(), "service")
        ),
        "logging + a plain json.dumps formatter": _per_line(
            _through_logging(_PlainJson(), "plain")
        ),
    }
    try:
        from pythonjsonlogger.json import JsonFormatter as LibraryFormatter  # noqa: PLC0415

        rows["logging + python-json-logger"] = _per_line(
            _through_logging(LibraryFormatter(), "library")
        )
        import structlog  # noqa: PLC0415

        structlog.configure(
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.add_log_level,
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.PrintLoggerFactory(out),
            cache_logger_on_first_use=True,
        )
        log = structlog.get_logger("app.access")
        rows["structlog"] = _per_line(lambda: log.info("GET /items/5 200", **FIELDS))
        raw = io.BytesIO()
        structlog.configure(
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.add_log_level,
                structlog.processors.JSONRenderer(serializer=orjson.dumps),
            ],
            logger_factory=structlog.BytesLoggerFactory(raw),
            cache_logger_on_first_use=True,
        )
        fast = structlog.get_logger("app.access")
        rows["structlog with orjson"] = _per_line(lambda: fast.info("GET /items/5 200", **FIELDS))
    except ImportError as missing:
        print(f"log_libraries: {missing.name} missing (see the usage line)", file=sys.stderr)
        return 1
    print("| per access line | µs |\n| --- | --- |")
    for name, micros in rows.items():
        print(f"| {name} | {micros:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
