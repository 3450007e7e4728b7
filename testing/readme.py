"""The commands of the README and of docs/, and how each is run.

Every ```bash block is preceded by a marker comment saying how it is run:

- README.md: `<!-- ci: run -->` (run as it stands), `<!-- ci: serves URL -->` (started,
  until URL answers 200, then stopped), `<!-- ci: the test step of .ci/run -->` (the
  suite itself, which .ci/run runs), `<!-- ci: run by TEST (why) -->` (a command whose
  address the reader fills in, run by that test on a local stand-in);
- docs/*.md: `<!-- run by: PATH ... -->` (the test that covers the feature) or
  `<!-- not run here: REASON -->`.

    uv run python -m testing.readme            (scripts/readme: run the README's blocks)
    uv run python -m testing.readme --list     (each block and its marker)
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from testing.paths import PROJECT_ROOT

_BLOCK = re.compile(r"^( *)<!-- ([^\n]+?) -->\n\1```bash\n(.*?)^\1```$", re.M | re.S)
_ANY_BLOCK = re.compile(r"^ *```bash$", re.M)


@dataclass(frozen=True)
class Block:
    """One ```bash block, the marker above it, and where it is."""

    path: Path
    line: int
    marker: str
    commands: str


def blocks(path: Path) -> list[Block]:
    """Every marked bash block of a Markdown file; a block without a marker is an error."""
    text = path.read_text()
    found = []
    for match in _BLOCK.finditer(text):
        indent = match.group(1)
        commands = "".join(line.removeprefix(indent) + "\n" for line in match.group(3).splitlines())
        line = text.count("\n", 0, match.start()) + 2
        found.append(Block(path, line, match.group(2).strip(), commands))
    if len(found) != len(_ANY_BLOCK.findall(text)):
        unmarked = [
            text.count("\n", 0, m.start()) + 1
            for m in _ANY_BLOCK.finditer(text)
            if not any(b.line == text.count("\n", 0, m.start()) + 1 for b in found)
        ]
        msg = f"{path.name}: the bash block(s) at line {unmarked} have no marker above them"
        raise ValueError(msg)
    return found


def _serve(block: Block, url: str, timeout: float = 180) -> None:
    """Start the block, wait for `url` to answer 200, then stop it and all it started."""
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", block.commands],
        cwd=PROJECT_ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                msg = f"{block.path.name}:{block.line}: exited {process.returncode} before serving"
                raise RuntimeError(msg)
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    print(f"readme: {url} answered 200", flush=True)
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                msg = f"{block.path.name}:{block.line}: {url} did not answer within {timeout:g} s"
                raise RuntimeError(msg)
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(block: Block) -> None:
    """Run one README block as its marker says."""
    print(f"readme: {block.path.name}:{block.line}: {block.marker}", flush=True)
    if block.marker == "ci: run":
        subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.commands],
            cwd=PROJECT_ROOT,
            check=True,
            timeout=1200,
        )
    elif block.marker.startswith("ci: serves "):
        _serve(block, block.marker.removeprefix("ci: serves "))
    elif block.marker == "ci: the test step of .ci/run":
        ci = (PROJECT_ROOT / ".ci" / "run").read_text()
        for command in block.commands.splitlines():
            if command not in ci:
                msg = f"{block.path.name}:{block.line}: .ci/run does not run {command!r}"
                raise RuntimeError(msg)
    elif block.marker.startswith("ci: run by "):
        test = block.marker.removeprefix("ci: run by ").split()[0]
        if not (PROJECT_ROOT / test).is_file():
            msg = f"{block.path.name}:{block.line}: no test {test}"
            raise RuntimeError(msg)
    else:
        msg = f"{block.path.name}:{block.line}: unknown marker {block.marker!r}"
        raise ValueError(msg)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="list the blocks, run nothing")
    args = parser.parse_args()
    readme = blocks(PROJECT_ROOT / "README.md")
    if args.list:
        for block in readme:
            print(f"{block.path.name}:{block.line}: {block.marker}\n{block.commands}")
        return 0
    try:
        for block in readme:
            run(block)
    finally:
        # Whatever happened, no stack outlives the run.
        subprocess.run(
            ["docker", "compose", "down", "--volumes", "--remove-orphans"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=False,
            timeout=300,
        )
    print(f"readme: {len(readme)} blocks run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
