"""The Gateway that the overlays' routes attach to: where it listens, and clients for it.

The Gateway's address and listener ports are read from the Gateway object itself (its
status and spec, as Gateway API defines them); its CA is `GATEWAY_CA` (default:
`../shared/k8s/ensure-gateway`'s).
"""

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from testing.cluster import Manifest, Release, kubectl, routed_locally

_LOCAL_CA = "/etc/ensure-gateway/ca.crt"


@dataclass(frozen=True)
class Gateway:
    name: str
    namespace: str
    address: str
    ports: dict[str, int]

    def client(self, host: str, listener: str = "https") -> httpx.Client:
        """A client for the listener, sending `host` as Host (and as SNI over HTTPS),
        verifying the Gateway's certificate against its CA only."""
        assert routed_locally(self.address), f"{self.address} is not routed to the cluster here"
        scheme = "https" if listener == "https" else "http"

        def name_the_host(request: httpx.Request) -> None:
            request.extensions["sni_hostname"] = host

        return httpx.Client(
            base_url=f"{scheme}://{self.address}:{self.ports[listener]}",
            verify=ssl.create_default_context(cafile=ca_file()),
            headers={"Host": host},
            event_hooks={"request": [name_the_host]},
            timeout=5,
            limits=httpx.Limits(max_keepalive_connections=0),
        )


def ca_file() -> str:
    return os.environ.get("GATEWAY_CA", _LOCAL_CA)


def find(name: str, namespace: str) -> Gateway | None:
    """The Gateway, once it is Programmed with an address; None where there is none."""
    # No Gateway API CRDs, or no such Gateway: kubectl says so and exits 1.
    found = kubectl(
        "get",
        "gateways.gateway.networking.k8s.io",
        name,
        "-n",
        namespace,
        "-o",
        "json",
        check=False,
    )
    if found.returncode == 0:
        gateway = json.loads(found.stdout)
        status = gateway.get("status", {})
        programmed = any(
            c["type"] == "Programmed" and c["status"] == "True"
            for c in status.get("conditions", [])
        )
        if programmed and status.get("addresses") and Path(ca_file()).exists():
            ports = {lst["name"]: lst["port"] for lst in gateway["spec"]["listeners"]}
            return Gateway(name, namespace, status["addresses"][0]["value"], ports)
    return None


def routes(release: Release, scratch: Path) -> list[Manifest]:
    """The release's HTTPRoutes, as its overlay renders them."""
    return [m for m in release.render(scratch) if m["kind"] == "HTTPRoute"]


def accepted(release: Release, name: str) -> bool:
    """Whether every Gateway the route names has accepted it and resolved its backends."""
    route = release.get("httproute", name)
    conditions = {
        c["type"]: c["status"]
        for parent in route.get("status", {}).get("parents", [])
        for c in parent["conditions"]
    }
    return conditions.get("Accepted") == "True" and conditions.get("ResolvedRefs") == "True"
