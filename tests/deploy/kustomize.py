"""Render the Kubernetes overlays with kustomize, as `kubectl apply -k` would."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from testing.paths import PROJECT_ROOT
from testing.require import require

K8S = PROJECT_ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir())

type Manifest = dict[str, Any]


def render(overlay: str, k8s: Path = K8S) -> list[Manifest]:
    """Every object of `kustomize build deploy/k8s/overlays/OVERLAY` (or of a copy of
    deploy/k8s at K8S)."""
    return render_directory(k8s / "overlays" / overlay)


def render_directory(directory: Path) -> list[Manifest]:
    """Every object of `kustomize build DIRECTORY`."""
    require(
        shutil.which("kustomize") is not None,
        variable="REQUIRE_KUSTOMIZE",
        reason="kustomize is not installed (apt-get install -t trixie kustomize)",
    )
    result = subprocess.run(
        ["kustomize", "build", str(directory)],
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
