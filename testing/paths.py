"""Where the project is, and the names that keep one run apart from another."""

import uuid
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@cache
def run_id() -> str:
    """A short id for this process: image tags and stack names carry it, so that two runs
    on one engine never touch each other's objects."""
    return uuid.uuid4().hex[:8]
