"""The development variant: compose watch syncs edits and `fastapi dev` reloads them."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.compose import Stack
from testing.context import copy_project
from testing.wait import wait_until

DEV_FILES = ("compose.yaml", "compose.dev.yaml")


def _greeting(url: str) -> str | None:
    try:
        greeting: str = httpx.get(url, timeout=2).json()["Hello"]
    except (httpx.TransportError, ValueError, KeyError):
        return None
    return greeting


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The tracked files of the project, so that a test may edit them."""
    copy_project(tmp_path)
    return tmp_path


@pytest.fixture
def watching(engine: None, project_copy: Path) -> Iterator[Stack]:
    """`docker compose watch` on the dev variant, running until the test ends."""
    # DEV_PORT empty: Docker picks the published port, so runs never collide.
    stack = Stack(project_copy, files=DEV_FILES, env={"DEV_PORT": ""})
    log = project_copy / "watch.log"
    with log.open("w") as output:
        watch = subprocess.Popen(
            stack.argv("watch"), env=stack.environ(), stdout=output, stderr=subprocess.STDOUT
        )
    try:
        # Edits made before compose starts watching would be missed.
        def watching() -> bool:
            if watch.poll() is not None:
                raise AssertionError(f"compose watch exited:\n{log.read_text()[-3000:]}")
            return "Watch enabled" in log.read_text()

        wait_until(watching, timeout=600, what=f"compose watch to start (see {log})")
        yield stack
    finally:
        watch.terminate()
        watch.wait(timeout=30)
        stack.down()


def test_an_edit_under_src_is_served_without_a_rebuild(watching: Stack) -> None:
    url = f"http://{watching.published('app', '8000')}/"
    assert wait_until(lambda: _greeting(url), timeout=60, what="fastapi dev to answer") == "World"
    root = watching.directory / "src" / "app" / "api" / "root.py"
    root.write_text(root.read_text().replace('hello="World"', 'hello="Watch"'))
    wait_until(lambda: _greeting(url) == "Watch", timeout=60, what="the edit to be served")
    # Synced and served as the image's non-root user.
    assert watching.compose("exec", "-T", "app", "id", "-u").strip() == "10001"
