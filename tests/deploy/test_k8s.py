"""The Kubernetes manifests: they render, validate, meet the restricted standard, and agree
with each other and with compose. (What they make the image do is tested by running it:
tests/container/test_k8s_runtime.py and test_runtime.py.)"""

import os
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from testing.compose import Stack, shipped_memory
from testing.units import MiB
from tests.deploy.kustomize import K8S, OVERLAYS, Manifest, one, render, render_directory

KUBERNETES_VERSION = "1.37.0"


@pytest.fixture(scope="module", params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    overlay: str = request.param
    return render(overlay)


def _pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return spec


def test_the_overlays_the_readme_and_the_runtime_tests_name_exist() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


# Gateway API's kinds are CRDs, outside kubernetes-validate's schemas: the cluster tests
# validate them against the installed CRDs (tests/cluster/test_gateway.py).
GATEWAY_API = "gateway.networking.k8s.io/v1"


def test_every_object_validates_strictly_against_the_kubernetes_schema(
    manifests: list[Manifest],
) -> None:
    assert manifests
    for manifest in manifests:
        if manifest["apiVersion"] != GATEWAY_API:
            # Raises on any unknown field or wrong type.
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_ingress_component_validates_and_replaces_the_routes(tmp_path: Path) -> None:
    wrapper = {
        "resources": [os.path.relpath(K8S / "overlays" / "prod", tmp_path)],
        "components": [os.path.relpath(K8S / "components" / "ingress", tmp_path)],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(wrapper))
    manifests = render_directory(tmp_path)
    assert not [m for m in manifests if m["apiVersion"] == GATEWAY_API]
    ingress = one(manifests, "Ingress")
    kubernetes_validate.validate(ingress, KUBERNETES_VERSION, strict=True)
    # No controller is named: the class is the user's (or the cluster's default).
    assert "ingressClassName" not in ingress["spec"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == one(manifests, "Service")["metadata"]["name"]


def test_pods_meet_the_restricted_pod_security_standard(manifests: list[Manifest]) -> None:
    pod = _pod_spec(manifests)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in pod["initContainers"] + pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["runAsNonRoot"] is True, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]


def test_the_namespace_enforces_the_restricted_profile(manifests: list[Manifest]) -> None:
    labels = one(manifests, "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_a_rollout_or_a_drain_never_takes_the_service_below_the_budget(
    manifests: list[Manifest],
) -> None:
    spec = one(manifests, "Deployment")["spec"]
    budget = one(manifests, "PodDisruptionBudget")["spec"]["minAvailable"]
    autoscaler = one(manifests, "HorizontalPodAutoscaler")["spec"]
    unavailable = spec["strategy"]["rollingUpdate"]["maxUnavailable"]
    # A rollout keeps at least the budget serving; the fewest replicas the autoscaler
    # leaves still allow one voluntary eviction (a node drain), so drains never block.
    assert spec["replicas"] - unavailable >= budget
    assert autoscaler["minReplicas"] > budget
    assert spec["replicas"] >= autoscaler["minReplicas"]


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"not a duration in seconds: {duration}"
    return int(match.group(1))


def test_the_grace_period_covers_the_drain_delay_and_composes_request_budget(
    manifests: list[Manifest],
) -> None:
    pod = _pod_spec(manifests)
    (app,) = pod["containers"]
    delay = app["lifecycle"]["preStop"]["sleep"]["seconds"]
    compose_grace = _seconds(Stack().config()["services"]["app"]["stop_grace_period"])
    assert delay > 0
    assert pod["terminationGracePeriodSeconds"] >= delay + compose_grace


def test_the_init_container_is_the_same_image_with_the_same_settings(
    manifests: list[Manifest],
) -> None:
    pod = _pod_spec(manifests)
    (init,) = pod["initContainers"]
    (app,) = pod["containers"]
    assert init["image"] == app["image"]
    assert init["envFrom"] == app["envFrom"]
    assert init["securityContext"] == app["securityContext"]


def test_selectors_target_the_pods(manifests: list[Manifest]) -> None:
    labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert one(manifests, "Service")["spec"]["selector"].items() <= labels.items()
    pdb = one(manifests, "PodDisruptionBudget")["spec"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    hpa = one(manifests, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == one(manifests, "Deployment")["metadata"]["name"]


def _routes(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == "HTTPRoute"]


def test_the_routes_attach_to_one_gateway_for_the_same_host_names(
    manifests: list[Manifest],
) -> None:
    https, redirect = sorted(_routes(manifests), key=lambda r: r["metadata"]["name"])
    assert [p["sectionName"] for p in https["spec"]["parentRefs"]] == ["https"]
    assert [p["sectionName"] for p in redirect["spec"]["parentRefs"]] == ["http"]
    gateway = {k: v for k, v in https["spec"]["parentRefs"][0].items() if k != "sectionName"}
    assert {k: v for k, v in redirect["spec"]["parentRefs"][0].items() if k != "sectionName"} == (
        gateway
    )
    assert https["spec"]["hostnames"] == redirect["spec"]["hostnames"]


def test_the_network_policy_admits_the_gateways_namespace(manifests: list[Manifest]) -> None:
    (route, *_) = _routes(manifests)
    policy = one(manifests, "NetworkPolicy")
    peer = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert peer == {"kubernetes.io/metadata.name": route["spec"]["parentRefs"][0]["namespace"]}


def test_memory_matches_the_compose_figures(manifests: list[Manifest]) -> None:
    limit, reservation = shipped_memory()
    (app,) = _pod_spec(manifests)["containers"]
    assert int(app["resources"]["limits"]["memory"].removesuffix("Mi")) * MiB == limit
    assert int(app["resources"]["requests"]["memory"].removesuffix("Mi")) * MiB == reservation


def test_the_dev_overlay_runs_an_image_loaded_into_the_cluster() -> None:
    # `kind load` / `minikube image load` put the image on the node, not in a registry.
    pod = _pod_spec(render("dev"))
    for container in pod["initContainers"] + pod["containers"]:
        assert container["imagePullPolicy"] != "Always", container["name"]
