"""A benchmark's figures as a Markdown results file: the command, the date and the machine
above the table, so that anyone can tell where a figure came from and repeat it."""

import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path


def machine() -> str:
    """Cores, processor and kernel of this machine, in one line."""
    model = "unknown processor"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def write(path: Path, title: str, body: str, command: str | None = None) -> None:
    """`body` (Markdown) under a heading that names the command that made it (by default
    this process's `python -m` command line), now."""
    command = command or shlex.join(["uv", "run", "python", "-m", *_module_and_arguments()])
    header = (
        f"# {title}\n\n"
        f"- command: `{command}`\n"
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- machine: {machine()}\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body.rstrip() + "\n")


def _module_and_arguments() -> list[str]:
    main = sys.modules["__main__"]
    if main.__spec__ is None:
        msg = "not started with `python -m`: pass the command that made the results"
        raise ValueError(msg)
    return [main.__spec__.name.removesuffix(".__main__"), *sys.argv[1:]]
