"""The docs pages' Content-Security-Policy, added by pure ASGI middleware, and the two app
builds (with and without docs) carrying the service's name, version and lifespan."""

from importlib.metadata import version

import pytest
from fastapi.testclient import TestClient

from app import DISTRIBUTION
from app.docs import CONTENT_SECURITY_POLICY, PAGES, DocsContentSecurityPolicy, _route_path
from app.main import TITLE, create_app
from app.settings import Settings
from tests.asgi import Inner, call, http_scope

POLICY = (b"content-security-policy", CONTENT_SECURITY_POLICY)


def test_a_docs_page_gets_the_policy_after_its_own_headers() -> None:
    inner = Inner()
    inner.start = {"type": "http.response.start", "status": 200, "headers": [(b"a", b"b")]}
    sent = call(DocsContentSecurityPolicy(inner, pages=PAGES), http_scope("/docs"))
    assert sent[0]["headers"] == [(b"a", b"b"), POLICY]
    assert inner.received == [{"type": "http.request", "body": b"", "more_body": False}]


def test_a_response_start_without_headers_still_gets_the_policy() -> None:
    inner = Inner()
    inner.start = {"type": "http.response.start", "status": 200}
    sent = call(DocsContentSecurityPolicy(inner, pages=PAGES), http_scope("/redoc"))
    assert sent[0]["headers"] == [POLICY]


@pytest.mark.parametrize(
    ("path", "root", "route"),
    [
        ("/api/docs", "/api", "/docs"),
        ("/docs", "/api", "/docs"),
        ("/docs", "/d", "/docs"),
        ("/api", "/api", "/api"),
        ("/docs", "", "/docs"),
    ],
)
def test_the_route_path_drops_only_a_whole_leading_root_path(
    path: str, root: str, route: str
) -> None:
    assert _route_path(http_scope(path, root_path=root)) == route


def test_a_scope_without_a_root_path_routes_by_its_path() -> None:
    scope = http_scope("/docs")
    del scope["root_path"]
    assert _route_path(scope) == "/docs"


@pytest.mark.parametrize("docs_enabled", [True, False])
def test_both_builds_carry_the_name_version_and_lifespan(docs_enabled: bool) -> None:
    app = create_app(Settings(docs_enabled=docs_enabled))
    assert (app.title, app.version) == (TITLE, version(DISTRIBUTION))
    with TestClient(app) as client:
        assert client.get("/health/ready").status_code == 200


def test_the_schema_names_the_service_and_its_version() -> None:
    with TestClient(create_app(Settings())) as client:
        info = client.get("/openapi.json").json()["info"]
    assert info == {"title": TITLE, "version": version(DISTRIBUTION)}
