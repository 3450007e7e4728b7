"""Microseconds per request through the service's app, in this process: what the access
log, the metrics and tracing add to a request, without the network, the server or Docker.

    uv run python -m benchmarks.request_loop [--repeats 5] [--requests 20000] [--pairs 60]

Each variant runs in a process of its own (settings are read per process): the app is
built as the server builds it, warmed up, `gc.freeze()` as its lifespan does, then
GET /items/5?q=somequery is sent straight to it, `--requests` times, on one event loop.
The variants take turns, `--repeats` times; the figure is the fastest run of each, the
one the machine disturbed least (its speed swings more than these differences between
runs a few seconds apart, and a disturbance only ever adds time). Then the access log is
measured paired, in one process: the same app with its access log switched on and off
between batches of 500 requests, `--pairs` (60) batches each, in alternating order; the figure is
the median of the differences between neighbouring batches, which the machine's drift
hardly reaches. Access lines go to
/dev/null. Telemetry is configured as for exporting, but nothing is exported during the
run (the export interval and batch are larger than the run; the process ends without
flushing), so this is the cost on the request path alone; benchmarks.observability
measures the whole, export included, in the image.
"""

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

# Never contacted: nothing is exported within a run, and the process ends without a flush.
_UNUSED_ENDPOINT = "http://127.0.0.1:9"
_TELEMETRY = {
    "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
    "OTEL_EXPORTER_OTLP_ENDPOINT": _UNUSED_ENDPOINT,
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_METRIC_EXPORT_INTERVAL": "3600000",
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BSP_MAX_QUEUE_SIZE": "10000000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10000000",
}


def _ratio(value: str) -> dict[str, str]:
    return {
        **_TELEMETRY,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": value,
    }


VARIANTS: dict[str, dict[str, str]] = {
    "off": {},
    "access log": {"APP_ACCESS_LOG": "true", "APP_LOG_FORMAT": "json"},
    "metrics only": {**_TELEMETRY, "OTEL_TRACES_EXPORTER": "none"},
    "metrics, tracing on, nothing sampled": _ratio("0"),
    "the same without the telemetry gate": {**_ratio("0"), "BENCHMARK_UNGATED": "1"},
    # What a writer thread waking every 0.2 s (the access log's before) costs the loop.
    "off, with a thread waking every 0.2 s": {"BENCHMARK_TICKING_THREAD": "0.2"},
    "metrics, 10 % of traces": _ratio("0.1"),
    "metrics, every trace": _ratio("1"),
}
_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/items/5",
    "raw_path": b"/items/5",
    "query_string": b"q=somequery",
    "root_path": "",
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


def _start_ticking(seconds: float) -> None:
    """A thread that does nothing but wake up every `seconds`."""
    tick = threading.Event()

    def wake_up() -> None:
        while not tick.wait(seconds):
            pass

    threading.Thread(target=wake_up, daemon=True).start()


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: MutableMapping[str, Any]) -> None:
    del message


async def _requests(app: ASGIApp, count: int) -> float:
    """Send GET /items/5?q=somequery to `app` `count` times: microseconds per request."""
    started = time.perf_counter()
    for _ in range(count):
        await app({**_SCOPE, "headers": [(b"host", b"localhost")]}, _receive, _send)
    return (time.perf_counter() - started) / count * 1e6


def _served_app() -> FastAPI:
    """The app as the server builds it (settings, logging, the metrics directory), its
    access lines going to /dev/null."""
    from app import main  # noqa: PLC0415 - only the variant's process builds the app

    if os.environ.get("BENCHMARK_UNGATED"):
        main.gate = lambda app, excludes: app  # type: ignore[attr-defined] # the lever, undone
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the access lines' sink
    return main.__getattr__("app")


async def _warmed_up(app: FastAPI, count: int) -> None:
    """Warm-up requests, not counted (they also build the middleware stack); then what
    exists is frozen, as the lifespan does."""
    await _requests(app, count)
    gc.collect()
    gc.freeze()


def _one_variant(requests: int) -> float:
    """In this process, configured by its environment: microseconds per request."""
    if ticking := os.environ.get("BENCHMARK_TICKING_THREAD"):
        _start_ticking(float(ticking))
    app = _served_app()

    async def measure() -> float:
        await _warmed_up(app, min(2000, requests))
        return await _requests(app, requests)

    return asyncio.run(measure())


_BATCH = 500


def _paired_access_log(pairs: int) -> float:
    """In this process (access log configured on): the median, over neighbouring batches,
    of the microseconds per request the access log adds."""
    from app.request_context import RequestContext  # noqa: PLC0415

    app = _served_app()

    async def measure() -> list[float]:
        await _warmed_up(app, _BATCH)
        layer = app.middleware_stack
        while not isinstance(layer, RequestContext):
            layer = layer.app  # type: ignore[union-attr] # every layer above it wraps one
        added = []
        for pair in range(pairs):
            micros = {}
            for on in (True, False) if pair % 2 else (False, True):
                layer.access_log = on
                micros[on] = await _requests(app, _BATCH)
            added.append(micros[True] - micros[False])
        return added

    return statistics.median(asyncio.run(measure()))


def _in_a_process(name: str | None, requests: int, metrics_dir: str, pairs: int = 0) -> float:
    """One variant's figure, or with no name the paired access log's, from a process of
    its own."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APP_", "OTEL_", "FASTAPI_OTEL_"))
    }
    # As in the image: the workers' metrics in files, the access log off unless asked.
    environment |= {
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "APP_ACCESS_LOG": "false",
        **VARIANTS["access log" if name is None else name],
    }
    command = [sys.executable, "-m", "benchmarks.request_loop"]
    command += ["--paired", str(pairs)] if name is None else ["--variant", name]
    result = subprocess.run(
        [*command, "--requests", str(requests)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(result.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--pairs", type=int, default=60, help="neighbouring batches of the paired access log"
    )
    parser.add_argument("--paired", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.paired is not None:
        print(f"{_paired_access_log(args.paired):.3f}", file=sys.stderr)
        os._exit(0)
    if args.variant:
        micros = _one_variant(args.requests)
        print(f"{micros:.3f}", file=sys.stderr)
        # No exit-time flush: nothing is sent to the endpoint that is never listened on.
        os._exit(0)
    runs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as metrics_dir:
        for _ in range(args.repeats):
            for name in VARIANTS:
                runs[name].append(_in_a_process(name, args.requests, metrics_dir))
    off = min(runs["off"])
    print("| per request, in this process | µs | added to off |\n| --- | --- | --- |")
    for name, values in runs.items():
        micros = min(values)
        print(f"| {name} | {micros:.1f} | {micros - off:+.1f} |")
    with tempfile.TemporaryDirectory() as metrics_dir:
        paired = _in_a_process(None, args.requests, metrics_dir, args.pairs)
    print(f"\nThe access log, paired in one process: {paired:+.1f} µs a request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
