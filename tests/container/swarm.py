"""A Swarm-mode stack of the project, deployed with deploy/swarm/deploy, for the tests."""

import json
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testing.compose import CADDY_ROOT_CERT, image_tag, proxy_https_client
from testing.docker import docker
from testing.environ import clean_environ
from testing.paths import PROJECT_ROOT, run_id
from testing.ports import free_port
from testing.wait import wait_until

DEPLOY = PROJECT_ROOT / "deploy" / "swarm" / "deploy"


@contextmanager
def swarm_mode() -> Iterator[None]:
    """This engine in Swarm mode for the block: made a one-node swarm if it is not in one,
    and left again afterwards only if it was made here."""
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    made = state != "active"
    if made:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        yield
    finally:
        if made:
            docker("swarm", "leave", "--force", check=False)


@dataclass
class SwarmStack:
    """One stack, its secret and its names its own; ports picked for it on this host."""

    name: str = field(default_factory=lambda: f"fsvc-{run_id()}-{uuid.uuid4().hex[:6]}")
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    subnet: str = field(default_factory=lambda: f"10.214.{uuid.uuid4().int % 250 + 4}.0/24")
    # Images built for this stack's tests, removed with it (its tasks keep them in use).
    images: list[str] = field(default_factory=list)

    @property
    def secret(self) -> str:
        return f"{self.name}-docs-enabled"

    def environ(self, image: str) -> dict[str, str]:
        # Swarm mode binds host-mode ports on every address and cannot pick one itself: the
        # ports are chosen beforehand (another process could take one meanwhile).
        return {
            **clean_environ(),
            "IMAGE": image,
            "PROXY_SUBNET": self.subnet,
            "HTTP_PORT": str(self.http_port),
            "HTTPS_PORT": str(self.https_port),
            "DOCS_ENABLED_SECRET": self.secret,
        }

    def deploy(self, image: str | None = None, **env: str) -> None:
        """deploy/swarm/deploy NAME, as the README says; `env` are the only differences."""
        subprocess.run(
            [str(DEPLOY), self.name],
            env={**self.environ(image or image_tag()), **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    def create_secret(self, value: str) -> None:
        subprocess.run(
            ["docker", "secret", "create", self.secret, "-"],
            input=value,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    def remove(self) -> None:
        """The stack and everything it made: containers, network, volumes, secret, images."""
        docker("stack", "rm", self.name, check=False)
        # The network goes once the stack's containers are gone; then its volumes can.
        label = f"label=com.docker.stack.namespace={self.name}"
        wait_until(
            lambda: (
                not docker("ps", "-aq", "--filter", label).stdout
                and not docker("network", "ls", "-q", "--filter", label).stdout
            ),
            timeout=120,
            what=f"stack {self.name} to be removed",
        )
        volumes = docker("volume", "ls", "-q", "--filter", label).stdout.split()
        if volumes:
            docker("volume", "rm", *volumes)
        if self.images:
            docker("image", "rm", "--force", *self.images, check=False)
        wait_until(
            lambda: (
                docker("secret", "rm", self.secret, check=False).returncode == 0
                or "not found" in docker("secret", "inspect", self.secret, check=False).stderr
            ),
            timeout=60,
            what=f"secret {self.secret} to be removed",
        )

    def service(self, name: str) -> str:
        return f"{self.name}_{name}"

    def running(self, service: str) -> list[dict[str, str]]:
        """The service's tasks that are running now: ID, image and container."""
        listing = docker(
            "service",
            "ps",
            self.service(service),
            "--filter",
            "desired-state=running",
            "--format",
            "{{json .}}",
            "--no-trunc",
        ).stdout
        tasks = [json.loads(line) for line in listing.splitlines()]
        return [t for t in tasks if t["CurrentState"].startswith("Running")]

    def containers(self, service: str) -> list[str]:
        """IDs of the service's containers running on this node."""
        label = f"label=com.docker.swarm.service.name={self.service(service)}"
        return docker("ps", "-q", "--filter", label).stdout.split()

    def healthy(self, container: str) -> bool:
        status = docker("inspect", "--format", "{{.State.Health.Status}}", container, check=False)
        return status.stdout.strip() == "healthy"

    def _inspect(self, service: str, template: str) -> str:
        """One field of `docker service inspect`, by Go template."""
        inspected = docker("service", "inspect", "--format", template, self.service(service))
        return inspected.stdout.strip()

    def update_state(self, service: str) -> str:
        """The last update's state: completed, rollback_completed, updating..."""
        return self._inspect(service, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}")

    def spec_image(self, service: str) -> str:
        """The image the service's current spec names (what a rollback returns to)."""
        return self._inspect(service, "{{.Spec.TaskTemplate.ContainerSpec.Image}}")

    def wait_settled(self, service: str = "app", timeout: float = 240) -> None:
        """No update of the service under way (none began, or the last one ended, rolled
        back or not), and every running task on the same image."""

        def settled() -> bool:
            ended = self.update_state(service) not in {"updating", "rollback_started"}
            return ended and len({task["Image"] for task in self.running(service)}) == 1

        wait_until(settled, timeout=timeout, what=f"the {service} service to settle")

    def wait_serving(self, replicas: int = 2, timeout: float = 180) -> None:
        """Every app replica running and healthy, and the proxy serving HTTPS."""

        def converged() -> bool:
            containers = self.containers("app")
            return len(self.running("app")) == replicas == len(containers) and all(
                map(self.healthy, containers)
            )

        wait_until(converged, timeout=timeout, what=f"{replicas} healthy app replicas")
        wait_until(self._proxy_serves, timeout=60, what="the proxy to serve HTTPS")

    def _proxy_serves(self) -> bool:
        try:
            with self.proxy_client() as client:
                return client.get("/health/ready").status_code == 200
        except (httpx.TransportError, AssertionError, ssl.SSLError):
            return False

    def proxy_client(self) -> httpx.Client:
        """An HTTPS client for the proxy's host port that trusts exactly Caddy's local CA."""
        (proxy,) = self.containers("proxy")
        root = docker("exec", proxy, "cat", CADDY_ROOT_CERT).stdout
        return proxy_https_client(f"https://127.0.0.1:{self.https_port}", root)

    def build_variant(self, image: str, tag: str, directory: Path, *instructions: str) -> str:
        """An image FROM `image` with a few more instructions, tagged `tag`, for this stack."""
        (directory / "Dockerfile").write_text("\n".join([f"FROM {image}", *instructions]) + "\n")
        docker("buildx", "build", "--load", "-t", tag, str(directory), timeout=300)
        self.images.append(tag)
        return tag


@dataclass
class Load:
    """Requests sent back to back through the proxy until stopped (bounded in count and
    time): each outcome is a status code or the name of the error."""

    stack: SwarmStack
    outcomes: list[int | str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        deadline = time.monotonic() + 300
        with self.stack.proxy_client() as client:
            while (
                not self._stop.is_set()
                and len(self.outcomes) < 50_000
                and time.monotonic() < deadline
            ):
                try:
                    self.outcomes.append(client.get("/items/5?q=swarm").status_code)
                except httpx.HTTPError as error:
                    self.outcomes.append(type(error).__name__)

    @contextmanager
    def running(self) -> Iterator["Load"]:
        sender = threading.Thread(target=self._run)
        sender.start()
        try:
            wait_until(lambda: len(self.outcomes) > 20, timeout=30, what="load to start")
            yield self
        finally:
            self._stop.set()
            sender.join()

    @property
    def failures(self) -> list[int | str]:
        return [o for o in self.outcomes if o != 200]
