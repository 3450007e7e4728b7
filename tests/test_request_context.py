"""Each request's id, its one access line, and what an unhandled error in a route becomes."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.request_context import RequestContext, request_id_from
from app.settings import Settings
from tests.asgi import Inner, call, http_scope

Lines = Callable[[], list[dict[str, Any]]]
GENERATED = rb"[0-9a-f]{32}"


def failing_app(settings: Settings | None = None) -> FastAPI:
    """The service plus a route that fails, as a bug in a handler would (tests only)."""
    app = create_app(settings or Settings())

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise RuntimeError(f"internal detail: {kind}")

    return app


@pytest.fixture
def failing() -> Iterator[TestClient]:
    with TestClient(failing_app(), raise_server_exceptions=True) as client:
        yield client


def test_a_sane_incoming_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/", headers={"X-Request-ID": "3f2a-b.c:9_Z"})
    assert response.headers["x-request-id"] == "3f2a-b.c:9_Z"


def test_a_request_without_an_id_gets_a_new_one(client: TestClient) -> None:
    first = client.get("/").headers["x-request-id"]
    second = client.get("/").headers["x-request-id"]
    assert re.fullmatch(GENERATED, first.encode())
    assert first != second


@pytest.mark.parametrize(
    "hostile",
    [
        b"a" * 129,
        b"abc\ndef",
        b'x", "level": "ERROR", "message": "forged',
        b"abc\x00def",
        b"abc\x1b[31mred",
        b"",
        b"caf\xc3\xa9",
        b"a b",
    ],
)
def test_a_hostile_request_id_is_replaced_never_echoed(hostile: bytes) -> None:
    sent = call(
        RequestContext(Inner(), access_log=False, metrics=None),
        http_scope(headers=[(b"x-request-id", hostile)], method="GET"),
    )
    echoed = dict(sent[0]["headers"])[b"x-request-id"]
    assert re.fullmatch(GENERATED, echoed)


@pytest.mark.parametrize("length", [1, 128])
def test_ids_of_one_to_128_safe_characters_are_kept(length: int) -> None:
    assert request_id_from([(b"x-request-id", b"A" * length)]) == "A" * length


def test_the_log_injection_attempt_leaves_every_line_whole(json_lines: Lines) -> None:
    hostile = 'x"\n{"level":"ERROR","message":"forged"}'
    with TestClient(create_app(Settings())) as client:
        json_lines()
        response = client.get(
            "/items/5", params={"q": hostile}, headers={"X-Request-ID": "ok\r\nforged: 1"}
        )
    lines = json_lines()
    access = [line for line in lines if line["logger"] == "app.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == response.headers["x-request-id"]
    assert "forged" not in response.headers["x-request-id"]
    assert all(line["level"] == "INFO" for line in lines)


def test_one_access_line_per_request_with_its_fields(json_lines: Lines) -> None:
    with TestClient(create_app(Settings())) as client:
        json_lines()
        response = client.get("/items/5?q=somequery", headers={"X-Request-ID": "req-1"})
    (line,) = [x for x in json_lines() if x["logger"] == "app.access"]
    assert response.status_code == 200
    duration = line.pop("duration_ms")
    assert isinstance(duration, float)
    assert duration > 0
    line.pop("time")
    assert line == {
        "level": "INFO",
        "logger": "app.access",
        "message": "GET /items/5 200",
        "request_id": "req-1",
        "method": "GET",
        "path": "/items/5",
        "route": "/items/{item_id}",
        "status": 200,
        "client": "testclient",
    }


def test_an_unmatched_path_has_no_route(json_lines: Lines) -> None:
    with TestClient(create_app(Settings())) as client:
        json_lines()
        client.get("/nowhere")
    (line,) = [x for x in json_lines() if x["logger"] == "app.access"]
    assert (line["status"], line["route"]) == (404, None)


def test_without_the_access_log_there_is_no_access_line(json_lines: Lines) -> None:
    with TestClient(create_app(Settings(access_log=False))) as client:
        json_lines()
        client.get("/")
    assert [x for x in json_lines() if x["logger"] == "app.access"] == []


def test_an_unhandled_error_is_a_500_that_reveals_nothing(failing: TestClient) -> None:
    response = failing.get("/fail/secret")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert "secret" not in response.text
    assert re.fullmatch(GENERATED, response.headers["x-request-id"].encode())


def test_an_unhandled_error_is_one_error_line_with_traceback_and_id(json_lines: Lines) -> None:
    with TestClient(failing_app()) as client:
        json_lines()
        response = client.get("/fail/secret", headers={"X-Request-ID": "req-500"})
    lines = json_lines()
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    (error,) = errors
    assert (error["logger"], error["request_id"]) == ("app.error", "req-500")
    assert error["message"] == "unhandled error in GET /fail/secret"
    assert error["exception"].startswith("Traceback (most recent call last):\n")
    assert error["exception"].endswith("RuntimeError: internal detail: secret")
    (access,) = [line for line in lines if line["logger"] == "app.access"]
    assert (access["status"], access["request_id"]) == (500, "req-500")
    assert response.headers["x-request-id"] == "req-500"


def test_an_error_after_the_response_started_is_logged_once_and_not_raised(
    json_lines: Lines,
) -> None:
    async def half_sent(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    sent = call(
        RequestContext(half_sent, access_log=True, metrics=None),
        http_scope(method="GET", client=("10.0.0.1", 1)),
    )
    assert [message["type"] for message in sent] == ["http.response.start"]
    lines = json_lines()
    assert [(x["logger"], x["level"]) for x in lines] == [
        ("app.error", "ERROR"),
        ("app.access", "INFO"),
    ]
    assert lines[1]["status"] == 500


def test_a_lifespan_or_websocket_scope_passes_through_untouched() -> None:
    inner = Inner()
    middleware = RequestContext(inner, access_log=True, metrics=None)
    call(middleware, {"type": "websocket", "path": "/", "headers": []})
    assert inner.scopes == [{"type": "websocket", "path": "/", "headers": []}]
