"""The benchmark's Markdown table: each figure, project / baseline, and its target."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import ITEM
from benchmarks.observability import floor_table, observability_misses, observability_table


@dataclass(frozen=True)
class Row:
    label: str
    project: float
    baseline: float
    unit_format: str = "{:.2f}"
    # Given (project, baseline), whether the target is met; None: no target.
    target: str = ""
    met: Callable[[float, float], bool] | None = None

    def ratio(self) -> float:
        return self.project / self.baseline if self.baseline else float("nan")

    def verdict(self) -> bool | None:
        """Whether the target is met; None where the row has no target."""
        if self.met is None:
            return None
        return self.met(self.project, self.baseline)

    def markdown(self) -> str:
        ratio = self.ratio()
        verdict = {None: "", True: "yes", False: "**no**"}[self.verdict()]
        cells = [
            self.label,
            self.unit_format.format(self.project),
            self.unit_format.format(self.baseline),
            f"{ratio:.2f}",
            self.target,
            verdict,
        ]
        return "| " + " | ".join(cells) + " |"


def _rows(results: dict[str, Any]) -> list[Row]:
    p, b = results["project"], results["baseline"]
    rows = [
        Row("image size, MiB", p["image_mib"], b["image_mib"], "{:.1f}"),
        Row(
            "image above the base, MiB",
            p["above_base_mib"],
            b["above_base_mib"],
            "{:.1f}",
            "<= 0.5x",
            lambda x, y: x <= 0.5 * y,
        ),
        Row(
            "cold build, s",
            p["cold_build_s"],
            b["cold_build_s"],
            "{:.2f}",
            "<= 0.6x",
            lambda x, y: x <= 0.6 * y,
        ),
        Row(
            "no-op rebuild, s",
            p["noop_rebuild_s"],
            b["noop_rebuild_s"],
            "{:.2f}",
            "<= 0.5 s",
            lambda x, _: x <= 0.5,
        ),
        Row(
            "rebuild after a one-line code change, s",
            p["code_rebuild_s"],
            b["code_rebuild_s"],
            "{:.2f}",
            "<= 1.5 s",
            lambda x, _: x <= 1.5,
        ),
        Row(
            "rebuild after a dependency change, s",
            p["dependency_rebuild_s"],
            b["dependency_rebuild_s"],
            "{:.2f}",
        ),
        Row(
            "docker run to first 200, s",
            p["start_s"],
            b["start_s"],
            "{:.3f}",
            "<= 0.8x and <= 0.6 s",
            lambda x, y: x <= 0.8 * y and x <= 0.6,
        ),
        Row(
            "docker stop, s",
            p["stop_s"],
            b["stop_s"],
            "{:.3f}",
            "<= 1 s, shutdown ran",
            lambda x, _: x <= 1 and p["lifespan_shutdown"],
        ),
    ]
    one = p["workers_1"], b["workers_1"]
    rows += [
        Row(
            "idle RSS per worker (1 worker), MiB",
            max(one[0]["idle_rss_per_worker_mib"]),
            max(one[1]["idle_rss_per_worker_mib"]),
            "{:.1f}",
            "<= 1x",
            lambda x, y: x <= y,
        ),
        Row(
            "RSS per worker after load (1 worker), MiB",
            max(one[0]["loaded_rss_per_worker_mib"]),
            max(one[1]["loaded_rss_per_worker_mib"]),
            "{:.1f}",
        ),
    ]
    for workers in ("workers_1", "workers_2"):
        count = workers[-1]
        for path in ("/", ITEM):
            pw, bw = p[workers][path], b[workers][path]
            item_one = path == ITEM and workers == "workers_1"
            rows += [
                Row(
                    f"`{path}`, {count} worker(s): requests/s",
                    pw["requests_per_second"],
                    bw["requests_per_second"],
                    "{:.0f}",
                    ">= 2x" if item_one else "",
                    (lambda x, y: x >= 2 * y) if item_one else None,
                ),
                Row(
                    f"`{path}`, {count} worker(s): p50 latency, ms",
                    pw["p50_ms"],
                    bw["p50_ms"],
                    "{:.2f}",
                ),
                Row(
                    f"`{path}`, {count} worker(s): p99 latency, ms",
                    pw["p99_ms"],
                    bw["p99_ms"],
                    "{:.2f}",
                    "<= 0.5x" if item_one else "",
                    (lambda x, y: x <= 0.5 * y) if item_one else None,
                ),
            ]
    return rows


def missed(results: dict[str, Any]) -> list[str]:
    """Each figure whose target is not met, with its value and the target."""
    return [
        f"{row.label}: {row.unit_format.format(row.project)} (target {row.target})"
        for row in _rows(results)
        if row.verdict() is False
    ] + observability_misses(results)


def table(results: dict[str, Any]) -> str:
    """The whole comparison as Markdown, with the framework's share of the ceiling."""
    lines = [
        "| figure | project | baseline | project / baseline | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
        *(row.markdown() for row in _rows(results)),
    ]
    project = results["project"]["workers_1"][ITEM]["requests_per_second"]
    bare = results["bare"]["requests_per_second"]
    lines += [
        "",
        f"The framework's share of the ceiling: on `{ITEM}` with 1 worker, the project serves "
        f"{project:.0f} requests/s where a bare ASGI app on the same server in the same "
        f"container serves {bare:.0f}: {project / bare:.2f} of it.",
        "",
        f"The start-up floor: the same bare app, started by the same `fastapi run` in the "
        f"project's image, answers its first 200 after {results['bare_start_s']:.3f} s "
        f"(the project: {results['project']['start_s']:.3f} s).",
        "",
        floor_table(results),
        "",
        observability_table(results),
    ]
    return "\n".join(lines)
