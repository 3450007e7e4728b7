"""The README's Quickstart is what CI runs: scripts/quickstart reads it from the README."""

import subprocess

from testing.paths import PROJECT_ROOT

QUICKSTART = PROJECT_ROOT / "scripts" / "quickstart"


def _printed() -> list[str]:
    result = subprocess.run(
        [str(QUICKSTART), "--print"], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.splitlines()


def test_the_script_runs_the_readme_s_quickstart_block_line_for_line() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text().splitlines()
    start = readme.index("## Quickstart")
    opening = readme.index("```bash", start)
    closing = readme.index("```", opening + 1)
    assert _printed() == readme[opening + 1 : closing]


def test_the_quickstart_starts_the_stack_asks_it_over_tls_and_removes_it() -> None:
    commands = _printed()
    up = next(i for i, c in enumerate(commands) if c.startswith("docker compose up"))
    request = next(i for i, c in enumerate(commands) if c.startswith("curl"))
    down = next(i for i, c in enumerate(commands) if c.startswith("docker compose down"))
    assert up < request < down
    assert "--wait" in commands[up].split()
    assert "-k" not in commands[request].split()
    assert "--insecure" not in commands[request].split()


def test_ci_runs_the_quickstart() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    assert "scripts/quickstart" in ci
