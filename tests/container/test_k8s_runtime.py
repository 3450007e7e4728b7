"""The image keeps the Kubernetes manifests' promises, proven with `docker run`.

The docker options are derived from the rendered prod Deployment, so a change to the
manifests' security context is tested against the real image.
"""

from typing import Any

import httpx

from tests.container.docker import docker, remove, start
from tests.deploy.kustomize import one, render
from tests.support import wait_until


def _docker_options(container: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    """`docker run` options equivalent to a container's security context and volumes."""
    context = container["securityContext"]
    options = ["--user", f"{context['runAsUser']}:{context['runAsGroup']}"]
    if context["readOnlyRootFilesystem"]:
        options.append("--read-only")
    if context["capabilities"]["drop"] == ["ALL"]:
        options += ["--cap-drop", "ALL"]
    if context["allowPrivilegeEscalation"] is False:
        options += ["--security-opt", "no-new-privileges"]
    memory_volumes = {
        v["name"] for v in pod["volumes"] if v.get("emptyDir", {}).get("medium") == "Memory"
    }
    for mount in container["volumeMounts"]:
        assert mount["name"] in memory_volumes, "only in-memory emptyDirs are modelled"
        options += ["--tmpfs", mount["mountPath"]]
    limit = container["resources"]["limits"]["memory"]
    options += ["--memory", limit.removesuffix("Mi") + "m"]
    return options


def _pod() -> dict[str, Any]:
    pod: dict[str, Any] = one(render("prod"), "Deployment")["spec"]["template"]["spec"]
    return pod


def test_the_server_runs_under_the_manifests_security_context(image: str) -> None:
    pod = _pod()
    (app,) = pod["containers"]
    container = start(image, *_docker_options(app, pod))
    try:
        response = httpx.get(f"{container.base_url}/items/5?q=somequery")
        assert response.json() == {"item_id": 5, "q": "somequery"}
        wait_until(
            lambda: container.inspect("{{.State.Health.Status}}") == "healthy" or None,
            timeout=30,
            what="the health check to pass on a read-only root",
        )
        status = container.exec("grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/1/status").stdout
        fields = dict(line.split(":\t") for line in status.splitlines())
        assert fields == {"CapEff": "0000000000000000", "NoNewPrivs": "1"}
        assert container.exec("touch", "/opt/venv/x").returncode != 0
        docker("stop", container.id)
        assert container.inspect("{{.State.ExitCode}}") == "0"
    finally:
        remove(container)


def test_the_init_container_runs_under_the_manifests_security_context(image: str) -> None:
    pod = _pod()
    (init,) = pod["initContainers"]
    result = docker("run", "--rm", *_docker_options(init, pod), image, *init["command"])
    assert "app.prestart: previous steps complete" in result.stderr
