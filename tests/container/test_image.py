"""The production image, built and run: contract, user, contents, signals, health, on
each platform the workflow publishes: linux/amd64 natively, linux/arm64 under QEMU."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.context import context_files, copy_build_context
from testing.docker import ARM64, NATIVE, Container, Engine, docker, remove, start
from testing.logs import parse
from testing.paths import PROJECT_ROOT
from tests.container.conftest import PLATFORMS, image_for


@pytest.fixture(scope="module", params=PLATFORMS)
def running(request: pytest.FixtureRequest) -> Iterator[Container]:
    """One container of the image as it ships, per platform, shared by this module's
    read-only checks."""
    platform: Engine = request.param
    container = start(image_for(request, platform), engine=platform)
    yield container
    remove(container)


@pytest.fixture(params=PLATFORMS)
def fresh(request: pytest.FixtureRequest) -> Iterator[Container]:
    """A container of its own per platform, for a test that stops it."""
    platform: Engine = request.param
    container = start(image_for(request, platform), engine=platform)
    yield container
    remove(container)


@pytest.fixture
def native(image: str) -> Iterator[Container]:
    """The image on this machine's own platform, for what emulation cannot show: under
    QEMU, PID 1's command line starts with the binfmt interpreter, and timing differs."""
    container = start(image)
    yield container
    remove(container)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", {"Hello": "World"}),
        ("/items/5?q=somequery", {"item_id": 5, "q": "somequery"}),
        ("/items/5", {"item_id": 5, "q": None}),
    ],
)
def test_container_serves_the_documented_contract(
    running: Container, path: str, body: object
) -> None:
    response = httpx.get(f"{running.base_url}{path}")
    assert response.status_code == 200
    assert response.json() == body


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_container_serves_the_docs(running: Container, path: str) -> None:
    assert httpx.get(f"{running.base_url}{path}").status_code == 200


def test_server_runs_as_the_fixed_non_root_user(running: Container) -> None:
    assert running.exec("id", "-u").stdout.strip() == "10001"
    assert running.exec("id", "-g").stdout.strip() == "10001"
    assert running.inspect("{{.Config.User}}") == "10001:10001"


def test_server_is_pid_1_started_by_fastapi_run(native: Container) -> None:
    cmdline = native.exec("cat", "/proc/1/cmdline").stdout.split("\0")
    assert cmdline[:3] == ["/opt/venv/bin/python", "/opt/venv/bin/fastapi", "run"]


@pytest.mark.parametrize("tool", ["uv", "uvx", "gcc", "cc", "git"])
def test_image_ships_no_build_tool(running: Container, tool: str) -> None:
    found = running.exec("python", "-c", f"import shutil; print(shutil.which({tool!r}))")
    assert found.stdout.strip() == "None"


def test_image_ships_no_source_tree_or_lock_file(running: Container) -> None:
    find = ["find", "/", "-xdev", "(", "-name", "uv.lock", "-o", "-name", "pyproject.toml"]
    # As root, so that no directory is left unread.
    listing = running.exec(*find, "-o", "-path", "/src", ")", "-print", user="0")
    assert listing.returncode == 0
    assert listing.stdout == ""


def test_the_service_cannot_change_its_own_code(running: Container) -> None:
    result = running.exec("touch", "/opt/venv/lib/python3.13/site-packages/app/main.py")
    assert result.returncode != 0


def test_project_is_installed_as_a_package_not_a_link(running: Container) -> None:
    where = running.exec("python", "-c", "import app; print(app.__file__)").stdout.strip()
    assert where == "/opt/venv/lib/python3.13/site-packages/app/__init__.py"


def test_container_becomes_healthy(running: Container) -> None:
    running.wait_healthy(timeout=running.engine.startup_seconds)


def test_port_variable_moves_the_server_and_its_health_check(image: str) -> None:
    # 8080: what Cloud Run sets PORT to when a service names no port of its own.
    container = start(image, "-e", "PORT=8080", port=8080)
    try:
        assert httpx.get(f"{container.base_url}/").json() == {"Hello": "World"}
        container.wait_healthy()
    finally:
        remove(container)


def test_docker_stop_runs_the_lifespan_shutdown_and_exits_0(fresh: Container) -> None:
    fresh.stop()
    assert fresh.inspect("{{.State.ExitCode}}") == "0"
    output = parse(fresh.logs())
    assert output.said("app.lifespan", "shutdown complete")
    assert output.said("uvicorn.error", "Finished server process [1]")


def test_docker_stop_ends_it_quickly(native: Container) -> None:
    started = time.monotonic()
    native.stop()
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"docker stop took {elapsed:.1f} s (the kill comes at 10 s)"
    assert native.inspect("{{.State.ExitCode}}") == "0"


def test_invalid_setting_stops_the_container_with_one_line(image: str) -> None:
    container = start(image, "-e", "APP_LOG_LEVEL=loud", wait=False)
    try:
        assert container.wait_until_exited() == 1
        logs = container.logs()
        assert (
            "invalid configuration: APP_LOG_LEVEL: Input should be 'critical', 'error', "
            "'warning', 'info' or 'debug'\n"
        ) in logs
        assert "Traceback" not in logs
    finally:
        remove(container)


def _step_states(build_output: str) -> dict[str, str]:
    """Map each build step's text to CACHED or DONE, from `--progress=plain` output."""
    names: dict[str, str] = {}
    states: dict[str, str] = {}
    for line in build_output.splitlines():
        number, _, rest = line.partition(" ")
        if not number.startswith("#"):
            continue
        if rest.startswith("["):
            names[number] = rest
        elif rest in ("CACHED",) or rest.startswith("DONE"):
            states[names.get(number, number)] = rest.split()[0]
    return states


def test_a_source_change_rebuilds_on_top_of_the_cached_dependency_layer(
    image: str, tmp_path: Path
) -> None:
    copy_build_context(tmp_path)
    main = tmp_path / "src" / "app" / "main.py"
    original = main.read_text()
    # Two changes in a row, pyproject.toml untouched: the first build leaves a wheel of
    # this version in uv's cache, whatever state the cache was in, and the second must
    # still install its own sources, not that wheel.
    try:
        for change in range(2):
            main.write_text(f"{original}\n# rebuild marker {change} {time.time_ns()}\n")
            result = docker(
                "buildx",
                "build",
                "--progress=plain",
                "--load",
                "-t",
                f"{image}-rebuild",
                str(tmp_path),
                timeout=600,
            )
            states = _step_states(result.stderr)
            dependencies = [s for s in states if "--no-install-project" in s]
            project = [s for s in states if "uv sync" in s and "--no-install-project" not in s]
            assert len(dependencies) == 1, states
            assert len(project) == 1, states
            assert states[dependencies[0]] == "CACHED"
            assert states[project[0]] == "DONE"
            # The changed source is what the image runs, not a wheel uv built earlier.
            installed = docker(
                "run",
                "--rm",
                f"{image}-rebuild",
                "cat",
                "/opt/venv/lib/python3.13/site-packages/app/main.py",
            ).stdout
            assert installed == main.read_text(), f"change {change}: an earlier build's wheel"
    finally:
        docker("image", "rm", f"{image}-rebuild", check=False)


@pytest.mark.parametrize(
    "package",
    [
        # FastAPI Cloud's CLI and its packages (not in the lock), TestClient's HTTP clients
        # (DEV_ONLY_PACKAGES)
        *("fastapi_cloud_cli", "sentry_sdk", "fastar", "rignore", "httpx", "httpx2"),
        # UNUSED_PACKAGES
        *("email_validator", "dns"),
    ],
)
def test_packages_the_server_never_imports_are_left_out(running: Container, package: str) -> None:
    check = f"import importlib.util; print(importlib.util.find_spec({package!r}))"
    assert running.exec("python", "-c", check).stdout.strip() == "None"


def test_every_module_the_server_imports_has_its_bytecode(running: Container) -> None:
    # The modules loaded by `fastapi run` and the app, each with a .pyc already on disk.
    check = (
        "import os, sys, fastapi_cli.cli, app.main, uvicorn.protocols.http.httptools_impl, "
        "uvicorn.loops.uvloop, uvicorn.lifespan.on\n"
        "print([n for n, m in sys.modules.items() "
        "if getattr(m, '__cached__', None) and not os.path.exists(m.__cached__)])"
    )
    assert running.exec("python", "-c", check).stdout.strip() == "[]"


def test_the_build_refuses_a_lock_file_that_no_longer_matches_pyproject(tmp_path: Path) -> None:
    copy_build_context(tmp_path)
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("dependencies = [\n", 'dependencies = [\n    "six",\n', 1))
    result = docker("buildx", "build", "--progress=plain", str(tmp_path), check=False, timeout=600)
    assert result.returncode != 0
    (failed,) = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert "uv sync --locked --no-install-project" in failed


def test_every_compiled_extension_ships_without_its_debug_data(running: Container) -> None:
    # A stripped extension ends with its last loaded segment: no section header table.
    check = (
        "import pathlib, struct\n"
        "found = sorted(pathlib.Path('/opt/venv').rglob('*.so'))\n"
        "print(len(found))\n"
        "for path in found:\n"
        "    head = path.read_bytes()[:64]\n"
        "    if struct.unpack_from('<Q', head, 40)[0]: print(path)\n"
    )
    count, *unstripped = running.exec("python", "-c", check).stdout.splitlines()
    assert int(count) > 10
    assert unstripped == []


def test_the_context_copy_holds_exactly_what_docker_sends(engine: None, tmp_path: Path) -> None:
    # A Dockerfile outside the project, so that the project's .dockerignore alone decides.
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.13-slim AS listing\n"
        "COPY . /context\n"
        "RUN cd /context && find . -type f | cut -c3- | sort > /files\n"
        "FROM scratch\n"
        "COPY --from=listing /files /files\n"
    )
    output = tmp_path / "out"
    docker(
        "buildx",
        "build",
        "-f",
        str(tmp_path / "Dockerfile"),
        "--output",
        f"type=local,dest={output}",
        str(PROJECT_ROOT),
        timeout=300,
    )
    assert (output / "files").read_text().splitlines() == context_files()


# The machine each platform's containers report, and its ELF e_machine number.
MACHINES = {"linux/amd64": ("x86_64", 62), "linux/arm64": ("aarch64", 183)}


def test_the_container_runs_on_its_platform_s_machine(running: Container) -> None:
    machine, _ = MACHINES[running.engine.platform]
    assert running.exec("uname", "-m").stdout.strip() == machine


def test_every_compiled_extension_is_built_for_the_platform(running: Container) -> None:
    _, e_machine = MACHINES[running.engine.platform]
    check = (
        "import pathlib, struct\n"
        "for path in sorted(pathlib.Path('/opt/venv').rglob('*.so')):\n"
        "    head = path.read_bytes()[:20]\n"
        "    print(head[:4] == b'\\x7fELF', struct.unpack_from('<H', head, 18)[0], path)\n"
    )
    lines = running.exec("python", "-c", check).stdout.splitlines()
    assert len(lines) > 10
    assert {tuple(line.split()[:2]) for line in lines} == {("True", str(e_machine))}


def _contents(image: str, engine: Engine) -> dict[str, object]:
    """What an image promises: its installed distributions and versions, user,
    entrypoint, command and exposed ports."""
    listing = (
        "import importlib.metadata as m\n"
        "print(sorted(f'{d.name}=={d.version}' for d in m.distributions()))"
    )
    run = ["run", "--rm", "--entrypoint", "python", image, "-c", listing]
    packages = docker(*run, engine=engine, timeout=300).stdout.strip()
    config = json.loads(docker("image", "inspect", image, engine=engine).stdout)[0]["Config"]
    return {
        "packages": packages,
        "user": config["User"],
        "entrypoint": config["Entrypoint"],
        "command": config["Cmd"],
        "ports": sorted(config["ExposedPorts"]),
    }


@pytest.mark.emulated
def test_both_platforms_ship_the_same_packages_user_entrypoint_and_port(
    image: str, arm64_image: str
) -> None:
    assert _contents(image, NATIVE) == _contents(arm64_image, ARM64)


def _size_above_the_base(image: str, engine: Engine) -> int:
    base = re.search(r"^FROM (python:\S+)", (PROJECT_ROOT / "Dockerfile").read_text(), re.M)
    assert base is not None
    sizes = [
        int(docker("image", "inspect", "--format", "{{.Size}}", tag, engine=engine).stdout)
        for tag in (image, base.group(1))
    ]
    return sizes[0] - sizes[1]


@pytest.mark.emulated
def test_the_two_platforms_differ_in_size_by_their_base_image_alone(
    image: str, arm64_image: str
) -> None:
    """What the project adds to the base weighs the same on both, within a tenth."""
    native, arm64 = _size_above_the_base(image, NATIVE), _size_above_the_base(arm64_image, ARM64)
    assert abs(native - arm64) < native / 10, (native, arm64)
