"""The image signed with cosign in a registry, verified, and run by its digest.

A local registry:2 stands in for the real one and a key pair made for the test for
the workflow's keyless signing (which needs Sigstore's public services). Offline, the
signature is not uploaded to a transparency log, and verification does not ask one.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from testing.docker import Container, docker, remove, start
from testing.require import require
from testing.wait import answers, wait_ready, wait_until

# cosign reads the key's password from here; the test's keys have none.
COSIGN_ENV = {**os.environ, "COSIGN_PASSWORD": ""}


@dataclass(frozen=True)
class Pushed:
    """The image in the registry: its tag, and the same image by digest."""

    tag: str
    by_digest: str


def cosign(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["cosign", *args],
        cwd=cwd,
        env=COSIGN_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def registry(engine: None) -> Iterator[Container]:
    require(
        shutil.which("cosign") is not None,
        variable="REQUIRE_COSIGN",
        reason="cosign is not installed (apt-get install cosign)",
    )
    container = start("registry:2", port=5000, wait=False)
    wait_until(lambda: answers(f"{container.base_url}/v2/"), timeout=30, what="the registry")
    yield container
    remove(container)


def push(image: str, registry: Container, name: str) -> Pushed:
    # cosign reads localhost:PORT/... references, not 127.0.0.1:PORT/... ones.
    tag = f"localhost:{registry.base_url.rsplit(':', 1)[1]}/{name}"
    docker("tag", image, tag)
    docker("push", "--quiet", tag, timeout=300)
    repository = tag.rsplit(":", 1)[0]
    digests = docker("image", "inspect", tag, "--format", "{{json .RepoDigests}}").stdout
    # The image may carry digests from other registries too: this registry's one.
    (by_digest,) = [d for d in json.loads(digests) if d.startswith(f"{repository}@sha256:")]
    return Pushed(tag=tag, by_digest=by_digest)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    for name in ("release", "other"):
        made = cosign("generate-key-pair", "--output-key-prefix", name, cwd=directory)
        assert made.returncode == 0, made.stderr
    return directory


@pytest.fixture(scope="module")
def signed(image: str, registry: Container, keys: Path) -> Iterator[Pushed]:
    pushed = push(image, registry, "fastapi-service:release")
    result = cosign(
        "sign",
        "--key",
        "release.key",
        "--tlog-upload=false",
        "--allow-http-registry",
        "--yes",
        pushed.by_digest,
        cwd=keys,
    )
    assert result.returncode == 0, result.stderr
    yield pushed
    docker("image", "rm", "--force", pushed.tag, check=False)


def verify(reference: str, key: str, keys: Path) -> subprocess.CompletedProcess[str]:
    return cosign(
        "verify",
        "--key",
        key,
        "--insecure-ignore-tlog=true",
        "--allow-http-registry",
        reference,
        cwd=keys,
    )


def test_the_signature_verifies_and_the_image_runs_by_its_digest(
    signed: Pushed, keys: Path
) -> None:
    verified = verify(signed.by_digest, "release.pub", keys)
    assert verified.returncode == 0, verified.stderr
    docker("image", "rm", "--force", signed.tag, check=False)
    container = start(signed.by_digest, wait=False)
    try:
        wait_ready(container.base_url, what="the image run by digest")
        assert httpx.get(f"{container.base_url}/items/5?q=somequery").json() == {
            "item_id": 5,
            "q": "somequery",
        }
        assert container.inspect("{{.Config.Image}}") == signed.by_digest
    finally:
        remove(container)


def test_another_key_does_not_verify(signed: Pushed, keys: Path) -> None:
    refused = verify(signed.by_digest, "other.pub", keys)
    assert refused.returncode != 0
    assert "no matching signatures" in refused.stderr


def test_a_tag_moved_to_another_image_does_not_verify(
    signed: Pushed, registry: Container, keys: Path, tmp_path: Path
) -> None:
    # The same tag pushed again, now naming an image nobody signed.
    (tmp_path / "Dockerfile").write_text(f"FROM {signed.by_digest}\nLABEL tampered=yes\n")
    docker("buildx", "build", "--load", "-q", "-t", f"{signed.tag}-tampered", str(tmp_path))
    tampered = push(f"{signed.tag}-tampered", registry, "fastapi-service:release")
    assert tampered.by_digest != signed.by_digest
    refused = verify(signed.tag, "release.pub", keys)
    assert refused.returncode != 0
    assert "no signatures found" in refused.stderr
    docker("image", "rm", "--force", f"{signed.tag}-tampered", check=False)
