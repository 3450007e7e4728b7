"""Logging for the service's own messages, in the same shape as the server's lines."""

import logging
import sys
from typing import TextIO

from app.settings import LogLevel


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """Write to whatever sys.stderr is when a line is logged, not when the handler was made:
    a process that swaps its stderr (a test runner capturing output) keeps its lines."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _UvicornStyleFormatter(logging.Formatter):
    """`INFO:     app.lifespan: message`, aligned with uvicorn's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"{record.levelname}:".ljust(10)
        return f"{prefix}{record.name}: {record.getMessage()}"


def configure_logging(level: LogLevel, *, access_log: bool = True) -> None:
    """Send the `app` loggers to stderr and apply the level to the server's loggers too."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    logger = logging.getLogger("app")
    logger.setLevel(numeric)
    # Idempotent: a second app in the same process (tests) must not double every line.
    if not logger.handlers:
        handler = _CurrentStderr()
        handler.setFormatter(_UvicornStyleFormatter())
        logger.addHandler(handler)
    # One knob for all logs: APP_LOG_LEVEL=warning also quiets uvicorn's access lines.
    logging.getLogger("uvicorn").setLevel(numeric)
    # Access lines are INFO: above that level uvicorn's per-request call returns at once.
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.NOTSET if access_log else logging.WARNING)
