"""Upgrade canaries: what the service relies on its dependencies to do, though it is
theirs, not the service's. Each fails first when an upgrade changes it."""

import logging

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.otel import ON, caller, setenv, spans_for


@pytest.mark.parametrize(
    ("variables", "sampled", "recorded"),
    [
        ({}, False, 0),  # parentbased_always_on, the default, follows the caller's no
        ({"OTEL_TRACES_SAMPLER": "always_on"}, False, 1),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, True, 0),
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
            True,
            1,
        ),
        ({"OTEL_SDK_DISABLED": "true"}, True, 0),
    ],
    ids=["default-follows-no", "always-on", "ratio-0", "parentbased-ratio-0", "sdk-disabled"],
)
def test_the_sdk_samples_as_the_standard_variables_say(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], sampled: bool, recorded: int
) -> None:
    assert len(spans_for(monkeypatch, variables, "/", caller(sampled))) == recorded


def test_an_unknown_sampler_falls_back_to_the_sdk_default(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The SDK's own behaviour: a warning, then parentbased_always_on."""
    spans = spans_for(monkeypatch, {"OTEL_TRACES_SAMPLER": "sometimes"}, "/", caller(sampled=True))
    assert len(spans) == 1
    assert any(
        r.levelno == logging.WARNING and "sometimes" in r.getMessage() for r in caplog.records
    )


def test_an_unsupported_exporter_is_reported_and_the_service_still_serves(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """FastAPI's own behaviour: one warning at start-up, and no exporter at all."""
    setenv(
        monkeypatch,
        {
            **ON,
            "OTEL_TRACES_EXPORTER": "zipkin",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        },
    )
    with TestClient(create_app(Settings())) as client:
        assert client.get("/").json() == {"Hello": "World"}
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith("FastAPI automatic telemetry configuration failed")
    assert "OTEL_TRACES_EXPORTER" in warning.getMessage()
