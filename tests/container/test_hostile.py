"""Hostile HTTP against the running image: each gets a 4xx or a closed connection within
a bound, the server keeps answering others, and its memory stays bounded."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from testing.compose import shipped_memory
from testing.docker import Container, remove, start
from testing.inside import sample
from testing.units import MiB


@pytest.fixture(scope="module")
def target(image: str) -> Iterator[Container]:
    """The image limited as compose limits it, so a leak would show."""
    limit, _ = shipped_memory()
    container = start(image, "--memory", str(limit), "--memory-swap", str(limit))
    yield container
    remove(container)


def _exchange(container: Container, raw: bytes, timeout: float = 10) -> tuple[float, bytes]:
    """Send raw bytes; return the seconds until the answer (or close) and the status line."""
    address = urlsplit(container.base_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname or "", address.port or 0), timeout) as s:
        try:
            s.sendall(raw)
        except OSError:
            return time.monotonic() - started, b"(closed while sending)"
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            return time.monotonic() - started, b"(reset)"
    return time.monotonic() - started, answer.split(b"\r\n", 1)[0]


HOSTILE = {
    "oversized header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MiB + b"\r\n\r\n",
    "thousands of headers": b"GET / HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: a\r\n" % i for i in range(5000))
    + b"\r\n",
    "very long URL": b"GET /items/5?q=" + b"a" * MiB + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "raw invalid UTF-8": b"GET /items/5?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    "encoded invalid UTF-8": b"GET /items/5?q=%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "Content-Length with Transfer-Encoding": b"POST /items/5 HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    "two Content-Lengths": b"POST /items/5 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
    b"Content-Length: 5\r\n\r\nabcd",
    "broken chunked body": b"POST /items/5 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
    b"\r\n\r\nzz\r\n",
    "huge declared body": b"POST /items/5 HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000"
    b"\r\n\r\nabcd",
    "huge sent body": b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"
    + b"a" * 8388608,
}

# What each may get: 4xx, a close, or (for a GET with a body it ignores) the normal 200.
ACCEPTABLE = {b"(closed while sending)", b"(reset)", b""}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_request_is_refused_within_a_bound(target: Container, name: str) -> None:
    seconds, status = _exchange(target, HOSTILE[name])
    assert seconds < 10, f"{name}: no answer for {seconds:.1f} s"
    if name == "huge sent body":
        # GET / ignores a body: the server answers and discards it, without buffering it.
        assert status in {b"HTTP/1.1 200 OK", *ACCEPTABLE}
    else:
        assert status in ACCEPTABLE or status.startswith(b"HTTP/1.1 4"), (name, status)
    assert httpx.get(f"{target.base_url}/").json() == {"Hello": "World"}


def test_memory_stays_bounded_after_a_barrage(target: Container) -> None:
    before = sample(target).cgroup_usage
    for _ in range(5):
        for raw in HOSTILE.values():
            _exchange(target, raw)
    after = sample(target).cgroup_usage
    assert target.inspect("{{.State.OOMKilled}}") == "false"
    assert after - before < 32 * MiB
    assert httpx.get(f"{target.base_url}/items/5?q=x").json() == {"item_id": 5, "q": "x"}


def test_slow_clients_do_not_stop_the_server_answering_others(target: Container) -> None:
    address = urlsplit(target.base_url)
    slow = []
    stop = threading.Event()
    # 50 clients, each sending a byte of its request head every 0.5 s, for 5 s at most.
    for _ in range(50):
        s = socket.create_connection((address.hostname or "", address.port or 0), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)

    def trickle() -> None:
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            for s in slow:
                with contextlib.suppress(OSError):
                    s.sendall(b"X")
            time.sleep(0.5)

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        statuses = [httpx.get(f"{target.base_url}/", timeout=5).status_code for _ in range(20)]
        assert statuses == [200] * 20
    finally:
        stop.set()
        trickler.join()
        for s in slow:
            s.close()
