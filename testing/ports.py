"""Loopback ports for servers the tests start on the host."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections for as long as the block runs.

    The socket is bound but never listens, so nothing else can take the port meanwhile
    and every connection to it is refused (ECONNREFUSED).
    """
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port: int = holder.getsockname()[1]
        yield port


def free_port() -> int:
    """A loopback port nothing listens on right now, for a server that must be told its
    port in advance. Another process could take it before the server binds: prefer
    binding to port 0 and reading the port back wherever the server allows it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
