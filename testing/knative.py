"""deploy/cloudrun/service.yaml on a Knative Serving cluster, as `kubectl apply -f` of the
file with its image set: the one change, as `gcloud run services replace` users make it."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from testing.cluster import Manifest, kubectl, namespace_name
from testing.gateway import Gateway, find
from testing.paths import PROJECT_ROOT
from testing.wait import wait_until

SERVICE_FILE = PROJECT_ROOT / "deploy" / "cloudrun" / "service.yaml"


def shipped() -> Manifest:
    service: Manifest = yaml.safe_load(SERVICE_FILE.read_text())
    return service


def knative_answers() -> bool:
    """True when Knative Serving's API is installed and its webhook is available."""
    crd = kubectl("get", "crd", "services.serving.knative.dev", check=False, timeout=20)
    if crd.returncode != 0:
        return False
    webhook = kubectl(
        "-n",
        "knative-serving",
        "get",
        "deployment",
        "webhook",
        "-o",
        "jsonpath={.status.availableReplicas}",
        check=False,
    )
    return webhook.returncode == 0 and webhook.stdout.strip() not in {"", "0"}


def ingress_gateway() -> Gateway | None:
    """The Gateway Knative's net-gateway-api serves Services on (`KNATIVE_GATEWAY`,
    NAMESPACE/NAME, default gateway-system/gateway)."""
    namespace, _, name = os.environ.get("KNATIVE_GATEWAY", "gateway-system/gateway").partition("/")
    return find(name, namespace)


def with_image(service: Manifest, image: str, **changes: Any) -> Manifest:
    """The Service with its image set; `changes` add or replace env variables (a new
    revision), which only the tests that need two revisions use."""
    changed: Manifest = yaml.safe_load(yaml.safe_dump(service))
    (container,) = changed["spec"]["template"]["spec"]["containers"]
    container["image"] = image
    env = [e for e in container.get("env", []) if e["name"] not in changes]
    container["env"] = env + [{"name": k, "value": str(v)} for k, v in changes.items()]
    return changed


@dataclass(frozen=True)
class KService:
    namespace: str
    name: str

    def kubectl(self, *args: str, **options: Any) -> Any:
        return kubectl("-n", self.namespace, *args, **options)

    def apply(self, service: Manifest) -> None:
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(service))

    def wait_ready(self, timeout: float = 120) -> Manifest:
        def ready() -> Manifest | None:
            found: Manifest = yaml.safe_load(
                self.kubectl("get", "ksvc", self.name, "-o", "yaml").stdout
            )
            status = found.get("status", {})
            conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
            generation = found["metadata"]["generation"]
            if conditions.get("Ready") == "True" and status.get("observedGeneration") == generation:
                return found
            return None

        return wait_until(ready, timeout=timeout, what=f"ksvc {self.name} to be Ready", interval=1)

    def host(self) -> str:
        found = yaml.safe_load(self.kubectl("get", "ksvc", self.name, "-o", "yaml").stdout)
        return str(urlsplit(found["status"]["url"]).hostname)

    def pods(self) -> list[Manifest]:
        listed = yaml.safe_load(
            self.kubectl(
                "get", "pods", "-l", f"serving.knative.dev/service={self.name}", "-o", "yaml"
            ).stdout
        )
        items: list[Manifest] = listed["items"]
        return items


@contextmanager
def knative_namespace(purpose: str) -> Iterator[str]:
    """A namespace that enforces the restricted profile, deleted afterwards."""
    name = namespace_name(purpose)
    kubectl("create", "namespace", name)
    try:
        kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")
        yield name
    finally:
        kubectl("delete", "namespace", name, "--wait=false", check=False)
