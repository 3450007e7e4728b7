"""`docker compose` for one stack: a project name, image tag and subnet of its own."""

import json
import random
import ssl
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from testing.docker import docker
from testing.environ import clean_environ
from testing.paths import PROJECT_ROOT, run_id

CADDY_ROOT_CERT = "/data/caddy/pki/authorities/local/root.crt"


# What `docker inspect` shows of a container whose logs rotate as compose.yaml says.
ROTATED_LOGS = {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}


def image_tag() -> str:
    """The tag this run builds the project's image under."""
    return f"fastapi-service:test-{run_id()}"


def _random_subnet() -> str:
    return f"10.213.{random.randrange(4, 256)}.0/24"  # noqa: S311 (not for security)


@dataclass
class Stack:
    """`docker compose -p NAME -f FILES...` run from `directory`, ports on 127.0.0.1 only.

    `env` holds the only differences from what ships; each test that sets one says why.
    """

    directory: Path = PROJECT_ROOT
    files: tuple[str, ...] = ("compose.yaml",)
    env: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"fsvc-{run_id()}-{uuid.uuid4().hex[:6]}")
    subnet: str = field(default_factory=_random_subnet)

    def argv(self, *args: str) -> list[str]:
        """The full `docker compose` command line for ARGS."""
        files = [arg for name in self.files for arg in ("-f", str(self.directory / name))]
        directory = ["--project-directory", str(self.directory)]
        return ["docker", "compose", "-p", self.name, *directory, *files, *args]

    def environ(self) -> dict[str, str]:
        """What compose interpolates: ports on loopback, picked by Docker; this run's image
        tag and subnet; none of the developer's own settings."""
        isolated = {
            "PUBLISH_ADDRESS": "127.0.0.1",
            "HTTP_PORT": "",
            "HTTPS_PORT": "",
            "PROMETHEUS_PORT": "",
            "IMAGE": image_tag(),
            "PROXY_SUBNET": self.subnet,
        }
        return {**clean_environ(), **isolated, **self.env}

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """`docker compose ARGS` for this stack; on failure, the error carries its output."""
        result = subprocess.run(
            self.argv(*args),
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker compose {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def compose(self, *args: str, check: bool = True, timeout: float = 300) -> str:
        """`docker compose ARGS` for this stack; its standard output."""
        return self.run(*args, check=check, timeout=timeout).stdout

    def config(self) -> dict[str, Any]:
        """The stack as compose reads it, every variable interpolated."""
        config: dict[str, Any] = json.loads(self.compose("config", "--format", "json"))
        return config

    def up_attempt(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`up --build --wait ARGS`, on another subnet while the one drawn is taken."""
        for _ in range(5):
            result = self.run("up", "--build", "--wait", *args, check=False, timeout=timeout)
            if "overlaps" not in result.stderr:
                return result
            self.down()
            self.subnet = _random_subnet()
        return result

    def up(self, *args: str) -> None:
        """Build, start and wait until every service is healthy: the proxy serves HTTPS."""
        result = self.up_attempt("--wait-timeout", "120", *args)
        if result.returncode != 0:
            raise AssertionError(f"docker compose up exited {result.returncode}:\n{result.stderr}")

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "--all", "--quiet", service).split()

    def published(self, service: str, port: str) -> str:
        """host:port that the service's port is published on."""
        return self.compose("port", service, port).strip()

    def inspect(self, container: str) -> dict[str, Any]:
        data: list[dict[str, Any]] = json.loads(docker("inspect", container).stdout)
        return data[0]

    def proxy_root_certificate(self) -> str:
        """The proxy's local CA certificate, PEM."""
        return self.compose("exec", "-T", "proxy", "cat", CADDY_ROOT_CERT)

    def proxy_client(self) -> httpx.Client:
        """An HTTPS client for the proxy that trusts exactly the proxy's local CA."""
        return proxy_https_client(
            f"https://{self.published('proxy', '443')}", self.proxy_root_certificate()
        )

    def address(self, container: str) -> str:
        """The container's address on the stack's network."""
        networks = self.inspect(container)["NetworkSettings"]["Networks"]
        address: str = networks[f"{self.name}_edge"]["IPAddress"]
        return address


def proxy_https_client(base_url: str, root_certificate: str) -> httpx.Client:
    """An HTTPS client for the proxy at `base_url` (on 127.0.0.1) that trusts exactly the
    CA certificate given (PEM), for the site `localhost`."""
    return httpx.Client(
        base_url=base_url,
        verify=ssl.create_default_context(cadata=root_certificate),
        headers={"Host": "localhost"},
        # The certificate names localhost; the connection goes to 127.0.0.1.
        event_hooks={"request": [_sni_localhost]},
        timeout=15,
    )


def _sni_localhost(request: httpx.Request) -> None:
    request.extensions["sni_hostname"] = "localhost"


def shipped_memory() -> tuple[int, int]:
    """compose.yaml's memory limit and reservation for `app`, in bytes, as compose reads
    them with nothing set in the environment."""
    resources = Stack().config()["services"]["app"]["deploy"]["resources"]
    return int(resources["limits"]["memory"]), int(resources["reservations"]["memory"])


def shipped_environment(service: str) -> dict[str, str]:
    """A compose service's environment as compose.yaml declares it, defaults applied.

    The subnet is the one compose.yaml defaults to: what a plain `docker compose up` uses.
    """
    stack = Stack(env={"PROXY_SUBNET": "", "IMAGE": ""})
    environment: dict[str, str | None] = stack.config()["services"][service]["environment"]
    return {name: value or "" for name, value in environment.items()}
