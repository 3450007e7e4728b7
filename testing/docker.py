"""A thin, typed layer over the docker CLI, on this machine's engine or on the arm64 one."""

import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from testing.wait import wait_ready, wait_until


@dataclass(frozen=True)
class Engine:
    """A Docker engine: where its socket is (None: the client's default) and the platform
    it builds and runs. One with a socket of its own is emulated (QEMU), several times
    slower."""

    name: str
    platform: str
    host: str | None = None

    @property
    def emulated(self) -> bool:
        return self.host is not None

    @property
    def startup_seconds(self) -> float:
        """How long a server may take to be ready: about 12 s under emulation, 1 s here."""
        return 120 if self.emulated else 30


_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# This machine's own engine, on its own platform (amd64 here, arm64 on an arm64 runner).
NATIVE = Engine("native", f"linux/{_ARCHITECTURES.get(platform.machine(), platform.machine())}")
# ../shared/docker/ensure-docker-arm64: a second daemon for linux/arm64, under QEMU.
ARM64 = Engine("arm64-qemu", "linux/arm64", host="unix:///run/docker-arm64.sock")


def docker(
    *args: str, check: bool = True, timeout: float = 120, engine: Engine = NATIVE
) -> subprocess.CompletedProcess[str]:
    """Run `docker ARGS` against `engine`; on failure, the error carries docker's output."""
    environment = None
    if engine.host is not None:
        environment = {
            **os.environ,
            "DOCKER_HOST": engine.host,
            "DOCKER_DEFAULT_PLATFORM": engine.platform,
        }
    result = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def engine_answers(engine: Engine = NATIVE) -> bool:
    """True when a Docker client is installed and the engine answers."""
    if shutil.which("docker") is None:
        return False
    try:
        return docker("info", check=False, timeout=20, engine=engine).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass(frozen=True)
class Container:
    """A container whose server port is published on 127.0.0.1."""

    id: str
    base_url: str
    engine: Engine = field(default=NATIVE)

    def exec(self, *command: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        as_user = ["--user", user] if user else []
        return docker("exec", *as_user, self.id, *command, check=False, engine=self.engine)

    def inspect(self, template: str) -> str:
        return docker("inspect", "--format", template, self.id, engine=self.engine).stdout.strip()

    def wait_until_exited(self, timeout: float = 30) -> int:
        """Poll until the container has exited; its exit code."""
        wait_until(
            lambda: self.inspect("{{.State.Status}}") == "exited",
            timeout=timeout,
            what=f"container {self.id[:12]} to exit",
        )
        return int(self.inspect("{{.State.ExitCode}}"))

    def stop(self) -> None:
        """`docker stop`: SIGTERM, then SIGKILL after 10 s."""
        docker("stop", self.id, engine=self.engine)

    def wait_healthy(self, timeout: float = 30) -> None:
        wait_until(
            lambda: self.inspect("{{.State.Health.Status}}") == "healthy",
            timeout=timeout,
            what=f"container {self.id[:12]} to be healthy",
        )

    def logs(self) -> str:
        result = docker("logs", self.id, engine=self.engine)
        return result.stdout + result.stderr


def published_url(container_id: str, port: int = 8000, engine: Engine = NATIVE) -> str:
    """http://127.0.0.1:PORT for the container's port (a restart may move it)."""
    published = docker("port", container_id, f"{port}/tcp", engine=engine).stdout.splitlines()[0]
    return f"http://127.0.0.1:{published.rsplit(':', 1)[1]}"


def start(
    image: str,
    *options: str,
    command: Sequence[str] = (),
    port: int = 8000,
    wait: bool = True,
    engine: Engine = NATIVE,
) -> Container:
    """`docker run -d` the image, its `port` published on a port Docker picks on 127.0.0.1."""
    run = ["run", "-d", "-p", f"127.0.0.1::{port}", *options, image, *command]
    container_id = docker(*run, engine=engine).stdout.strip()
    url = published_url(container_id, port, engine)
    container = Container(id=container_id, base_url=url, engine=engine)
    if wait:
        wait_ready(url, timeout=engine.startup_seconds, what=f"container {container_id[:12]}")
    return container


def remove(container: Container) -> None:
    docker("rm", "--force", "--volumes", container.id, check=False, engine=container.engine)


def env_options(environment: dict[str, str]) -> list[str]:
    """`-e NAME=VALUE` for each variable: a container run with exactly that environment."""
    return [arg for name, value in sorted(environment.items()) for arg in ("-e", f"{name}={value}")]
