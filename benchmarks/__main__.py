"""Side by side, in one run: the project's image and a naive baseline of the same app.

    uv run python -m benchmarks [--repeats 3] [--duration 10] [--json FILE] [--write FILE] [--check]
    uv run python -m benchmarks --smoke     (one short iteration: does every step work?)

Needs Docker and wrk (`apt-get install wrk`). Prints a Markdown table of every figure with
the ratio project / baseline and the target, then what the access log, telemetry and
scrapes cost (each on against off), and writes the figures as JSON. Repeated
figures are medians. Prunes Docker's build cache for the cold builds. With --check, exits
1 and names every target missed.
"""

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.measure import (
    BASE_IMAGE,
    ITEM,
    build,
    image_size,
    median,
    prune_build_cache,
    serve,
    start_to_first_200,
    stop,
)
from benchmarks.observability import observability
from benchmarks.report import missed, table
from benchmarks.subjects import NAIVE, PROJECT, Subject
from testing.results import write
from testing.units import MiB
from testing.wrk import Load

BARE = Path(__file__).resolve().parent / "bare"
_BARE_OPTIONS = ("-v", f"{BARE}:/bare:ro", "-e", "PYTHONPATH=/bare")
_BARE_COMMAND = ("fastapi", "run", "--entrypoint", "bare_app:app")
PATHS = ("/", ITEM)


def _builds(subject: Subject, repeats: int) -> dict[str, Any]:
    """Sizes and build times from a fresh copy of the subject's context."""
    with tempfile.TemporaryDirectory() as directory:
        context = Path(directory)
        subject.copy_context(context)
        cold = []
        for _ in range(repeats):
            prune_build_cache()
            cold.append(build(context, subject.tag))
        noop = [build(context, f"{subject.tag}-rebuilt") for _ in range(repeats)]
        code = []
        for n in range(repeats):
            with (context / subject.source_file).open("a") as source:
                source.write(f"\n# one-line change {n}\n")
            code.append(build(context, f"{subject.tag}-rebuilt"))
        subject.add_dependency(context)
        dependency = build(context, f"{subject.tag}-rebuilt")
    size = image_size(subject.tag)
    return {
        "image_mib": size / MiB,
        "above_base_mib": (size - image_size(BASE_IMAGE)) / MiB,
        "cold_build_s": median(cold),
        "noop_rebuild_s": median(noop),
        "code_rebuild_s": median(code),
        "dependency_rebuild_s": dependency,
    }


def _loads(loads: list[Load]) -> dict[str, Any]:
    return {
        "requests_per_second": median([x.requests_per_second for x in loads]),
        "p50_ms": median([x.p50_ms for x in loads]),
        "p99_ms": median([x.p99_ms for x in loads]),
        "errors": sum(x.non_2xx + x.socket_errors for x in loads),
    }


def _starts(repeats: int) -> dict[str, float]:
    """Median start-up of each image, and of the bare app in the project's image.

    Start-up is the noisiest figure and the cheapest to repeat: five times as often as
    the others, and taken in turns so that a slow spell of the machine hits every subject
    alike instead of whichever ran through it. The bare app, started by the same
    `fastapi run` in the same image, is the floor: what any app started this way costs.
    """
    no_command: tuple[str, ...] = ()
    runs = {s.name: (s.tag, s.run_options, no_command) for s in (NAIVE, PROJECT)}
    runs["bare"] = (PROJECT.tag, _BARE_OPTIONS, _BARE_COMMAND)
    starts: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(5 * repeats):
        for name, (tag, options, command) in runs.items():
            starts[name].append(start_to_first_200(tag, options, command))
    return {name: median(values) for name, values in starts.items()}


def _runtime(subject: Subject, repeats: int, seconds: float) -> dict[str, Any]:
    stops = [stop(subject.tag, subject.run_options) for _ in range(repeats)]
    figures: dict[str, Any] = {
        "stop_s": median([s.seconds for s in stops]),
        "stop_exit_codes": sorted({s.exit_code for s in stops}),
        "lifespan_shutdown": all(s.lifespan_shutdown for s in stops),
    }
    for workers in (1, 2):
        serving = serve(
            subject.tag,
            subject.run_options,
            workers=workers,
            paths=PATHS,
            seconds=seconds,
            repeats=repeats,
        )
        figures[f"workers_{workers}"] = {
            "idle_rss_per_worker_mib": serving.idle_rss_mib,
            "loaded_rss_per_worker_mib": serving.loaded_rss_mib,
            **{path: _loads(loads) for path, loads in serving.loads.items()},
        }
    return figures


def _bare(repeats: int, seconds: float) -> dict[str, Any]:
    """The same server in the same container, serving a bare ASGI app: the ceiling."""
    serving = serve(
        PROJECT.tag,
        _BARE_OPTIONS,
        workers=1,
        paths=(ITEM,),
        seconds=seconds,
        repeats=repeats,
        command=_BARE_COMMAND,
    )
    return _loads(serving.loads[ITEM])


def main() -> int:
    parser = argparse.ArgumentParser(description="The project's image against a naive one.")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--smoke", action="store_true", help="1 repeat, 1 s loads")
    parser.add_argument("--json", type=Path, default=Path("benchmark-results.json"))
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--write", type=Path, help="also write the tables to this results file")
    args = parser.parse_args()
    repeats, seconds = (1, 1.0) if args.smoke else (args.repeats, args.duration)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "repeats": repeats,
        "duration_s": seconds,
    }
    for subject in (NAIVE, PROJECT):
        print(f"benchmarks: building {subject.name}", file=sys.stderr)
        results[subject.name] = _builds(subject, repeats)
    print("benchmarks: starting each in turn", file=sys.stderr)
    starts = _starts(repeats)
    for subject in (NAIVE, PROJECT):
        results[subject.name]["start_s"] = starts[subject.name]
    results["bare_start_s"] = starts["bare"]
    for subject in (NAIVE, PROJECT):
        print(f"benchmarks: running {subject.name}", file=sys.stderr)
        results[subject.name] |= _runtime(subject, repeats, seconds)
    results["bare"] = _bare(repeats, seconds)
    print("benchmarks: access log, telemetry and scrapes, on and off", file=sys.stderr)
    results["observability"] = observability(PROJECT.tag, repeats, seconds)
    args.json.write_text(json.dumps(results, indent=2, default=asdict) + "\n")
    report = table(results)
    print(report)
    if args.write:
        write(args.write, "The image against a naive one", report)
    errors = [
        f"{name} {workers} {path}"
        for name in (NAIVE.name, PROJECT.name)
        for workers in ("workers_1", "workers_2")
        for path in PATHS
        if results[name][workers][path]["errors"]
    ]
    if errors:
        print(f"benchmarks: non-2xx or socket errors in {', '.join(errors)}", file=sys.stderr)
        return 1
    misses = missed(results) if args.check else []
    for miss in misses:
        print(f"benchmarks: target missed: {miss}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
