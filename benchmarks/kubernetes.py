"""The service on a real Kubernetes cluster: how long it takes to serve, to heal, and what
memory its pods hold against what they ask for.

    uv run python -m benchmarks.kubernetes [--repeats 3] [--write docs/results/kubernetes.md]

Needs Docker and a cluster (`KUBECONFIG`; `../shared/k8s/ensure-kubernetes`) with a
registry (`CLUSTER_REGISTRY`, default 127.0.0.1:5000) and metrics-server. Builds the image,
pushes it, then each repeat applies the dev overlay (only its image changed) in a namespace
of its own and measures:
- apply to all pods Ready: from `kubectl apply -k` to `kubectl rollout status` returning;
- a pod's start to Ready: from its first sighting (polled every 0.1 s) to its Ready
  condition, image already on the node; and the same for bare FastAPI with the same routes
  (`benchmarks/bare/bare_fastapi.py`, from a ConfigMap) as the app container's command in
  the same pods, the floor;
- freeze to serving again: one server process stopped with SIGSTOP on the node, until the
  kubelet has restarted it (liveness) and it is back in the Service's endpoints;
- memory: each app container's RSS (its PID 1) and cgroup usage, idle and after 2,000
  requests, against the manifest's request and limit.
Figures over repeats are medians, with the range.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from testing.cluster import Release, host_pids_of, kubectl, namespace_name, push, ready
from testing.docker import docker
from testing.paths import PROJECT_ROOT, run_id
from testing.results import write
from testing.units import mib
from testing.wait import wait_until


def _apply_to_ready(release: Release, scratch: Path) -> tuple[float, list[float]]:
    """Seconds from apply to the rollout's end; each pod's seconds from sighting to Ready."""
    seen: dict[str, float] = {}
    became: dict[str, float] = {}
    started = time.monotonic()
    kubectl("apply", "-k", str(release.kustomization(scratch)))
    while time.monotonic() - started < 180:
        now = time.monotonic()
        for pod in release.pods():
            name = pod["metadata"]["name"]
            seen.setdefault(name, now)
            if ready(pod):
                became.setdefault(name, now)
        if seen and len(became) == len(seen) >= 2:
            break
        time.sleep(0.1)
    release.rollout_status()
    total = time.monotonic() - started
    return total, [became[name] - seen[name] for name in became]


BARE = Path(__file__).resolve().parent / "bare" / "bare_fastapi.py"


def _bare(image: str, namespace: str) -> Release:
    """The dev overlay with bare FastAPI as its app container's command: the same image,
    init container, probes (bare FastAPI answers /health/ready) and limits."""
    app = {
        "name": "app",
        "command": ["fastapi", "run", "--entrypoint", "bare_fastapi:app"],
        "env": [{"name": "PYTHONPATH", "value": "/bare"}],
        "volumeMounts": [{"name": "bare", "mountPath": "/bare", "readOnly": True}],
    }
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "fastapi-service"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [app],
                    "volumes": [{"name": "bare", "configMap": {"name": "bare-fastapi"}}],
                }
            }
        },
    }
    return Release("dev", namespace, image, patches=(patch,), files=(("bare-fastapi", BARE),))


def _freeze_to_serving(release: Release) -> float:
    (pod, *_) = release.pods(ready_only=True)
    name, address = pod["metadata"]["name"], pod["status"]["podIP"]
    (status,) = pod["status"]["containerStatuses"]
    started = time.monotonic()
    for pid in host_pids_of(status["containerID"]):
        os.kill(pid, signal.SIGSTOP)

    def serving_again() -> bool:
        (now,) = release.get("pod", name)["status"]["containerStatuses"]
        return now["restartCount"] >= 1 and address in release.endpoints()

    wait_until(serving_again, timeout=240, what="the frozen pod back in service", interval=0.5)
    return time.monotonic() - started


def _memory(release: Release) -> list[tuple[float, float]]:
    """(RSS of PID 1, cgroup usage) in MiB for each app container."""
    read = (
        "grep VmRSS /proc/1/status | tr -s ' ' | cut -d' ' -f2;"
        " cat /sys/fs/cgroup/memory.current 2>/dev/null"
        " || cat /sys/fs/cgroup/memory/memory.usage_in_bytes"
    )
    figures = []
    for pod in release.pods(ready_only=True):
        out = release.kubectl(
            "exec", pod["metadata"]["name"], "-c", "app", "--", "sh", "-c", read
        ).stdout.split()
        figures.append((round(int(out[0]) / 1024, 1), round(mib(int(out[1])), 1)))
    return figures


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the results file (Markdown) here")
    args = parser.parse_args()
    tag = f"fastapi-service:bench-{run_id()}"
    docker("buildx", "build", "--load", "-q", "-t", tag, str(PROJECT_ROOT), timeout=900)
    image = push(tag, f"bench-{run_id()}").split("@", 1)[0] + f":bench-{run_id()}"
    applies: list[float] = []
    starts: list[float] = []
    bare_starts: list[float] = []
    freezes: list[float] = []
    idle: list[tuple[float, float]] = []
    loaded: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        rendered = Release("dev", "render", image).render(Path(scratch) / "render")
        (deployment,) = [m for m in rendered if m["kind"] == "Deployment"]
        memory = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
        request, limit = memory["requests"]["memory"], memory["limits"]["memory"]
        for repeat in range(args.repeats):
            release = Release("dev", namespace_name(f"bench{repeat}"), image)
            try:
                total, pods = _apply_to_ready(release, Path(scratch) / release.namespace)
                applies.append(total)
                starts += pods
                idle += _memory(release)
                with httpx.Client(base_url=release.service_url(), timeout=5) as client:
                    for _ in range(2000):
                        client.get("/items/5?q=somequery").raise_for_status()
                loaded += _memory(release)
                freezes.append(_freeze_to_serving(release))
                print(f"repeat {repeat + 1}: apply to Ready {total:.1f} s", file=sys.stderr)
            finally:
                kubectl("delete", "namespace", release.namespace, check=False, timeout=300)
            bare = _bare(image, namespace_name(f"bare{repeat}"))
            try:
                _, pods = _apply_to_ready(bare, Path(scratch) / bare.namespace)
                bare_starts += pods
            finally:
                kubectl("delete", "namespace", bare.namespace, check=False, timeout=300)
    body = "\n".join(
        [
            f"Repeats: {args.repeats}; figures are medians (range).",
            "",
            "| measure | seconds |",
            "| --- | --- |",
            f"| `kubectl apply -k` to every pod Ready (rollout complete) | {_spread(applies)} |",
            f"| a pod's start to Ready (image on the node) | {_spread(starts)} |",
            f"| the same pod with bare FastAPI as its app (the floor) | {_spread(bare_starts)} |",
            f"| the service's / the floor's (medians) | "
            f"{statistics.median(starts) / statistics.median(bare_starts):.2f} |",
            f"| server frozen (SIGSTOP) to serving again (liveness restart) | {_spread(freezes)} |",
            "",
            "| app container memory (MiB) | RSS of the server | cgroup usage |",
            "| --- | --- | --- |",
            f"| idle | {_spread([r for r, _ in idle])} | {_spread([c for _, c in idle])} |",
            f"| after 2,000 requests | {_spread([r for r, _ in loaded])}"
            f" | {_spread([c for _, c in loaded])} |",
            f"| the manifest's request / limit | {request} / {limit} | {request} / {limit} |",
        ]
    )
    print(body)
    if args.write:
        write(args.write, "The service on Kubernetes", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
