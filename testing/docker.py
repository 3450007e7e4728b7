"""A thin, typed layer over the docker CLI."""

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from testing.wait import wait_ready, wait_until


def docker(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `docker ARGS`; on failure, the error carries docker's own output."""
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def engine_answers() -> bool:
    """True when a Docker client is installed and its engine answers."""
    if shutil.which("docker") is None:
        return False
    try:
        return docker("info", check=False, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass(frozen=True)
class Container:
    """A container whose server port is published on 127.0.0.1."""

    id: str
    base_url: str

    def exec(self, *command: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        as_user = ["--user", user] if user else []
        return docker("exec", *as_user, self.id, *command, check=False)

    def inspect(self, template: str) -> str:
        return docker("inspect", "--format", template, self.id).stdout.strip()

    def wait_until_exited(self, timeout: float = 30) -> int:
        """Poll until the container has exited; its exit code."""
        wait_until(
            lambda: self.inspect("{{.State.Status}}") == "exited",
            timeout=timeout,
            what=f"container {self.id[:12]} to exit",
        )
        return int(self.inspect("{{.State.ExitCode}}"))

    def wait_healthy(self, timeout: float = 30) -> None:
        wait_until(
            lambda: self.inspect("{{.State.Health.Status}}") == "healthy",
            timeout=timeout,
            what=f"container {self.id[:12]} to be healthy",
        )

    def logs(self) -> str:
        result = docker("logs", self.id)
        return result.stdout + result.stderr


def published_url(container_id: str, port: int = 8000) -> str:
    """http://127.0.0.1:PORT for the container's port (a restart may move it)."""
    published = docker("port", container_id, f"{port}/tcp").stdout.splitlines()[0]
    return f"http://127.0.0.1:{published.rsplit(':', 1)[1]}"


def start(
    image: str,
    *options: str,
    command: Sequence[str] = (),
    port: int = 8000,
    wait: bool = True,
) -> Container:
    """`docker run -d` the image, its `port` published on a port Docker picks on 127.0.0.1."""
    run = ["run", "-d", "-p", f"127.0.0.1::{port}", *options, image, *command]
    container_id = docker(*run).stdout.strip()
    container = Container(id=container_id, base_url=published_url(container_id, port))
    if wait:
        wait_ready(container.base_url, what=f"container {container_id[:12]}")
    return container


def remove(container: Container) -> None:
    docker("rm", "--force", "--volumes", container.id, check=False)


def env_options(environment: dict[str, str]) -> list[str]:
    """`-e NAME=VALUE` for each variable: a container run with exactly that environment."""
    return [arg for name, value in sorted(environment.items()) for arg in ("-e", f"{name}={value}")]
