"""GET /metrics: requests by route and status in Prometheus's format, and the process's."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.metrics import MULTIPROCESS_DIR, prepare_multiprocess_dir
from app.settings import Settings

COUNT = "http_server_request_duration_seconds_count"


def counts(client: TestClient) -> dict[tuple[str, str, str], float]:
    """The request count of each (method, route, status), as a scraper reads it."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (
            sample.labels["http_request_method"],
            sample.labels["http_route"],
            sample.labels["http_response_status_code"],
        ): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == COUNT
    }


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    client.get("/items/5?q=somequery")
    client.get("/items/6")
    client.get("/items/not-a-number")
    client.get("/")
    assert counts(client) == {
        ("GET", "/items/{item_id}", "200"): 2,
        ("GET", "/items/{item_id}", "422"): 1,
        ("GET", "/", "200"): 1,
    }


def test_probes_docs_assets_and_scrapes_are_not_counted(client: TestClient) -> None:
    client.get("/health/ready")
    client.get("/health/live")
    client.get("/docs-assets/swagger-ui.css")
    client.get("/metrics")
    assert counts(client) == {}


def test_unmatched_paths_share_one_series(client: TestClient) -> None:
    client.get("/a")
    client.get("/b/c")
    assert counts(client) == {("GET", "", "404"): 2}


def test_made_up_methods_share_one_series(client: TestClient) -> None:
    client.request("BREW", "/")
    client.request("FETCH", "/")
    assert counts(client) == {("_OTHER", "/", "405"): 2}


def test_the_process_metrics_are_exposed(client: TestClient) -> None:
    names = {f.name for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert {"process_resident_memory_bytes", "process_cpu_seconds", "process_open_fds"} <= names


def test_switched_off_there_is_no_metrics_endpoint() -> None:
    with TestClient(create_app(Settings(metrics_enabled=False))) as client:
        assert client.get("/metrics").status_code == 404


def test_the_first_process_empties_the_directory_of_an_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "histogram_1.db").write_bytes(b"stale")
    (directory / "keep.txt").write_text("not ours")
    monkeypatch.setenv(MULTIPROCESS_DIR, str(directory))
    prepare_multiprocess_dir()
    assert sorted(p.name for p in directory.iterdir()) == ["keep.txt"]


def test_a_missing_directory_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_DIR, str(tmp_path / "a" / "b"))
    prepare_multiprocess_dir()
    assert (tmp_path / "a" / "b").is_dir()


def test_an_unusable_directory_stops_the_start_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(MULTIPROCESS_DIR, str(blocker / "metrics"))
    with pytest.raises(SystemExit) as stopped:
        prepare_multiprocess_dir()
    assert str(stopped.value) == (
        f"invalid configuration: {MULTIPROCESS_DIR}: {blocker / 'metrics'}: Not a directory"
    )
