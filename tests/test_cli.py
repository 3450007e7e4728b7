"""`fastapi run` from the project root: the pyproject entrypoint, lifespan and settings."""

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from testing.paths import PROJECT_ROOT
from testing.wait import wait_ready, wait_until

_LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@dataclass
class Server:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stdout is not None
        self.lines.extend(self.process.stdout)

    def base_url(self) -> str | None:
        found = _LISTENING.search("".join(self.lines))
        return found.group(1) if found else None


@contextmanager
def fastapi_run(**env: str) -> Iterator[Server]:
    """The command a developer types, from the project root so [tool.fastapi] applies, on a
    port the system picks (port 0), read back from the server's own log."""
    with subprocess.Popen(
        [sys.executable, "-m", "fastapi", "run", "--host", "127.0.0.1", "--port", "0"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        server = Server(process)
        reader = threading.Thread(target=server.read)
        reader.start()
        try:
            yield server
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
            reader.join(timeout=10)


def test_fastapi_run_needs_no_arguments_and_shuts_down_through_the_lifespan() -> None:
    with fastapi_run() as server:
        base_url = wait_until(server.base_url, timeout=30, what="fastapi run to listen")
        wait_ready(base_url, what="fastapi run")
        assert httpx.get(f"{base_url}/").json() == {"Hello": "World"}
    output = "".join(server.lines)
    # uvicorn shuts down gracefully, then re-raises the signal so a parent sees why it ended.
    assert server.process.returncode == -signal.SIGTERM
    assert output.index("app.lifespan: startup complete") < output.index(
        "app.lifespan: shutdown complete"
    )


def test_fastapi_run_with_an_invalid_setting_exits_with_one_clear_line() -> None:
    with fastapi_run(APP_LOG_LEVEL="loud") as server:
        server.process.wait(timeout=30)
    assert server.process.returncode == 1
    # The line the README promises, word for word, and no traceback.
    assert server.lines[-1] == (
        "invalid configuration: APP_LOG_LEVEL: Input should be 'critical', 'error', "
        "'warning', 'info' or 'debug'\n"
    )
    assert not any(line.startswith("Traceback") for line in server.lines)
