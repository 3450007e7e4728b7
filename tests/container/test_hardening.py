"""The runtime hardened: any non-root UID on a locked-down container, no secret shipped in
the image, and secrets read from files the way Docker and Kubernetes mount them."""

import io
import json
import re
import tarfile
from pathlib import Path

import httpx
import pytest

from testing.docker import docker, remove, start

LOCKED_DOWN = (
    "--read-only",
    "--tmpfs",
    "/tmp",  # noqa: S108 (the one writable path)
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
)


@pytest.mark.parametrize("user", ["4242:0", "123456:123456"])
def test_any_non_root_uid_serves_on_a_locked_down_container(image: str, user: str) -> None:
    # OpenShift and others run images as an arbitrary UID, often with group 0.
    container = start(image, *LOCKED_DOWN, "--user", user)
    try:
        assert httpx.get(f"{container.base_url}/items/5?q=x").json() == {"item_id": 5, "q": "x"}
        assert container.exec("id", "-u").stdout.strip() == user.split(":", maxsplit=1)[0]
        container.wait_healthy()
    finally:
        remove(container)


SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL)", re.I)


def test_no_secret_in_env_labels_or_build_history(image: str) -> None:
    config = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]
    names = [entry.split("=", 1)[0] for entry in config["Env"] or []]
    assert [n for n in names if SECRET_NAME.search(n)] == []
    assert [k for k in (config["Labels"] or {}) if SECRET_NAME.search(k)] == []
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert [line for line in history.splitlines() if SECRET_NAME.search(line)] == []


CREDENTIAL_FILES = re.compile(
    r"(^|/)(id_rsa|id_ecdsa|id_ed25519|\.netrc|\.git-credentials|\.pypirc|\.env|\.npmrc)$"
)


def _suspicious(layer: tarfile.TarFile) -> list[str]:
    found = []
    for member in layer:
        if not member.isfile():
            continue
        if CREDENTIAL_FILES.search(member.name):
            found.append(member.name)
        elif member.size < 1024 * 1024:
            data = layer.extractfile(member)
            if data and b"PRIVATE KEY-----" in data.read():
                found.append(member.name)
    return found


def test_no_credential_file_or_private_key_in_any_layer(image: str, tmp_path: Path) -> None:
    # Every layer, not just the final filesystem: a file deleted later still ships.
    archive = tmp_path / "image.tar"
    docker("image", "save", "--output", str(archive), image, timeout=300)
    found: list[str] = []
    layers = 0
    with tarfile.open(archive) as saved:
        for member in saved:
            blob = saved.extractfile(member) if member.isfile() else None
            if blob is None:
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(blob.read())) as layer:
                    layers += 1
                    found += _suspicious(layer)
            except tarfile.ReadError:
                continue  # a manifest or config blob, not a layer
    assert layers >= 3
    assert found == []


def test_a_setting_is_read_from_a_docker_secret_file(image: str, tmp_path: Path) -> None:
    secret = tmp_path / "APP_DOCS_ENABLED"
    secret.write_text("false\n")
    secret.chmod(0o644)
    container = start(image, "-v", f"{secret}:/run/secrets/APP_DOCS_ENABLED:ro")
    try:
        assert httpx.get(f"{container.base_url}/docs").status_code == 404
        assert httpx.get(f"{container.base_url}/").json() == {"Hello": "World"}
    finally:
        remove(container)
