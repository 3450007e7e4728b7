"""kubectl against a real cluster, and the service's overlays applied there as a user does.

The cluster is the one `KUBECONFIG` names (default: `../shared/k8s/ensure-kubernetes`'s);
kubectl is `KUBECTL`, else that script's build of the cluster's own version, else the one
on PATH. Images reach the cluster through its registry, `CLUSTER_REGISTRY`
(`127.0.0.1:5000` here; `localhost:5000` under kind with a local registry).
"""

import ipaddress
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from testing.docker import docker
from testing.paths import PROJECT_ROOT, run_id
from testing.wait import answers, wait_until

_LOCAL_KUBECONFIG = Path("/etc/kubernetes-local/admin.kubeconfig")
_LOCAL_KUBECTL = Path("/var/cache/ensure-kubernetes/bin/v1.34.4/kubectl")

type Manifest = dict[str, Any]


def kubeconfig() -> str | None:
    configured = os.environ.get("KUBECONFIG")
    if configured:
        return configured
    return str(_LOCAL_KUBECONFIG) if _LOCAL_KUBECONFIG.exists() else None


def kubectl_path() -> str | None:
    if configured := os.environ.get("KUBECTL"):
        return configured
    if _LOCAL_KUBECTL.exists():
        return str(_LOCAL_KUBECTL)
    return shutil.which("kubectl")


def registry() -> str:
    return os.environ.get("CLUSTER_REGISTRY", "127.0.0.1:5000")


def kubectl(
    *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`kubectl ARGS`; on failure (with `check`), the error carries its output."""
    program = kubectl_path()
    assert program is not None, "no kubectl"
    environment = {**os.environ}
    if (config := kubeconfig()) is not None:
        environment["KUBECONFIG"] = config
    result = subprocess.run(
        [program, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def get(*args: str) -> Any:
    """`kubectl get ARGS -o json`, parsed."""
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def cluster_answers() -> bool:
    """True when kubectl is there and the API server says it is ready."""
    if kubectl_path() is None:
        return False
    try:
        return kubectl("get", "--raw", "/readyz", check=False, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def routed_locally(address: str) -> bool:
    """True when `ip route get ADDRESS` sends it onto one of this machine's own devices with
    no gateway: a cluster address is reached only while the cluster's bridge is up, never
    through the default route."""
    if ipaddress.ip_address(address).is_loopback:
        return True
    result = subprocess.run(
        ["ip", "route", "get", address], capture_output=True, text=True, timeout=10, check=False
    )
    words = result.stdout.split()
    return result.returncode == 0 and "via" not in words and "dev" in words


def push(local_tag: str, tag: str) -> str:
    """Push the local image to the cluster's registry as `fastapi-service:TAG`; its
    reference by digest."""
    remote = f"{registry()}/fastapi-service:{tag}"
    docker("tag", local_tag, remote)
    docker("push", remote, timeout=300)
    digests = docker("inspect", "--format", "{{json .RepoDigests}}", remote).stdout
    (by_digest,) = [d for d in json.loads(digests) if d.startswith(f"{registry()}/")]
    return str(by_digest)


@dataclass(frozen=True)
class Release:
    """The overlay, wrapped by a kustomization whose only change is the image: the cluster's
    registry, by tag or by digest."""

    overlay: str
    namespace: str
    image: str
    # APP_* settings merged into the overlay's ConfigMap, as a user changes them.
    settings: tuple[str, ...] = ()
    # Strategic merge patches, and files for a ConfigMap of that name (a benchmark's).
    patches: tuple[Manifest, ...] = ()
    files: tuple[tuple[str, Path], ...] = ()

    def kustomization(self, directory: Path) -> Path:
        """The wrapping kustomization in DIRECTORY (beside the project: kustomize takes
        relative resource paths only)."""
        overlay = PROJECT_ROOT / "deploy" / "k8s" / "overlays" / self.overlay
        name, _, reference = self.image.rpartition("@")
        image: dict[str, str] = {"name": _image_name(overlay)}
        if name:
            image |= {"newName": name, "digest": reference}
        else:
            repository, _, tag = self.image.rpartition(":")
            image |= {"newName": repository, "newTag": tag}
        wrapper: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            # The overlay's own namespace, renamed: a test's objects are its alone.
            "namespace": self.namespace,
            "resources": [os.path.relpath(overlay, directory)],
            "images": [image],
        }
        generators: list[dict[str, Any]] = []
        if self.settings:
            generators.append(
                {"name": "fastapi-service", "behavior": "merge", "literals": list(self.settings)}
            )
        directory.mkdir(parents=True, exist_ok=True)
        for name, source in self.files:
            # kustomize reads a generator's files from within its own directory.
            shutil.copyfile(source, directory / source.name)
            generators.append({"name": name, "files": [source.name]})
        if generators:
            wrapper["configMapGenerator"] = generators
        if self.patches:
            wrapper["patches"] = [{"patch": yaml.safe_dump(patch)} for patch in self.patches]
        (directory / "kustomization.yaml").write_text(yaml.safe_dump(wrapper))
        return directory

    def render(self, directory: Path) -> list[Manifest]:
        rendered = kubectl("kustomize", str(self.kustomization(directory))).stdout
        return [doc for doc in yaml.safe_load_all(rendered) if doc]

    def apply(self, directory: Path, *, wait: bool = True) -> None:
        """`kubectl apply -k`, then (with `wait`) the rollout to completion."""
        kubectl("apply", "-k", str(self.kustomization(directory)))
        if wait:
            self.rollout_status()

    def rollout_status(self, timeout: int = 180) -> None:
        kubectl(
            "-n",
            self.namespace,
            "rollout",
            "status",
            "deployment/fastapi-service",
            f"--timeout={timeout}s",
            timeout=timeout + 30,
        )

    def kubectl(self, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
        return kubectl("-n", self.namespace, *args, **options)

    def get(self, *args: str) -> Any:
        return get("-n", self.namespace, *args)

    def pods(self, *, ready_only: bool = False) -> list[Manifest]:
        items: list[Manifest] = self.get("pods", "-l", "app.kubernetes.io/name=fastapi-service")[
            "items"
        ]
        running = [p for p in items if p["metadata"].get("deletionTimestamp") is None]
        return [p for p in running if ready(p)] if ready_only else running

    def wait_old_pods_gone(self, timeout: float = 90) -> None:
        """Return once no pod is terminating: until then a gateway may still send requests
        to one that drains (it is not ready, but still serving)."""

        def none_terminating() -> bool:
            items = self.get("pods", "-l", "app.kubernetes.io/name=fastapi-service")["items"]
            return all(p["metadata"].get("deletionTimestamp") is None for p in items)

        wait_until(none_terminating, timeout=timeout, what="the old pods to be gone")

    def service_url(self) -> str:
        """http://CLUSTER-IP:PORT of the Service, checked to be routed on this machine, once
        it serves from here: kube-proxy programs a new Service's endpoints a moment after
        the rollout reports them ready, and until then refuses connections to it."""
        service = self.get("service", "fastapi-service")
        address = service["spec"]["clusterIP"]
        assert routed_locally(address), f"{address} is not routed to the cluster's bridge here"
        url = f"http://{address}:{service['spec']['ports'][0]['port']}"
        streak: list[bool] = []

        def serving() -> bool:
            streak.append(answers(f"{url}/health/ready"))
            return len(streak) >= 10 and all(streak[-10:])

        wait_until(serving, timeout=60, what=f"the Service at {url} to serve", interval=0.1)
        return url

    def endpoints(self) -> set[str]:
        """The pod addresses the Service sends requests to now (ready endpoints)."""
        slices = self.get("endpointslices", "-l", "kubernetes.io/service-name=fastapi-service")
        return {
            address
            for item in slices["items"]
            for endpoint in item.get("endpoints") or []
            if endpoint.get("conditions", {}).get("ready")
            for address in endpoint["addresses"]
        }

    def logs(self, pod: str, *extra: str) -> str:
        return self.kubectl("logs", pod, "-c", "app", *extra).stdout


def _image_name(overlay: Path) -> str:
    """The name the overlay gives the service's image (prod's is a registry's), without
    its tag or digest: what a wrapping kustomization's `images` entry must match."""
    rendered = yaml.safe_load_all(kubectl("kustomize", str(overlay)).stdout)
    (deployment,) = [m for m in rendered if m and m["kind"] == "Deployment"]
    (image, *_) = {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}
    without_digest = str(image).split("@", 1)[0]
    repository, _, tag = without_digest.rpartition(":")
    return repository if repository and "/" not in tag else without_digest


def ready(pod: Manifest) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def namespace_name(purpose: str) -> str:
    return f"fsvc-{run_id()}-{purpose}-{uuid.uuid4().hex[:4]}"[:63]


@contextmanager
def released(
    overlay: str, image: str, scratch: Path, purpose: str, *, wait: bool = True
) -> Iterator[Release]:
    """The overlay applied in a namespace of its own, deleted afterwards (without waiting:
    its pods drain as they would anywhere; `wait_for_this_runs_namespaces` waits at the
    end)."""
    release = Release(overlay, namespace_name(purpose), image)
    try:
        release.apply(scratch / release.namespace, wait=wait)
        yield release
    finally:
        # Its routes first, at once: a route left for the namespace's slower deletion would
        # still claim the overlay's host name on the Gateway, which the next test's shares.
        release.kubectl("delete", "httproutes.gateway.networking.k8s.io", "--all", check=False)
        kubectl("delete", "namespace", release.namespace, "--wait=false", check=False)


def wait_for_this_runs_namespaces(timeout: float = 300) -> None:
    """Return once no namespace of this run is left on the cluster."""
    prefix = f"fsvc-{run_id()}-"

    def gone() -> bool:
        names = kubectl("get", "namespaces", "-o", "name").stdout.split()
        return not [n for n in names if n.removeprefix("namespace/").startswith(prefix)]

    wait_until(gone, timeout=timeout, what="this run's namespaces to be deleted", interval=2)


def host_pids_of(container_id: str) -> list[int]:
    """The host's PIDs of a container's processes: those whose cgroup path names its id
    (`containerd://ID` in the pod's status)."""
    bare = container_id.split("://", 1)[-1]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if bare in (entry / "cgroup").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def elapsed_since(started: float) -> float:
    return time.monotonic() - started


def wait_rollout_stuck(release: Release, timeout: float) -> Manifest:
    """The Deployment once its Progressing condition says the deadline passed."""

    def stuck() -> Manifest | None:
        deployment: Manifest = release.get("deployment", "fastapi-service")
        for condition in deployment["status"].get("conditions", []):
            if condition["type"] == "Progressing" and condition["reason"] == (
                "ProgressDeadlineExceeded"
            ):
                return deployment
        return None

    return wait_until(stuck, timeout=timeout, what="the rollout to report no progress", interval=1)


@contextmanager
def watching(*args: str) -> Iterator[list[str]]:
    """`kubectl ARGS` running in the background (a watch, a followed log) while the block
    runs; then stopped, and what it printed is the list's one item."""
    program = kubectl_path()
    assert program is not None, "no kubectl"
    environment = {**os.environ}
    if (config := kubeconfig()) is not None:
        environment["KUBECONFIG"] = config
    printed: list[str] = []
    with subprocess.Popen(
        [program, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
    ) as process:
        try:
            yield printed
        finally:
            process.terminate()
            out, _ = process.communicate(timeout=30)
            printed.append(out)


def json_stream(text: str) -> list[Any]:
    """The JSON documents `kubectl get -w -o json` printed one after another (the last one
    may be cut short where the watch was stopped: it is left out)."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while (position := _skip_space(text, position)) < len(text):
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        documents.append(document)
    return documents


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


@contextmanager
def fewest_endpoints(release: Release) -> Iterator[list[int]]:
    """The fewest ready endpoints the Service had while the block ran (polled every
    0.2 s): the list's one item, once the block is over."""
    counts: list[int] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            counts.append(len(release.endpoints()))
            done.wait(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    fewest: list[int] = []
    try:
        yield fewest
    finally:
        done.set()
        poller.join()
        fewest.append(min(counts))
