"""The one place uv's exact version is written: scripts/uv-requirements.txt, the hashes of
that release's files, which both update bots rewrite (version and hashes) together with
the Dockerfile's uv image."""

import re
from pathlib import Path

from testing.paths import PROJECT_ROOT

UV_REQUIREMENTS = Path("scripts") / "uv-requirements.txt"


def pinned_uv(root: Path = PROJECT_ROOT) -> str:
    """The uv version the project builds and tests with."""
    found = re.findall(r"^uv==(\S+)", (root / UV_REQUIREMENTS).read_text(), re.M)
    assert len(found) == 1, found
    return str(found[0])
