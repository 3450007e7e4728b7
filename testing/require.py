"""Skip a test where a tool is missing; fail instead where CI requires the tool."""

import os

import pytest


def require(available: bool, *, variable: str, reason: str) -> None:
    """Skip with `reason` unless `available`; fail when `variable`=1 is set (CI sets it)."""
    if available:
        return
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {reason}")
    pytest.skip(reason)
