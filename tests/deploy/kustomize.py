"""Render the Kubernetes overlays with kustomize, as `kubectl apply -k` would."""

import shutil
import subprocess
from typing import Any

import yaml

from testing.paths import PROJECT_ROOT
from testing.require import require

OVERLAYS = sorted(p.name for p in (PROJECT_ROOT / "deploy" / "k8s" / "overlays").iterdir())

type Manifest = dict[str, Any]


def render(overlay: str) -> list[Manifest]:
    """Every object of `kustomize build deploy/k8s/overlays/OVERLAY`."""
    require(
        shutil.which("kustomize") is not None,
        variable="REQUIRE_KUSTOMIZE",
        reason="kustomize is not installed (apt-get install -t trixie kustomize)",
    )
    result = subprocess.run(
        ["kustomize", "build", str(PROJECT_ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    """The single object of `kind`."""
    (found,) = [m for m in manifests if m["kind"] == kind]
    return found
