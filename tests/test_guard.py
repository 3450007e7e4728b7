"""Hostile requests are refused before routing, with a clear status and body."""

import pytest
from fastapi.testclient import TestClient

from app.guard import MAX_HEADER_BYTES, RequestGuard
from tests.asgi import Inner, call, http_scope


def test_headers_above_the_bound_get_431(client: TestClient) -> None:
    response = client.get("/", headers={"x-filler": "a" * MAX_HEADER_BYTES})
    assert response.status_code == 431
    assert response.json() == {"detail": "Request header fields too large"}


def test_headers_within_the_bound_are_served(client: TestClient) -> None:
    response = client.get("/", headers={"x-filler": "a" * (MAX_HEADER_BYTES // 2)})
    assert response.status_code == 200
    assert response.json() == {"Hello": "World"}


@pytest.mark.parametrize("target", ["/items/5?q=%ff%fe", "/items/%ff", "/?x=%c3%28"])
def test_a_target_that_is_not_utf8_gets_400(client: TestClient, target: str) -> None:
    response = client.get(target)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request target is not valid UTF-8"}


@pytest.mark.parametrize(
    ("target", "q"), [("/items/5?q=%C3%A9t%C3%A9", "été"), ("/items/5?q=%F0%9F%90%8D", "🐍")]
)
def test_utf8_targets_pass(client: TestClient, target: str, q: str) -> None:
    assert client.get(target).json() == {"item_id": 5, "q": q}


def test_headers_of_exactly_the_bound_are_served() -> None:
    inner = Inner()
    filler = MAX_HEADER_BYTES - len(b"x-filler")
    call(RequestGuard(inner), http_scope(headers=[(b"x-filler", b"a" * filler)]))
    assert len(inner.scopes) == 1


def test_a_refusal_is_a_complete_json_response_and_reaches_no_app() -> None:
    inner = Inner()
    sent = call(RequestGuard(inner), http_scope("/items/%ff", raw_path=b"/items/%ff"))
    body = b'{"detail": "The request target is not valid UTF-8"}'
    assert sent == [
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        },
        {"type": "http.response.body", "body": body},
    ]
    assert inner.scopes == []


def test_a_scope_without_a_raw_path_is_judged_by_its_query() -> None:
    inner = Inner()
    scope = http_scope(raw_path=None, query_string=b"q=%C3%A9")
    call(RequestGuard(inner), scope)
    assert len(inner.scopes) == 1
