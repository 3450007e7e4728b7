"""The Kubernetes manifests: they render, validate, and keep the promises they make."""

from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.kustomize import OVERLAYS, Manifest, one, render
from tests.support import compose_app_memory

KUBERNETES_VERSION = "1.37.0"


@pytest.fixture(scope="module", params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    overlay: str = request.param
    return render(overlay)


def _pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return spec


def test_there_are_dev_and_prod_overlays() -> None:
    assert OVERLAYS == ["dev", "prod"]


def test_an_overlay_renders_every_object_the_service_needs(manifests: list[Manifest]) -> None:
    assert sorted(m["kind"] for m in manifests) == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ]


def test_every_object_validates_strictly_against_the_kubernetes_schema(
    manifests: list[Manifest],
) -> None:
    for manifest in manifests:
        # Raises on any unknown field or wrong type.
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_pods_meet_the_restricted_pod_security_standard(manifests: list[Manifest]) -> None:
    pod = _pod_spec(manifests)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in pod["initContainers"] + pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["runAsNonRoot"] is True, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]
        assert [m["mountPath"] for m in container["volumeMounts"]] == ["/tmp"]  # noqa: S108
    tmp = {"medium": "Memory", "sizeLimit": "16Mi"}
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": tmp}]


def test_the_namespace_enforces_the_restricted_profile(manifests: list[Manifest]) -> None:
    labels = one(manifests, "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_deployment_runs_two_single_process_replicas(manifests: list[Manifest]) -> None:
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    config = one(manifests, "ConfigMap")["data"]
    assert config["WEB_CONCURRENCY"] == "1"
    assert config["FORWARDED_ALLOW_IPS"] != "*"


def test_probes_use_the_liveness_and_readiness_endpoints(manifests: list[Manifest]) -> None:
    (app,) = _pod_spec(manifests)["containers"]
    assert app["startupProbe"]["httpGet"]["path"] == "/health/ready"
    assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert app["livenessProbe"]["httpGet"]["path"] == "/health/live"


def test_endpoints_drain_before_sigterm_within_the_grace_period(
    manifests: list[Manifest],
) -> None:
    pod = _pod_spec(manifests)
    (app,) = pod["containers"]
    delay = app["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert delay > 0
    # The grace period covers the preStop delay and the compose stop budget (20 s).
    assert pod["terminationGracePeriodSeconds"] >= delay + 20


def test_the_previous_steps_run_as_an_init_container(manifests: list[Manifest]) -> None:
    pod = _pod_spec(manifests)
    (init,) = pod["initContainers"]
    (app,) = pod["containers"]
    assert init["command"] == ["python", "-m", "app.prestart"]
    assert init["image"] == app["image"]
    assert init["envFrom"] == app["envFrom"]


def test_selectors_target_the_pods(manifests: list[Manifest]) -> None:
    labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert one(manifests, "Service")["spec"]["selector"].items() <= labels.items()
    pdb = one(manifests, "PodDisruptionBudget")["spec"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["minAvailable"] == 1
    hpa = one(manifests, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == one(manifests, "Deployment")["metadata"]["name"]
    assert hpa["minReplicas"] == 2


def test_ingress_terminates_tls_with_a_cert_manager_certificate(
    manifests: list[Manifest],
) -> None:
    ingress = one(manifests, "Ingress")
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    (tls,) = ingress["spec"]["tls"]
    assert tls["hosts"] == [ingress["spec"]["rules"][0]["host"]]


_MI = 1024 * 1024


def test_memory_matches_the_compose_figures(manifests: list[Manifest]) -> None:
    limit, reservation = compose_app_memory()
    (app,) = _pod_spec(manifests)["containers"]
    assert int(app["resources"]["limits"]["memory"].removesuffix("Mi")) * _MI == limit
    assert int(app["resources"]["requests"]["memory"].removesuffix("Mi")) * _MI == reservation
