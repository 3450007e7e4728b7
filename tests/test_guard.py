"""Hostile requests are refused before routing, with a clear status and body."""

import pytest
from fastapi.testclient import TestClient

from app.guard import MAX_HEADER_BYTES


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
