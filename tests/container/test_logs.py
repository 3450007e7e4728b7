"""The image's output, scripted from start to SIGTERM: JSON lines with their fields."""

import re
from typing import Any

import httpx
import pytest

from testing.docker import docker, remove, start
from testing.logs import Output, parse
from tests.container.probing import PROBE, PROBE_COMMAND

RFC3339_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
HOSTILE_ID = 'x", "level": "ERROR", "message": "forged'
# What the script asks, with its own request id each, and the status each must get.
SCRIPT = [
    ("/", 200),
    ("/items/5?q=somequery", 200),
    ("/items/five", 422),
    ("/nowhere", 404),
    ("/_probe/fail", 500),
]


@pytest.fixture(scope="module")
def scripted(image: str) -> tuple[Output, dict[str, httpx.Response]]:
    """The image's defaults (with the probe app's failing route): the script, then
    `docker stop`, and everything the container printed."""
    container = start(image, *PROBE, command=PROBE_COMMAND)
    try:
        responses = {
            f"script-{n}": httpx.get(
                f"{container.base_url}{path}", headers={"X-Request-ID": f"script-{n}"}
            )
            for n, (path, _) in enumerate(SCRIPT)
        }
        responses["hostile"] = httpx.get(
            f"{container.base_url}/", headers={"X-Request-ID": HOSTILE_ID}
        )
        docker("stop", container.id)
        output = container.logs()
    finally:
        remove(container)
    return parse(output), responses


def test_every_line_after_the_cli_banner_is_a_json_object_with_its_fields(
    scripted: tuple[Output, dict[str, httpx.Response]],
) -> None:
    output, _ = scripted
    # `fastapi run` prints its banner before the server starts; nothing of the server's.
    banner = [line.strip() for line in output.banner if line.strip()]
    assert banner[0].endswith("Starting FastAPI in production mode")
    assert len(output.banner) < 12
    assert output.late_banner == 0
    assert not any(line.startswith(("INFO", "ERROR", "WARNING")) for line in output.banner)
    assert len(output.records) > 10
    assert output.epilogue == [""]
    for record in output.records:
        assert RFC3339_UTC_MS.fullmatch(record["time"]), record
        assert record["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert isinstance(record["logger"], str)
        assert isinstance(record["message"], str)


def test_the_server_s_own_lines_from_start_to_shutdown_are_json(
    scripted: tuple[Output, dict[str, httpx.Response]],
) -> None:
    output, _ = scripted
    server = [r["message"] for r in output.by("uvicorn.error")]
    assert server[:2] == ["Started server process [1]", "Waiting for application startup."]
    assert server[-1] == "Finished server process [1]"
    assert output.said("app.lifespan", "startup complete")
    assert output.said("app.lifespan", "shutdown complete")


def test_each_request_has_exactly_one_access_line(
    scripted: tuple[Output, dict[str, httpx.Response]],
) -> None:
    output, responses = scripted
    access = {r["request_id"]: r for r in output.by("app.access")}
    for n, (path, status) in enumerate(SCRIPT):
        assert responses[f"script-{n}"].status_code == status
        assert [r["request_id"] for r in output.by("app.access")].count(f"script-{n}") == 1
        line = access[f"script-{n}"]
        assert (line["path"], line["status"], line["method"]) == (path.split("?")[0], status, "GET")
        assert line["duration_ms"] > 0
        assert line["client"] == "172.17.0.1" or line["client"].count(".") == 3
    assert access["script-1"]["route"] == "/items/{item_id}"
    assert access["script-3"]["route"] is None


def test_the_500_reveals_nothing_and_its_one_error_line_has_the_whole_traceback(
    scripted: tuple[Output, dict[str, httpx.Response]],
) -> None:
    output, responses = scripted
    failed = responses["script-4"]
    assert failed.json() == {"detail": "Internal Server Error"}
    assert failed.headers["x-request-id"] == "script-4"
    errors = [r for r in output.records if r["level"] == "ERROR"]
    assert len(errors) == 1
    (error,) = errors
    assert (error["logger"], error["request_id"]) == ("app.error", "script-4")
    traceback: str = error["exception"]
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert 'probe_app.py", line' in traceback
    assert traceback.endswith("RuntimeError: internal detail the client must not see")


def test_a_hostile_request_id_is_neither_echoed_nor_logged(
    scripted: tuple[Output, dict[str, httpx.Response]],
) -> None:
    output, responses = scripted
    replaced = responses["hostile"].headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    lines: list[dict[str, Any]] = output.records
    assert not any("forged" in str(record) for record in lines)
    assert [r["request_id"] for r in output.by("app.access")].count(replaced) == 1


def test_with_two_workers_only_the_supervisor_s_own_lines_are_text(image: str) -> None:
    container = start(image, "-e", "WEB_CONCURRENCY=2")
    try:
        assert httpx.get(f"{container.base_url}/").status_code == 200
        docker("stop", container.id)
        output = parse(container.logs(), supervisor=True)
    finally:
        remove(container)
    assert output.messages().count("startup complete") == 2
    assert output.messages().count("shutdown complete") == 2
    supervisor = [line for line in output.supervisor if line]
    assert supervisor[0].startswith("INFO:     Uvicorn running on http://0.0.0.0:8000")
    assert len(supervisor) <= 8


def test_a_process_killed_outright_has_written_every_access_line_it_logged(image: str) -> None:
    """Each line is written when it is logged: SIGKILL, which no process can outlive or
    answer, loses none of the requests already answered."""
    container = start(image, "-e", "APP_ACCESS_LOG=true")
    try:
        with httpx.Client(base_url=container.base_url) as client:
            for n in range(50):
                assert client.get("/", headers={"X-Request-ID": f"kill-{n}"}).status_code == 200
        docker("kill", "--signal", "KILL", container.id)
        output = parse(container.logs())
    finally:
        remove(container)
    logged = [r["request_id"] for r in output.by("app.access") if r["path"] == "/"]
    assert logged == [f"kill-{n}" for n in range(50)]
