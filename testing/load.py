"""Requests sent back to back while something happens to the servers, each outcome kept.

Each request opens a connection of its own, as a new client would, so every one of them
goes through the Service's (or the Gateway's) choice of a backend afresh. Bounded in count
and time: it stops by itself.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from testing.wait import wait_until


@dataclass
class Load:
    """GET `url` until stopped; each outcome is a status code or the name of the error."""

    url: str
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(
            timeout=5, limits=httpx.Limits(max_keepalive_connections=0)
        )
    )
    most: int = 50_000
    seconds: float = 600
    # At most one request per this many seconds: each connection leaves its client port in
    # TIME_WAIT (and its NAT entry in conntrack for 120 s), so a faster loop would run out
    # of ports, or reuse one whose stale NAT entry still names a pod that is gone.
    interval: float = 0.005
    outcomes: list[int | str] = field(default_factory=list)
    # When each failure happened (seconds since the start) and what it said, for the report.
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        started = time.monotonic()
        deadline = started + self.seconds
        with self.client:
            while (
                not self._stop.is_set()
                and len(self.outcomes) < self.most
                and time.monotonic() < deadline
            ):
                try:
                    self.outcomes.append(self.client.get(self.url).status_code)
                except httpx.HTTPError as error:
                    self.outcomes.append(type(error).__name__)
                    self.errors.append(f"{time.monotonic() - started:.3f} s: {error!r}")
                self._stop.wait(self.interval)

    @contextmanager
    def running(self) -> Iterator["Load"]:
        sender = threading.Thread(target=self._run)
        sender.start()
        try:
            wait_until(lambda: len(self.outcomes) > 10, timeout=30, what="the load to start")
            yield self
        finally:
            self._stop.set()
            sender.join()

    @property
    def failures(self) -> list[int | str]:
        return [o for o in self.outcomes if o != 200]

    def summary(self, what: str) -> str:
        failed = sorted({str(f) for f in self.failures})
        first = f", first at {self.errors[0]}, last at {self.errors[-1]}" if self.errors else ""
        return f"{what}: {len(self.outcomes)} requests, {len(self.failures)} failed {failed}{first}"
