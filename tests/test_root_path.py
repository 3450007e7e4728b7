"""APP_ROOT_PATH as ASGI middleware: what the app behind it is told."""

import pytest

from app.root_path import RootPathMiddleware
from tests.asgi import Inner, call, http_scope


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_requests_and_websockets_carry_the_root_path(kind: str) -> None:
    inner = Inner()
    call(RootPathMiddleware(inner, root_path="/api"), http_scope(type=kind))
    assert inner.scopes[0]["root_path"] == "/api"


def test_other_scopes_pass_unchanged() -> None:
    inner = Inner()
    scope = {"type": "lifespan"}
    call(RootPathMiddleware(inner, root_path="/api"), scope)
    assert inner.scopes == [scope]
