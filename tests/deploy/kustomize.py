"""Render the Kubernetes overlays with kustomize, as `kubectl apply -k` would."""

import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.support import PROJECT_ROOT

OVERLAYS = sorted(p.name for p in (PROJECT_ROOT / "deploy" / "k8s" / "overlays").iterdir())

type Manifest = dict[str, Any]


def require_kustomize() -> None:
    """Skip where kustomize is not installed; fail instead when REQUIRE_KUSTOMIZE=1 (CI)."""
    if shutil.which("kustomize") is None:
        reason = "kustomize is not installed (apt-get install -t trixie kustomize)"
        if os.environ.get("REQUIRE_KUSTOMIZE") == "1":
            pytest.fail(f"REQUIRE_KUSTOMIZE=1 but {reason}")
        pytest.skip(reason)


def render(overlay: str) -> list[Manifest]:
    """Every object of `kustomize build deploy/k8s/overlays/OVERLAY`."""
    require_kustomize()
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
