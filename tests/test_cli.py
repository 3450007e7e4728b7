"""`fastapi run` from the project root: the pyproject entrypoint, lifespan and settings."""

import os
import signal
import subprocess
import sys

import httpx

from tests.support import PROJECT_ROOT, answers_ready, free_port, wait_until


def _fastapi_run(port: int, **env: str) -> subprocess.Popen[str]:
    # The command a developer types, run from the project root so [tool.fastapi] applies.
    return subprocess.Popen(
        [sys.executable, "-m", "fastapi", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_fastapi_run_needs_no_arguments_and_shuts_down_through_the_lifespan() -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _fastapi_run(port)
    try:
        wait_until(lambda: answers_ready(base_url), timeout=30, what="fastapi run to be ready")
        assert httpx.get(f"{base_url}/").json() == {"Hello": "World"}
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=10)
    # uvicorn shuts down gracefully, then re-raises the signal so a parent sees why it ended.
    assert server.returncode == -signal.SIGTERM
    assert "Using import string: app.main:app" in output
    assert "app.lifespan: startup complete" in output
    assert "app.lifespan: shutdown complete" in output


def test_fastapi_run_with_an_invalid_setting_exits_with_one_clear_line() -> None:
    server = _fastapi_run(free_port(), APP_DOCS_ENABLED="maybe")
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 1
    assert (
        "invalid configuration: APP_DOCS_ENABLED: Input should be a valid boolean, "
        "unable to interpret input\n"
    ) in output
    assert "Traceback" not in output
