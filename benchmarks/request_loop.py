"""Microseconds each part of observing the service adds to a request, in this process:
without the network, the server or Docker.

    uv run python -m benchmarks.request_loop [--repeats 5] [--requests 20000] [--write FILE]

Each variant runs in a process of its own (settings are read per process): the app is
built as the server builds it, its lifespan started (so FastAPI adds its exporters, which
export nothing during the run: their interval and batch are larger than it), warmed up,
then GET /items/5?q=somequery is sent straight to it, `--requests` times, on one event
loop. The variants take turns, `--repeats` times, in alternating order; a variant's figure
is its fastest run, the one the machine disturbed least (a disturbance only ever adds
time), and what it adds is that against the baseline's fastest. Access lines go to
/dev/null.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from testing.results import write

# Never contacted: nothing is exported within a run, and the process ends without a flush.
_EXPORTING = {
    "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_METRIC_EXPORT_INTERVAL": "3600000",
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BSP_MAX_QUEUE_SIZE": "10000000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10000000",
}
BASELINE = "everything off"
# name: (the variables of its process, the target for what it adds, in µs).
VARIANTS: dict[str, tuple[dict[str, str], float | None]] = {
    BASELINE: ({}, None),
    "access log": ({"APP_ACCESS_LOG": "true", "APP_LOG_FORMAT": "json"}, 15),
    "/metrics recording": ({"APP_METRICS_ENABLED": "true"}, 15),
    "traces off (OpenTelemetry on, every exporter none)": (
        {**_EXPORTING, "OTEL_TRACES_EXPORTER": "none"},
        0,
    ),
    "traces, 10 % sampled": (
        {
            **_EXPORTING,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
        30,
    ),
    "traces, every request": ({**_EXPORTING, "OTEL_TRACES_SAMPLER": "always_on"}, None),
    "OTLP metrics (FastAPI's, through the SDK)": (
        {**_EXPORTING, "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "otlp"},
        None,
    ),
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


async def _started(app: ASGIApp) -> asyncio.Task[None]:
    """The app's lifespan, started as the server starts it, and left running."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    async def serve() -> None:
        await app({"type": "lifespan", "state": {}}, messages.get, send)

    lifespan = asyncio.create_task(serve())
    await started.wait()
    return lifespan


def _one_variant(requests: int) -> float:
    """In this process, configured by its environment: microseconds per request."""
    from app import main  # noqa: PLC0415 - only the variant's process builds the app

    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the access lines' sink
    app = main.__getattr__("app")

    async def measure() -> float:
        lifespan = await _started(app)
        await _requests(app, min(2000, requests))  # warm-up, not counted
        micros = await _requests(app, requests)
        lifespan.cancel()
        return micros

    return asyncio.run(measure())


def _in_a_process(name: str, requests: int, metrics_dir: str) -> float:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APP_", "OTEL_", "FASTAPI_OTEL_"))
    }
    # As in the image (its metrics in files), with the access log and metrics off unless
    # the variant switches them on.
    environment |= {
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "APP_ACCESS_LOG": "false",
        "APP_METRICS_ENABLED": "false",
        **VARIANTS[name][0],
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.request_loop",
            "--variant",
            name,
            "--requests",
            str(requests),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(result.stderr.strip().splitlines()[-1])


def table(runs: dict[str, list[float]]) -> str:
    """Per variant: µs per request, and what it adds to the baseline, against its target."""
    base = min(runs[BASELINE])
    # "0 µs measurable": no further from the baseline than the baseline's own runs are
    # from each other.
    spread = max(runs[BASELINE]) - base
    lines = [
        "| variant | µs per request | added, µs | target, µs | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, values in runs.items():
        added = min(values) - base
        target = VARIANTS[name][1]
        if target is None:
            shown = met = ""
        elif target == 0:
            shown, met = "0 (within noise)", "yes" if abs(added) <= spread else "no"
        else:
            shown, met = f"<= {target}", "yes" if added <= target else "no"
        shown_added = "" if name == BASELINE else f"{added:+.1f}"
        lines.append(f"| {name} | {min(values):.1f} | {shown_added} | {shown} | {met} |")
    lines.append(
        f"\nFastest of {len(runs[BASELINE])} runs each; the baseline's own runs spread over "
        f"{spread:.1f} µs."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(f"{_one_variant(args.requests):.3f}", file=sys.stderr)
        # No exit-time flush: nothing is sent to the endpoint that is never listened on.
        os._exit(0)
    runs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as metrics_dir:
        for repeat in range(args.repeats):
            order = list(VARIANTS) if repeat % 2 == 0 else list(reversed(VARIANTS))
            for name in order:
                runs[name].append(_in_a_process(name, args.requests, metrics_dir))
    result = table(runs)
    print(result)
    if args.write:
        write(args.write, "What observing a request costs, in process", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
