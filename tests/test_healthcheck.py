"""The container health check: its exit status follows /health/ready on $PORT."""

import errno
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app import healthcheck
from testing.ports import closed_port

type Serve = Callable[[int], None]


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Start a loopback server whose /health/ready answers a given status; point PORT at it."""
    servers: list[HTTPServer] = []

    def start(status: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status if self.path == "/health/ready" else 404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Keep the test output clean."""

        server = HTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("PORT", str(server.server_address[1]))

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_healthy_when_readiness_answers_200(serve: Serve) -> None:
    serve(200)
    assert healthcheck.main() == 0


def test_unhealthy_when_readiness_answers_any_other_success(serve: Serve) -> None:
    serve(204)
    assert healthcheck.main() == 1


def test_unhealthy_when_readiness_answers_503(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(503)
    assert healthcheck.main() == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy: http://127.0.0.1:")
    assert "/health/ready: HTTP Error 503" in err


def test_unhealthy_when_nothing_listens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with closed_port() as port:
        monkeypatch.setenv("PORT", str(port))
        assert healthcheck.main() == 1
    err = capsys.readouterr().err
    assert err.startswith(f"unhealthy: http://127.0.0.1:{port}/health/ready: ")
    assert f"[Errno {errno.ECONNREFUSED}]" in err


def test_the_port_defaults_to_8000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    seen: list[str] = []

    def record(url: str, timeout: float) -> None:
        seen.append(f"{url} {timeout}")
        raise OSError(errno.ECONNREFUSED, "refused")

    monkeypatch.setattr(healthcheck, "urlopen", record)
    assert healthcheck.main() == 1
    assert seen == ["http://127.0.0.1:8000/health/ready 2.0"]
