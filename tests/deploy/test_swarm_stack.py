"""The Swarm stack as `docker stack` reads it: compose.yaml merged with
deploy/swarm/stack.yaml. (What it does is tested on a real swarm: test_swarm.py.)"""

import subprocess
from typing import Any

import pytest
import yaml

from testing.compose import ROTATED_LOGS, shipped_memory
from testing.environ import clean_environ
from testing.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    result = subprocess.run(
        [str(PROJECT_ROOT / "deploy" / "swarm" / "deploy"), "--config"],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rendered: dict[str, Any] = yaml.safe_load(result.stdout)
    return rendered


def test_memory_matches_the_compose_figures(stack: dict[str, Any]) -> None:
    limit, reservation = shipped_memory()
    resources = stack["services"]["app"]["deploy"]["resources"]
    assert int(resources["limits"]["memory"]) == limit
    assert int(resources["reservations"]["memory"]) == reservation


def test_nothing_swarm_would_ignore_is_left_in(stack: dict[str, Any]) -> None:
    # `build`, `restart` and `depends_on` mean nothing to Swarm: the stack file drops them
    # so that a deploy warns about nothing.
    for name, service in stack["services"].items():
        assert not {"build", "restart", "depends_on"} & set(service), name


def test_every_published_port_is_host_mode(stack: dict[str, Any]) -> None:
    # The routing mesh (ingress mode) needs IPVS; host mode works everywhere.
    ports = [p for service in stack["services"].values() for p in service.get("ports", [])]
    assert ports
    assert {p["mode"] for p in ports} == {"host"}


def test_every_service_keeps_the_compose_log_rotation(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        assert service["logging"] == {
            "driver": ROTATED_LOGS["Type"],
            "options": ROTATED_LOGS["Config"],
        }, name
