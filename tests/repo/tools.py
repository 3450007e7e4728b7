"""Run the linters that the lint dependency group installs next to this interpreter."""

import subprocess
import sys
from pathlib import Path

from testing.paths import PROJECT_ROOT

_BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The venv's own `name` with ARGS, from the project root; output captured."""
    return subprocess.run(
        [str(_BIN / name), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
