from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_liveness_answers_alive(client: TestClient) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readiness_answers_ready_once_started(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readiness_is_503_before_the_lifespan_has_started() -> None:
    # Without `with`, TestClient does not run the lifespan: the app has not started.
    response = TestClient(create_app(Settings())).get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}


def test_readiness_is_503_once_shutdown_has_begun() -> None:
    app = create_app(Settings())
    with TestClient(app):
        assert app.state.ready is True
    response = TestClient(app).get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}


def test_liveness_does_not_depend_on_startup() -> None:
    response = TestClient(create_app(Settings())).get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
