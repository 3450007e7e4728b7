"""The image keeps the Kubernetes manifests' promises, proven with `docker run`.

The docker options and the environment come from the rendered prod Deployment and its
ConfigMap, so a change to the manifests is tested against the real image.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from testing.docker import Container, docker, env_options, remove, start
from testing.inside import workers
from testing.logs import parse
from testing.wait import answers, wait_until
from tests.deploy.kustomize import Manifest, one, render


def _docker_options(container: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    """`docker run` options equivalent to a container's security context and volumes."""
    context = container["securityContext"]
    options = ["--user", f"{context['runAsUser']}:{context['runAsGroup']}"]
    if context["readOnlyRootFilesystem"]:
        options.append("--read-only")
    for capability in context["capabilities"].get("drop", []):
        options += ["--cap-drop", capability]
    for capability in context["capabilities"].get("add", []):
        options += ["--cap-add", capability]
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


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return render("prod")


def _pod(manifests: list[Manifest]) -> dict[str, Any]:
    pod: dict[str, Any] = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return pod


def _environment(manifests: list[Manifest]) -> list[str]:
    data: dict[str, str] = one(manifests, "ConfigMap")["data"]
    return env_options(data)


@pytest.fixture
def deployed(image: str, manifests: list[Manifest]) -> Iterator[Container]:
    """The app container as the prod Deployment runs it: its security context, volumes,
    memory limit and ConfigMap."""
    pod = _pod(manifests)
    (app,) = pod["containers"]
    container = start(image, *_docker_options(app, pod), *_environment(manifests))
    yield container
    remove(container)


def test_the_server_runs_under_the_manifests_security_context(deployed: Container) -> None:
    response = httpx.get(f"{deployed.base_url}/items/5?q=somequery")
    assert response.json() == {"item_id": 5, "q": "somequery"}
    deployed.wait_healthy()
    # No capability now, none it could ever regain (the bounding set), no setuid gains.
    status = deployed.exec("grep", "-E", "^(CapEff|CapBnd|NoNewPrivs)", "/proc/1/status").stdout
    fields = dict(line.split(":\t") for line in status.splitlines())
    assert fields == {"CapEff": "0" * 16, "CapBnd": "0" * 16, "NoNewPrivs": "1"}
    assert deployed.exec("id", "-u").stdout.strip() != "0"
    # Nothing but the in-memory /tmp is writable, not even the world-writable /var/tmp.
    assert deployed.exec("touch", "/var/tmp/x").returncode != 0  # noqa: S108
    assert deployed.exec("touch", "/tmp/x").returncode == 0  # noqa: S108
    docker("stop", deployed.id)
    assert deployed.inspect("{{.State.ExitCode}}") == "0"


def test_every_probe_of_the_manifest_answers_200_on_the_declared_port(
    deployed: Container, manifests: list[Manifest]
) -> None:
    (app,) = _pod(manifests)["containers"]
    ports = {p["name"]: p["containerPort"] for p in app["ports"]}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = app[kind]["httpGet"]
        assert ports[probe["port"]] == 8000, f"{kind} probes a port the server is not on"
        assert answers(f"{deployed.base_url}{probe['path']}"), kind


def test_the_init_container_runs_under_the_manifests_security_context(
    image: str, manifests: list[Manifest]
) -> None:
    pod = _pod(manifests)
    (init,) = pod["initContainers"]
    options = [*_docker_options(init, pod), *_environment(manifests)]
    result = docker("run", "--rm", *options, image, *init["command"])
    assert parse(result.stdout).said("app.prestart", "prestart complete")


def _count(metrics: str) -> float:
    families = text_string_to_metric_families(metrics)
    return sum(
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == "http_server_request_duration_seconds_count"
    )


def test_two_workers_metrics_add_up_on_the_read_only_root(
    image: str, manifests: list[Manifest]
) -> None:
    pod = _pod(manifests)
    (app,) = pod["containers"]
    # The overrides: two workers where the manifest has one per pod, and the memory that
    # two need (docs/deploy.md's figures; the later --memory wins).
    options = ["-e", "WEB_CONCURRENCY=2", "--memory", "256m"]
    container = start(image, *_docker_options(app, pod), *_environment(manifests), *options)
    sent = 40
    try:
        wait_until(
            lambda: (
                parse(container.logs(), supervisor=True).messages().count("startup complete") == 2
            ),
            timeout=30,
            what="both workers to start",
        )
        for n in range(sent):
            # A new connection each time: the kernel spreads them over both workers.
            response = httpx.get(f"{container.base_url}/items/{n}", headers={"connection": "close"})
            assert response.status_code == 200
        assert len(workers(container)) == 2
        # Whichever worker answers the scrape, it counts every worker's requests.
        for _ in range(6):
            scraped = httpx.get(f"{container.base_url}/metrics", headers={"connection": "close"})
            assert _count(scraped.text) == sent
    finally:
        remove(container)


def test_the_pods_ask_to_be_scraped_where_the_metrics_are(
    deployed: Container, manifests: list[Manifest]
) -> None:
    annotations = one(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    (app,) = _pod(manifests)["containers"]
    assert int(annotations["prometheus.io/port"]) in {p["containerPort"] for p in app["ports"]}
    scraped = httpx.get(f"{deployed.base_url}{annotations['prometheus.io/path']}")
    assert scraped.status_code == 200
    assert "process_resident_memory_bytes" in scraped.text
