"""Fixtures shared by every test: a shell-independent environment, an app from settings."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings, get_settings
from testing.environ import shell_settings


@pytest.fixture(autouse=True, scope="session")
def _settings_from_the_project_alone() -> Iterator[None]:
    """The suite runs what ships, whatever the developer's shell exports (APP_LOG_LEVEL,
    OTEL_*, FORWARDED_ALLOW_IPS, WEB_CONCURRENCY...): subprocesses, containers and compose
    stacks inherit none of it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in shell_settings():
            patch.delenv(name)
        get_settings.cache_clear()
        yield


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client for the app with default settings, its lifespan running."""
    with TestClient(create_app(Settings())) as test_client:
        yield test_client
