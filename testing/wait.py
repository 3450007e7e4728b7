"""Polling with a deadline: the one way the tests wait."""

import time
import urllib.error
import urllib.request
from collections.abc import Callable


def wait_until[T](
    check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1
) -> T:
    """Poll `check` until it returns something other than None or False; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def answers(url: str, status: int = 200) -> bool:
    """True when a GET of `url` (on loopback) answers `status` within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:  # noqa: S310 (http to loopback)
            return bool(reply.status == status)
    except urllib.error.HTTPError as error:
        return error.code == status
    except (urllib.error.URLError, OSError):
        return False


def ready(base_url: str) -> bool:
    """True once the service's readiness probe answers 200."""
    return answers(f"{base_url}/health/ready")


def wait_ready(base_url: str, *, timeout: float = 30, what: str = "the server") -> None:
    """Return once the service at `base_url` is ready."""
    wait_until(lambda: ready(base_url), timeout=timeout, what=f"{what} to be ready")
