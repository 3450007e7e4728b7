"""Microseconds per access line through `logging`: the service's JSON formatter (orjson)
against python-json-logger's, which is how the formatter was chosen.

    uv run --with python-json-logger python -m benchmarks.log_libraries [--write FILE]

Each logs the same access line (the same message and fields) to memory through an
ordinary logger, `--lines` times, in this process: the whole cost of a logger call,
without the write to stdout.
"""

import argparse
import io
import logging
import shlex
import sys
import time
from pathlib import Path

from app.logs import JsonFormatter
from testing.results import write

FIELDS = {
    "method": "GET",
    "path": "/items/5",
    "route": "/items/{item_id}",
    "status": 200,
    "duration_ms": 1.234,
    "client": "127.0.0.1",
}


def _formatters() -> dict[str, logging.Formatter]:
    found: dict[str, logging.Formatter] = {"the service's (orjson)": JsonFormatter()}
    try:
        from pythonjsonlogger.json import (  # type: ignore[import-not-found]  # noqa: PLC0415
            JsonFormatter as PythonJsonLogger,
        )
        from pythonjsonlogger.orjson import (  # type: ignore[import-not-found]  # noqa: PLC0415
            OrjsonFormatter,
        )
    except ImportError:
        print("log_libraries: python-json-logger is not installed (uv run --with)", file=sys.stderr)
        return found
    fields = ["asctime", "levelname", "name", "message"]
    found["python-json-logger (json)"] = PythonJsonLogger(fields)
    found["python-json-logger (orjson)"] = OrjsonFormatter(fields)
    return found


def per_line(formatter: logging.Formatter, lines: int) -> float:
    """Microseconds per `logger.info(...)` of one access line, written to memory."""
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"benchmark.{id(formatter)}")
    logger.propagate = False
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    for _ in range(lines):
        logger.info("%s %s %d", "GET", "/items/5", 200, extra=FIELDS)
    return (time.perf_counter() - started) / lines * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    args = parser.parse_args()
    formatters = _formatters()
    runs: dict[str, list[float]] = {name: [] for name in formatters}
    for _ in range(args.repeats):
        for name, formatter in formatters.items():
            runs[name].append(per_line(formatter, args.lines))
    rows = [f"| {name} | {min(values):.1f} |" for name, values in runs.items()]
    result = "\n".join(["| formatter | µs per access line (fastest run) |", "| --- | --- |", *rows])
    print(result)
    if args.write:
        # The run needs python-json-logger beside the project's own environment.
        uv = ["uv", "run", "--with", "python-json-logger", "python"]
        command = shlex.join([*uv, "-m", "benchmarks.log_libraries", *sys.argv[1:]])
        write(args.write, "One access line through logging, by JSON formatter", result, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
