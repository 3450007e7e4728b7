"""Cold start against the floor, and what the image's two build helpers buy.

    uv run python -m benchmarks.start [--repeats 7] [--write docs/results/start.md]

Builds the project's Dockerfile three ways: as shipped (`docker/strip_extensions.py` and
`docker/warm_bytecode.py`), with uv's own `UV_COMPILE_BYTECODE=1` in place of both, and
with `UV_COMPILE_BYTECODE=1` and the stripping. Then, in turns so that a slow spell of
the machine hits each alike, times `docker run` to the first 200 on
/items/5?q=somequery: the service in each image, and bare FastAPI with the same routes
(`benchmarks/bare/bare_fastapi.py`) in the shipped image, the floor. Prints the median
and the range of each, and the images' sizes.
"""

import argparse
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import build, image_size, start_to_first_200
from benchmarks.subjects import PROJECT
from testing.context import copy_build_context
from testing.docker import docker
from testing.results import write
from testing.units import mib

BARE = Path(__file__).resolve().parent / "bare"
_BARE = (
    ("-v", f"{BARE}:/bare:ro", "-e", "PYTHONPATH=/bare"),
    ("fastapi", "run", "--entrypoint", "bare_fastapi:app"),
)

_STRIP = "    && python3 /tmp/docker/strip_extensions.py /opt/venv \\\n"
_WARM = "    && /opt/venv/bin/python /tmp/docker/warm_bytecode.py\n"
_ENV = "ENV UV_LINK_MODE=copy \\\n"
_COMPILE = "ENV UV_COMPILE_BYTECODE=1 \\\n    UV_LINK_MODE=copy \\\n"


def _uv_compiles(dockerfile: str, *, strip: bool) -> str:
    """The Dockerfile with uv compiling every module's bytecode instead of warm_bytecode.py,
    and without strip_extensions.py unless `strip`."""
    for text in (_STRIP, _WARM, _ENV):
        if dockerfile.count(text) != 1:
            msg = f"the Dockerfile no longer has {text.strip()!r} once: update benchmarks.start"
            raise ValueError(msg)
    dockerfile = dockerfile.replace(_ENV, _COMPILE)
    # The command ends with the line before the helpers, or with the strip.
    helpers = " \\\n" + _STRIP + _WARM
    kept = " \\\n" + _STRIP.removesuffix(" \\\n") + "\n" if strip else "\n"
    return dockerfile.replace(helpers, kept)


@dataclass(frozen=True)
class Image:
    name: str
    tag: str


def _build_images(directory: Path) -> list[Image]:
    images: list[Image] = []
    edits: dict[str, Callable[[str], str] | None] = {
        "as shipped: strip_extensions.py and warm_bytecode.py": None,
        "UV_COMPILE_BYTECODE=1 alone": lambda d: _uv_compiles(d, strip=False),
        "UV_COMPILE_BYTECODE=1 and strip_extensions.py": lambda d: _uv_compiles(d, strip=True),
    }
    for name, edit in edits.items():
        context = directory / str(len(images))
        copy_build_context(context)
        if edit is not None:
            dockerfile = context / "Dockerfile"
            dockerfile.write_text(edit(dockerfile.read_text()))
        tag = f"{PROJECT.tag}-start-{len(images)}"
        build(context, tag)
        images.append(Image(name, tag))
    return images


def _range(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f} to {max(values):.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description="Cold start against bare FastAPI.")
    parser.add_argument("--repeats", type=int, default=7, help="starts of each (median)")
    parser.add_argument("--write", type=Path, help="also write the table to this results file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        images = _build_images(Path(directory))
    shipped = images[0]
    runs: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
        "bare FastAPI, same routes, shipped image (the floor)": (shipped.tag, *_BARE),
        **{f"the service, {i.name}": (i.tag, (), ()) for i in images},
    }
    starts: dict[str, list[float]] = {name: [] for name in runs}
    try:
        for _ in range(args.repeats):
            for name, (tag, options, command) in runs.items():
                starts[name].append(start_to_first_200(tag, options, command))
        sizes = {i.name: image_size(i.tag) for i in images}
    finally:
        docker("image", "rm", "--force", *(i.tag for i in images), check=False)
    floor = statistics.median(next(iter(starts.values())))
    lines = [
        "| what starts | `docker run` to the first 200: median (range) | / the floor |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {_range(values)} | {statistics.median(values) / floor:.2f} |"
            for name, values in starts.items()
        ),
        "",
        "| image | size |",
        "| --- | --- |",
        *(f"| {name} | {mib(size):.1f} MiB |" for name, size in sizes.items()),
        "",
        f"{args.repeats} starts of each, in turns; one worker, the image's defaults.",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write(args.write, "Cold start against bare FastAPI, and the build helpers", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
