"""The image build's helpers in docker/: stripping extensions keeps them loadable."""

import shutil
import subprocess
import sys
from pathlib import Path

import uvloop

from testing.paths import PROJECT_ROOT

STRIP = PROJECT_ROOT / "docker" / "strip_extensions.py"


def _strip(directory: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(STRIP), str(directory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_a_stripped_extension_still_imports_and_runs(tmp_path: Path) -> None:
    shutil.copytree(Path(uvloop.__file__).parent, tmp_path / "uvloop")
    (extension,) = (tmp_path / "uvloop").glob("loop.*.so")
    before = extension.stat().st_size
    _strip(tmp_path)
    assert extension.stat().st_size < before
    check = (
        "import asyncio, uvloop; "
        f"assert uvloop.__file__.startswith({str(tmp_path)!r}); "
        "print(uvloop.run(asyncio.sleep(0, result='ran')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", check],
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.stdout == "ran\n", run.stderr


def test_stripping_twice_removes_nothing_more(tmp_path: Path) -> None:
    shutil.copytree(Path(uvloop.__file__).parent, tmp_path / "uvloop")
    _strip(tmp_path)
    assert _strip(tmp_path) == "strip_extensions: 0.0 MiB of debug data removed\n"


def test_files_that_are_not_elf_are_left_alone(tmp_path: Path) -> None:
    fake = tmp_path / "notes.so"
    fake.write_bytes(b"not an ELF file, whatever its name")
    _strip(tmp_path)
    assert fake.read_bytes() == b"not an ELF file, whatever its name"
