"""The service's log lines: one handler, uvicorn's shape, one level for every logger."""

import logging
from collections.abc import Iterator

import pytest

from app.logs import configure_logging


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """The `app` logger as a fresh process has it: no handler yet."""
    logger = logging.getLogger("app")
    saved = logger.handlers[:]
    logger.handlers.clear()
    yield logger
    logger.handlers[:] = saved


def test_the_first_configuration_adds_one_handler_and_later_ones_none(
    app_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info")
    configure_logging("info")
    assert len(app_logger.handlers) == 1
    logging.getLogger("app.example").info("ready")
    assert capsys.readouterr().err == "INFO:     app.example: ready\n"


def test_access_lines_stay_on_unless_switched_off() -> None:
    configure_logging("info")
    assert logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
    configure_logging("info", access_log=False)
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
    configure_logging("info")
