"""The interactive docs in a real browser: they render from the container alone.

Headless Chromium loads /docs and /redoc from the running image with its network
features off and every host but 127.0.0.1 unresolvable; its network log shows every
request it attempted.
"""

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.docker import Container, remove, start
from testing.require import require


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; skipped where it is missing, failed there when REQUIRE_CHROMIUM=1."""
    # Debian's package, or the names other systems (CI runners) give a Chromium build.
    found = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    require(
        found is not None,
        variable="REQUIRE_CHROMIUM",
        reason="chromium is not installed (apt-get install chromium)",
    )
    assert found is not None
    return found


@pytest.fixture(scope="module")
def served(image: str) -> Iterator[Container]:
    container = start(image)
    yield container
    remove(container)


def _render(chromium: str, url: str, profile: Path) -> tuple[str, list[str]]:
    """The DOM after scripts ran, and every URL the page fetched (itself included).

    Chromium's own background requests (updates, sign-in) are not the page's: they carry
    no page origin as initiator, and the resolver rules below make them fail unsent.
    """
    net_log = profile / "net-log.json"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            # Nothing but loopback resolves: a stray request fails instead of leaving.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile / 'profile'}",
            f"--log-net-log={net_log}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    page = "/".join(url.split("/", 3)[:3])
    urls = sorted(
        {
            e["params"]["url"]
            for e in log["events"]
            if e["type"] == start_job
            and "url" in e.get("params", {})
            and (e["params"].get("initiator") == page or e["params"]["url"] == url)
        }
    )
    return result.stdout, urls


def _only_from(container: Container, urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(f"{container.base_url}/")]


def test_swagger_ui_renders_every_operation_from_the_service_alone(
    chromium: str, served: Container, tmp_path: Path
) -> None:
    dom, urls = _render(chromium, f"{served.base_url}/docs", tmp_path)
    assert f"{served.base_url}/docs" in urls
    assert 'data-path="/items/{item_id}"' in dom
    assert 'data-path="/"' in dom
    assert f"{served.base_url}/docs-assets/swagger-ui-bundle.js" in urls
    assert f"{served.base_url}/openapi.json" in urls
    assert _only_from(served, urls) == []


def test_redoc_renders_the_operations_from_the_service_alone(
    chromium: str, served: Container, tmp_path: Path
) -> None:
    dom, urls = _render(chromium, f"{served.base_url}/redoc", tmp_path)
    assert "/items/{item_id}" in dom
    assert "Read Item" in dom
    assert f"{served.base_url}/docs-assets/redoc.standalone.js" in urls
    assert _only_from(served, urls) == []
