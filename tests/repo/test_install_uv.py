"""scripts/install-uv: it installs uv only from a wheel whose sha256 the project lists.

The wheel here is a stand-in built by the test and served from a local directory (no index
is contacted); the listed hashes CI checks the real download against are
scripts/uv-requirements.txt's, the one place uv's version is written.
"""

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from testing.paths import PROJECT_ROOT
from testing.versions import pinned_uv

VERSION = pinned_uv()


def _wheel(directory: Path) -> Path:
    """A wheel named like uv's whose `uv` script prints a version line."""
    directory.mkdir()
    path = directory / f"uv-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"uv-{VERSION}.data/scripts/uv", f'#!/bin/sh\necho "uv {VERSION} (test)"\n')
        wheel.writestr(f"uv-{VERSION}.data/scripts/uvx", "#!/bin/sh\n")
        info = f"uv-{VERSION}.dist-info"
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: uv\nVersion: {VERSION}\n")
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")
    return path


def _install(tmp_path: Path, *, listed: str) -> subprocess.CompletedProcess[str]:
    """Run a copy of the script in a tree whose hash list is LISTED (a requirements line)."""
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "scripts" / "install-uv", tree / "scripts" / "install-uv")
    (tree / "scripts" / "uv-requirements.txt").write_text(listed)
    # The machine's python3 and its pip, as on a fresh machine: not this virtualenv's.
    venv_bin = str(Path(os.environ["VIRTUAL_ENV"]) / "bin") if "VIRTUAL_ENV" in os.environ else None
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {
        **os.environ,
        "PATH": path,
        "INSTALL_UV_FORCE": "1",
        "UV_INSTALL_DIR": str(tmp_path / "bin"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path / "wheels"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return subprocess.run(
        [str(tree / "scripts" / "install-uv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_wheel_whose_hash_is_listed_is_installed(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "wheels")
    result = _install(tmp_path, listed=f"uv=={VERSION} --hash=sha256:{_sha256(wheel)}\n")
    assert result.returncode == 0, result.stderr
    version = subprocess.run(
        [str(tmp_path / "bin" / "uv"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == f"uv {VERSION} (test)\n"


def test_a_wheel_whose_hash_is_not_listed_is_refused_and_nothing_is_installed(
    tmp_path: Path,
) -> None:
    wheel = _wheel(tmp_path / "wheels")
    other = hashlib.sha256(wheel.read_bytes() + b"tampered").hexdigest()
    result = _install(tmp_path, listed=f"uv=={VERSION} --hash=sha256:{other}\n")
    assert result.returncode == 1, result.stderr
    # pip names the hash it got, which is the wheel's: the refusal is the hash check's.
    assert _sha256(wheel) in result.stderr
    assert not (tmp_path / "bin" / "uv").exists()


def test_a_hash_list_that_pins_no_uv_stops_before_any_download(tmp_path: Path) -> None:
    _wheel(tmp_path / "wheels")
    result = _install(tmp_path, listed="# nothing pinned\n")
    assert result.returncode == 1
    assert result.stderr == (
        "install-uv: scripts/uv-requirements.txt pins no uv; "
        "regenerate it (its first lines say how)\n"
    )
    assert not (tmp_path / "bin").exists()
