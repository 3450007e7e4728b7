"""A compose stack under a project name of its own, for the container tests."""

import json
import os
import ssl
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import wait_until


@dataclass
class Stack:
    """`docker compose -p NAME -f FILES...` run from `directory`, ports on 127.0.0.1 only."""

    directory: Path
    files: tuple[str, ...] = ("compose.yaml",)
    env: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"fsvc-test-{uuid.uuid4().hex[:8]}")

    def argv(self, *args: str) -> list[str]:
        """The full `docker compose` command line for ARGS."""
        files = [arg for name in self.files for arg in ("-f", str(self.directory / name))]
        directory = ["--project-directory", str(self.directory)]
        return ["docker", "compose", "-p", self.name, *directory, *files, *args]

    def environ(self) -> dict[str, str]:
        """The environment compose interpolates: published ports on loopback, random."""
        published = {"PUBLISH_ADDRESS": "127.0.0.1", "HTTP_PORT": "", "HTTPS_PORT": ""}
        return {**os.environ, **published, **self.env}

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

    def up(self, *args: str) -> None:
        """Build, start and wait for health; then for the proxy to serve HTTPS."""
        self.compose("up", "--build", "--wait", "--wait-timeout", "120", *args, timeout=900)
        # The proxy has no health check of its own (its image has no HTTP client), and
        # it issues its certificate after starting: poll it through the whole path.
        prefix = self.env.get("APP_ROOT_PATH", "")
        wait_until(
            lambda: self._proxy_serves(f"{prefix}/health/ready"),
            timeout=60,
            what="the proxy to serve HTTPS",
        )

    def _proxy_serves(self, path: str) -> bool:
        try:
            with self.proxy_client() as client:
                return client.get(path).status_code == 200
        except (httpx.TransportError, AssertionError, ssl.SSLError):
            return False

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "--all", "--quiet", service).split()

    def published(self, service: str, port: str) -> str:
        """host:port that the service's port is published on."""
        return self.compose("port", service, port).strip()

    def inspect(self, container: str) -> dict[str, object]:
        data: list[dict[str, object]] = json.loads(
            subprocess.run(
                ["docker", "inspect", container], capture_output=True, check=True, timeout=60
            ).stdout
        )
        return data[0]

    def proxy_client(self) -> httpx.Client:
        """An HTTPS client for the proxy that trusts exactly the proxy's local CA."""
        root = self.compose(
            "exec", "-T", "proxy", "cat", "/data/caddy/pki/authorities/local/root.crt"
        )
        context = ssl.create_default_context(cadata=root)
        return httpx.Client(
            base_url=f"https://{self.published('proxy', '443')}",
            verify=context,
            headers={"Host": "localhost"},
            # The certificate names localhost; the connection goes to 127.0.0.1.
            event_hooks={"request": [_sni_localhost]},
            timeout=15,
        )


def _sni_localhost(request: httpx.Request) -> None:
    request.extensions["sni_hostname"] = "localhost"
