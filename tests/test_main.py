"""The app as a whole: its OpenAPI contract, docs, settings wiring and lifespan."""

import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
import uvicorn.config
from fastapi.testclient import TestClient

from app import main
from app.main import create_app
from app.settings import Settings, get_settings


def test_openapi_lists_exactly_the_service_operations(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("/", "get"),
        ("/items/{item_id}", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    }


def test_openapi_types_the_item_parameters(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/items/{item_id}"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["item_id"]["in"] == "path"
    assert parameters["item_id"]["required"] is True
    assert parameters["item_id"]["schema"] == {"type": "integer", "title": "Item Id"}
    assert parameters["q"]["in"] == "query"
    assert parameters["q"]["required"] is False
    assert parameters["q"]["schema"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


def test_openapi_names_the_greeting_key_as_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    greeting = schema["components"]["schemas"]["Greeting"]
    assert greeting["properties"] == {"Hello": {"type": "string", "title": "Hello"}}
    assert greeting["required"] == ["Hello"]


@pytest.mark.parametrize(("path", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_interactive_docs_are_served(client: TestClient, path: str, marker: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert marker in response.text


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", ["/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"]),
        ("/redoc", ["/docs-assets/redoc.standalone.js"]),
    ],
)
def test_docs_load_their_assets_from_the_service_itself(
    client: TestClient, page: str, assets: list[str]
) -> None:
    html = client.get(page).text
    assert "cdn." not in html
    assert "fonts.googleapis" not in html
    for asset in assets:
        assert f"'{asset}'" in html or f'"{asset}"' in html
        response = client.get(asset)
        assert response.status_code == 200
        assert len(response.content) > 10_000


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/api/docs"])
def test_docs_pages_allow_nothing_from_another_origin(page: str) -> None:
    with TestClient(create_app(Settings()), root_path="/api") as client:
        policy = client.get(page).headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; script-src 'self' 'unsafe-inline';")
    assert "http" not in policy
    assert "*" not in policy


def test_api_responses_carry_no_docs_policy(client: TestClient) -> None:
    assert "content-security-policy" not in client.get("/items/5").headers


@pytest.mark.parametrize(
    "path", ["/docs", "/redoc", "/openapi.json", "/docs-assets/swagger-ui.css"]
)
def test_docs_can_be_switched_off(path: str) -> None:
    with TestClient(create_app(Settings(docs_enabled=False))) as client:
        assert client.get(path).status_code == 404
        assert client.get("/").json() == {"Hello": "World"}


def test_the_server_s_root_path_prefixes_the_docs_and_schema_servers() -> None:
    # `fastapi run --root-path /api`: the server sets the ASGI root_path, as TestClient does.
    with TestClient(create_app(Settings()), root_path="/api") as client:
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/api"}]
        docs = client.get("/docs").text
        assert "url: '/api/openapi.json'" in docs
        assert "/api/docs-assets/swagger-ui-bundle.js" in docs


@pytest.mark.parametrize("url", ["/items/5?q=x", "/api/items/5?q=x"])
def test_under_a_root_path_routes_match_with_or_without_the_prefix(url: str) -> None:
    with TestClient(create_app(Settings()), root_path="/api") as client:
        assert client.get(url).json() == {"item_id": 5, "q": "x"}


def test_lifespan_logs_startup_and_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app")
    with TestClient(create_app(Settings())):
        assert [r.getMessage() for r in caplog.records if r.name == "app.lifespan"] == [
            "startup complete"
        ]
    assert [r.getMessage() for r in caplog.records if r.name == "app.lifespan"] == [
        "startup complete",
        "shutdown complete",
    ]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The process's settings and served app read anew, and forgotten again afterwards."""
    get_settings.cache_clear()
    main._served_app.cache_clear()
    yield
    get_settings.cache_clear()
    main._served_app.cache_clear()


@pytest.mark.usefixtures("fresh_settings", "logging_state")
def test_the_served_app_is_built_once_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_DOCS_ENABLED", "false")
    served = main.app
    assert served is main.app
    with TestClient(served) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/").json() == {"Hello": "World"}


@pytest.mark.usefixtures("fresh_settings")
def test_an_invalid_setting_ends_the_process_with_its_line_when_the_app_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_LOG_LEVEL", "loud")
    with pytest.raises(SystemExit) as caught:
        _ = main.app
    assert str(caught.value).startswith("invalid configuration: APP_LOG_LEVEL: ")


def test_the_module_offers_no_other_attribute_lazily() -> None:
    with pytest.raises(AttributeError, match=r"'app\.main' has no attribute 'application'"):
        _ = main.application


def test_the_app_is_listed_for_the_clis_discovery_by_path() -> None:
    assert "app" in dir(main)
    assert "create_app" in dir(main)


@pytest.mark.usefixtures("fresh_settings", "logging_state")
def test_looking_the_served_app_up_applies_the_log_format_from_its_first_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """uvicorn configures its own logging, then looks the app up: each look-up (one per
    process) applies the service's format again, before the server's first line."""
    monkeypatch.setenv("APP_LOG_FORMAT", "json")
    for _ in range(2):
        logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
        _ = main.app
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["logger"], x["message"]) for x in lines] == [
        ("uvicorn.error", "Started server process [7]")
    ] * 2
