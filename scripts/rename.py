"""Make this project yours: its name, title, description, image and domain, everywhere.

    python3 scripts/rename.py --slug NAME --title TITLE --description TEXT \\
        --image REGISTRY/PATH --domain HOST

`copier copy` runs it with the answers; on a clone it runs by hand the same way. It
reads the current values from the files that define them, replaces each in every text
file of the tree, re-locks with uv (the package name is in uv.lock) and formats with the
locked ruff. Run again with the same values it changes nothing; once the project carries
a name of its own, it refuses another.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The template's own name, split so that renaming this file's neighbours never touches it.
TEMPLATE_SLUG = "fastapi" + "-service"
SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules", "mutants", "__pycache__"}
SLUG = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")


def current(path: str, pattern: str) -> str:
    """The value `pattern`'s group captures in `path` (its first match)."""
    found = re.search(pattern, (ROOT / path).read_text(), re.M)
    if found is None:
        sys.exit(f"rename: {path} no longer says where its value is ({pattern})")
    return found.group(1)


def text_files() -> list[Path]:
    """Every text file of the tree but this script, which names the template's values."""
    found = []
    for path in sorted(ROOT.rglob("*")):
        if SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path == Path(__file__).resolve():
            continue
        try:
            path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        found.append(path)
    return found


def replacements(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(old, new) in the order they must be made: longer values before those they contain."""
    pairs = [
        (current("pyproject.toml", r'^description = "(.*)"$'), args.description),
        (current("src/app/main.py", r'^TITLE = "(.*)"$'), args.title),
        (current("deploy/k8s/overlays/prod/kustomization.yaml", r"newName: (\S+)"), args.image),
        (current("pyproject.toml", r'^name = "(.*)"$'), args.slug),
    ]
    if args.domain != "localhost":
        # The cluster's public host name (and the docs' examples of it); under `localhost`
        # the example stays an example. Compose and Swarm keep `localhost` as their default,
        # so that a local run and the tests need no certificate authority: a server is
        # given its name at deploy time (DOMAIN=...).
        pairs.insert(
            3,
            (
                current("deploy/k8s/overlays/prod/kustomization.yaml", r"value: \[(\S+)\]"),
                args.domain,
            ),
        )
    return [(old, new) for old, new in pairs if old != new]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    for option in ("slug", "title", "description", "image", "domain"):
        parser.add_argument(f"--{option}", required=True)
    args = parser.parse_args()
    if not SLUG.fullmatch(args.slug):
        sys.exit(f"rename: {args.slug!r} is not a name (lowercase letters, digits, hyphens)")
    slug = current("pyproject.toml", r'^name = "(.*)"$')
    if slug not in {TEMPLATE_SLUG, args.slug}:
        sys.exit(f"rename: this project is named {slug!r} already; not renaming it {args.slug!r}")
    pairs = replacements(args)
    changed = 0
    for path in text_files():
        text = original = path.read_text()
        for old, new in pairs:
            text = text.replace(old, new)
        if text != original:
            path.write_text(text)
            changed += 1
    print(f"rename: {changed} files changed")
    if changed and shutil.which("uv"):
        subprocess.run(["uv", "lock", "--quiet"], cwd=ROOT, check=True)
        print("rename: uv.lock updated")
        # A name of another length moves lines: the locked ruff wraps them as it would.
        format_ = ["uv", "run", "--locked", "--only-group", "lint", "ruff", "format", "--quiet"]
        subprocess.run([*format_, "."], cwd=ROOT, check=True)
        print("rename: formatted with ruff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
