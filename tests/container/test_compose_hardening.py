"""compose runs every service as locked down as Kubernetes runs the app, shown on the
running containers: their HostConfig, and what a process inside the app can and cannot do;
and the proxy sends the security headers, without banners."""

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from testing.compose import Stack
from testing.docker import docker
from testing.paths import PROJECT_ROOT
from testing.require import require
from testing.wait import wait_until

# Each long-running service and the one-shot prestart: their capabilities and limits.
EXPECTED = {
    "app": ([], 128),
    "prestart": ([], 128),
    "proxy": (["NET_BIND_SERVICE"], 256),
    "prometheus": ([], 256),
}


@pytest.fixture(scope="module")
def hardened(image: str) -> Iterator[Stack]:
    """compose.yaml as declared, with its observability profile: every service runs."""
    stack = Stack(env={"COMPOSE_PROFILES": "observability"})
    try:
        stack.up()
        yield stack
    finally:
        stack.down()


def host_config(stack: Stack, service: str) -> dict[str, Any]:
    (container,) = stack.containers(service)
    config: dict[str, Any] = stack.inspect(container)["HostConfig"]
    return config


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_every_service_runs_read_only_without_capabilities_or_escalation(
    hardened: Stack, service: str
) -> None:
    added, pids = EXPECTED[service]
    config = host_config(hardened, service)
    assert config["ReadonlyRootfs"] is True
    assert config["CapDrop"] == ["ALL"]
    assert (config["CapAdd"] or []) == added
    assert config["SecurityOpt"] == ["no-new-privileges:true"]
    assert config["PidsLimit"] == pids


def _in_app(stack: Stack, script: str) -> str:
    """Run Python in the running app container, as the server's user; its output."""
    return stack.compose("exec", "-T", "app", "python", "-c", script)


def test_writing_outside_the_tmpfs_fails_read_only(hardened: Stack) -> None:
    script = (
        "import errno\n"
        "for path in ('/opt/venv/new', '/etc/new', '/home/new', '/new'):\n"
        "    try:\n"
        "        open(path, 'w')\n"
        "    except OSError as e:\n"
        "        print(path, errno.errorcode[e.errno])\n"
        "open('/tmp/written', 'w').write('ok')\n"
        "print('tmpfs: written')\n"
    )
    assert _in_app(hardened, script).splitlines() == [
        "/opt/venv/new EROFS",
        "/etc/new EROFS",
        "/home/new EROFS",
        "/new EROFS",
        "tmpfs: written",
    ]


def test_a_raw_socket_is_refused(hardened: Stack) -> None:
    script = (
        "import errno, socket\n"
        "try:\n"
        "    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n"
        "except OSError as e:\n"
        "    print(errno.errorcode[e.errno])\n"
    )
    assert _in_app(hardened, script).strip() == "EPERM"


def test_the_server_holds_no_capability_and_cannot_gain_privileges(hardened: Stack) -> None:
    status = dict(
        line.split(":\t", 1)
        for line in hardened.compose("exec", "-T", "app", "cat", "/proc/1/status").splitlines()
        if ":\t" in line
    )
    assert status["NoNewPrivs"].strip() == "1"
    for kind in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[kind], 16) == 0, kind
    assert status["Uid"].split()[:2] == ["10001", "10001"]


def test_forking_past_the_process_limit_fails(hardened: Stack) -> None:
    """A fork bomb in the app container stops at its limit, and the server still answers."""
    script = (
        "import errno, os, time\n"
        "children = []\n"
        "try:\n"
        "    for _ in range(1000):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            time.sleep(3)\n"
        "            os._exit(0)\n"
        "        children.append(pid)\n"
        "except OSError as e:\n"
        "    print(len(children), errno.errorcode[e.errno])\n"
        "for pid in children:\n"
        "    os.waitpid(pid, 0)\n"
    )
    forked, error = _in_app(hardened, script).split()
    assert error == "EAGAIN"
    assert 0 < int(forked) < 128
    with hardened.proxy_client() as client:
        assert wait_until(
            lambda: client.get("/").status_code == 200, timeout=30, what="the app to answer"
        )


def _earliest_sample(address: str) -> float | None:
    """The time of the oldest `up` sample Prometheus holds from the last ten minutes, on a
    grid of whole seconds (so that two queries share their evaluation times)."""
    now = int(time.time())
    try:
        reply = httpx.get(
            f"http://{address}/api/v1/query_range",
            params={"query": "up", "start": now - 600, "end": now, "step": 1},
            timeout=5,
        ).json()
    except httpx.HTTPError:
        return None  # restarting
    times = [float(t) for series in reply["data"]["result"] for t, _ in series["values"]]
    return min(times, default=None)


def test_prometheus_keeps_its_data_across_a_restart(hardened: Stack) -> None:
    """Its TSDB is the volume, the one place it writes: samples from before a restart are
    still there after it."""
    address = hardened.published("prometheus", "9090")
    before = wait_until(lambda: _earliest_sample(address), timeout=60, what="a first scrape")
    (container,) = hardened.containers("prometheus")
    docker("restart", container)
    address = hardened.published("prometheus", "9090")
    after = wait_until(lambda: _earliest_sample(address), timeout=60, what="its data again")
    assert after <= before


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
HSTS = "max-age=31536000"


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/nowhere", 404)])
def test_api_responses_carry_hsts_and_the_security_headers_and_no_banner(
    hardened: Stack, path: str, status: int
) -> None:
    with hardened.proxy_client() as client:
        response = client.get(path)
    assert response.status_code == status
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert response.headers["strict-transport-security"] == HSTS
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "server" not in response.headers
    assert "via" not in response.headers


def test_the_docs_keep_their_own_policy_under_the_proxy_s_headers(hardened: Stack) -> None:
    with hardened.proxy_client() as client:
        response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers.get_list("content-security-policy") == [
        response.headers["content-security-policy"]
    ]
    assert response.headers["content-security-policy"].startswith("default-src 'self';")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"] == HSTS
    assert "server" not in response.headers


def test_the_http_redirect_carries_the_security_headers_and_no_banner(hardened: Stack) -> None:
    response = httpx.get(
        f"http://{hardened.published('proxy', '80')}/items/5", headers={"Host": "localhost"}
    )
    assert response.status_code == 308
    assert response.headers["location"] == "https://localhost/items/5"
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    # HSTS means nothing over plain HTTP (browsers ignore it there): only HTTPS sends it.
    assert "strict-transport-security" not in response.headers
    assert "server" not in response.headers


def test_hsts_preload_is_opt_in(engine: None) -> None:
    """HSTS_PRELOAD="; preload" adds the directive; the running stack, unset, has none."""
    adapted = docker(
        "run",
        "--rm",
        "-e",
        "DOMAIN=localhost",
        "-e",
        "HSTS_PRELOAD=; preload",
        "-v",
        f"{PROJECT_ROOT / 'deploy' / 'caddy' / 'Caddyfile'}:/etc/caddy/Caddyfile:ro",
        "caddy:2",
        "caddy",
        "adapt",
        "--config",
        "/etc/caddy/Caddyfile",
    ).stdout
    assert '"max-age=31536000; preload"' in adapted


def test_testssl_finds_the_tls_and_the_headers_sound(hardened: Stack, tmp_path: Path) -> None:
    """testssl.sh's protocol, header and vulnerability checks against the running proxy:
    nothing rated low or worse, and HSTS present for at least six months."""
    require(
        shutil.which("testssl") is not None,
        variable="REQUIRE_TESTSSL",
        reason="testssl.sh is not installed (apt-get install testssl.sh)",
    )
    report = tmp_path / "testssl.json"
    address = hardened.published("proxy", "443")
    subprocess.run(
        [
            "testssl",
            "--quiet",
            "--color=0",
            "--warnings=off",
            "--ip=127.0.0.1",
            "--protocols",
            "--headers",
            "--vulnerable",
            f"--jsonfile={report}",
            f"https://localhost:{address.rsplit(':', 1)[1]}/",
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )
    findings = json.loads(report.read_text())
    rated = {f["id"]: f["severity"] for f in findings}
    assert [f for f in findings if f["severity"] in {"LOW", "MEDIUM", "HIGH", "CRITICAL"}] == []
    assert rated["HSTS_time"] == "OK"
    # Its one WARN is a check it could not make: Go's TLS server never renegotiates, so
    # testssl's own handshake for it fails (the client-initiated case is rated OK).
    assert {i for i, s in rated.items() if s == "WARN"} <= {"secure_renego"}
    assert rated["secure_client_renego"] == "OK"
