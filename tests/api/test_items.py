import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/items/5?q=somequery", {"item_id": 5, "q": "somequery"}),
        ("/items/5", {"item_id": 5, "q": None}),
        ("/items/-3?q=", {"item_id": -3, "q": ""}),
    ],
)
def test_item_echoes_id_and_query(client: TestClient, url: str, body: object) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.json() == body


def test_non_integer_item_id_is_rejected_with_fastapis_error_body(client: TestClient) -> None:
    response = client.get("/items/foo")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "foo",
            }
        ]
    }
