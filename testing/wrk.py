"""wrk, bounded and on loopback only, and its report parsed: requests per second, latency
percentiles, errors."""

import re
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """One wrk run's figures; latencies in milliseconds."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def clean(self) -> bool:
        """No non-2xx response and no socket error: the run counts."""
        return self.non_2xx == 0 and self.socket_errors == 0


def _latency(report: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", report, re.MULTILINE)
    if match is None:
        msg = f"no {percentile}% latency in wrk's report:\n{report}"
        raise ValueError(msg)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(report: str) -> Load:
    """Read wrk --latency's report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", report, re.MULTILINE)
    if rps is None:
        msg = f"no Requests/sec in wrk's report:\n{report}"
        raise ValueError(msg)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    return Load(
        requests_per_second=float(rps.group(1)),
        p50_ms=_latency(report, "50"),
        p99_ms=_latency(report, "99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


# The concurrency of the load tests: the memory limits were proven under it.
CONNECTIONS = 64


def wrk(url: str, seconds: float, connections: int = CONNECTIONS) -> Load:
    """A bounded wrk run (2 threads) against `url`, which must be on 127.0.0.1."""
    if not url.startswith("http://127.0.0.1:"):
        msg = f"load is only ever sent to loopback, not {url}"
        raise ValueError(msg)
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return parse(result.stdout)
