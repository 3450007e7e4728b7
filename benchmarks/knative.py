"""The cloud service's cold start: from zero replicas to the first answer, beside the
image's own `docker run` to the first answer.

    uv run python -m benchmarks.knative [--repeats 3] [--write docs/results/knative.md]

Needs Docker, a cluster with Knative Serving on a Gateway (`../shared/k8s/ensure-knative`)
and its registry. Builds and pushes the image, applies deploy/cloudrun/service.yaml (its
image the only change) in a namespace of its own, then each repeat waits until Knative has
scaled the Service to zero and times one GET /items/5?q=somequery through the Gateway over
HTTPS: the activator holds it while a pod starts. `docker run` is timed the same way
(benchmarks.measure.start_to_first_200). Medians, with the range.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

from benchmarks.measure import ITEM, start_to_first_200
from testing.cluster import push
from testing.docker import docker
from testing.knative import KService, ingress_gateway, knative_namespace, shipped, with_image
from testing.paths import PROJECT_ROOT, run_id
from testing.results import write
from testing.wait import wait_until


def _from_zero(service: KService, client: httpx.Client) -> float:
    wait_until(lambda: not service.pods(), timeout=300, what="the scale to zero", interval=1)
    started = time.monotonic()
    client.get(ITEM).raise_for_status()
    return time.monotonic() - started


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the results file (Markdown) here")
    args = parser.parse_args()
    tag = f"fastapi-service:bench-{run_id()}"
    docker("buildx", "build", "--load", "-q", "-t", tag, str(PROJECT_ROOT), timeout=900)
    image = push(tag, f"bench-{run_id()}").split("@", 1)[0] + f":bench-{run_id()}"
    gateway = ingress_gateway()
    if gateway is None:
        print("no Knative Serving on a Gateway answers (../shared/k8s/ensure-knative)")
        return 1
    docker_runs = [start_to_first_200(tag, ()) for _ in range(args.repeats)]
    cold: list[float] = []
    with knative_namespace("bench-kn") as namespace:
        service = KService(namespace, shipped()["metadata"]["name"])
        service.apply(with_image(shipped(), image))
        service.wait_ready()
        with gateway.client(service.host()) as client:
            client.timeout = httpx.Timeout(60)
            for repeat in range(args.repeats):
                cold.append(_from_zero(service, client))
                print(f"repeat {repeat + 1}: {cold[-1]:.2f} s from zero", file=sys.stderr)
    body = "\n".join(
        [
            f"Repeats: {args.repeats}; seconds to the first 200 on `{ITEM}`, median (range).",
            "",
            "| start | seconds |",
            "| --- | --- |",
            f"| `docker run` of the image (no cluster) | {_spread(docker_runs)} |",
            "| Knative, from zero replicas: Gateway, activator, a new pod (image on the"
            f" node), prestart, the server | {_spread(cold)} |",
        ]
    )
    print(body)
    if args.write:
        write(args.write, "The cloud service's cold start", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
