"""Requests left out of traces and request metrics: probes, docs assets, the scrape itself.

They come every few seconds from machines, not from users: counted, they would drown
the service's own numbers; traced, they would fill the trace store.
"""

from collections.abc import MutableMapping
from typing import Any

from app.docs import ASSETS

METRICS_PATH = "/metrics"
_PREFIXES = ("/health/", f"{ASSETS}/")
_PATHS = frozenset({METRICS_PATH, "/health"})


def unobserved_path(path: str) -> bool:
    """True for a path (as the routes see it) that is neither traced nor counted."""
    return path in _PATHS or path.startswith(_PREFIXES)


def unobserved(scope: MutableMapping[str, Any]) -> bool:
    """The same, for an ASGI scope: FastAPI's `telemetry={"exclude": ...}` takes this."""
    return unobserved_path(scope.get("path", ""))
