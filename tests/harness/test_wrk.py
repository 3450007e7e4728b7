"""wrk's report is read exactly, and load goes to loopback only."""

import pytest

from testing.wrk import parse, wrk

REPORT = """Running 2s test @ http://127.0.0.1:8000/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.93ms    2.11ms  40.37ms   90.12%
    Req/Sec     2.15k   150.77     2.40k    75.00%
  Latency Distribution
     50%   14.50ms
     75%   15.30ms
     90%   16.51ms
     99%    1.02s
  8574 requests in 2.00s, 1.23MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   4281.46
Transfer/sec:    628.43KB
"""


def test_a_report_is_read_into_its_figures() -> None:
    load = parse(REPORT)
    assert load.requests_per_second == 4281.46
    assert load.p50_ms == 14.5
    assert load.p99_ms == 1020.0
    assert (load.non_2xx, load.socket_errors) == (7, 3)
    assert load.clean is False


def test_a_report_without_errors_is_clean() -> None:
    report = REPORT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "")
    report = report.replace("  Non-2xx or 3xx responses: 7\n", "").replace("1.02s", "700us")
    load = parse(report)
    assert load.clean is True
    assert load.p99_ms == pytest.approx(0.7)


def test_load_is_refused_for_anything_but_loopback() -> None:
    with pytest.raises(ValueError, match="only ever sent to loopback"):
        wrk("http://10.0.0.1:8000/", seconds=1)
