"""Fixtures shared by the unit tests: an app built from explicit settings."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client for the app with default settings, its lifespan running."""
    with TestClient(create_app(Settings())) as test_client:
        yield test_client
