"""Make this project yours: its name, title, description, image and domain, everywhere.

    python3 scripts/rename.py --slug NAME --title TITLE --description TEXT \\
        --image REGISTRY/PATH --domain HOST

`copier copy` runs it with the answers; on a clone it runs by hand the same way. It
reads the current values from the files that define them, replaces each in every text
file of the tree, re-locks with uv (the package name is in uv.lock) and formats with the
locked ruff. Run again with the same values it changes nothing; once the project carries
a name of its own, it refuses another.

In a copy, which leaves the template's own proof behind, it also removes
what speaks of that proof: each region of a text file from a line that says
`template-only: start` to one that says `template-only: end`, and renovate.json's
`ignorePaths` entries that match nothing any more.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

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


def without_template_only(path: Path, text: str) -> str:
    """`text` without its template-only regions, each from its start marker's line to its
    end marker's. A region between blank lines takes one of them along, so that a
    paragraph goes whole. A marker out of its pair is an error."""
    kept: list[str] = []
    opened = 0  # the line of the open region's start marker; 0 outside one
    closed = False  # the line before was a region's end marker
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        starts, ends = "template-only: start" in line, "template-only: end" in line
        if (starts and opened) or (ends and not opened):
            unpaired(path, number)
        if starts:
            opened = number
        elif ends:
            opened, closed = 0, True
            continue
        elif not opened and not (closed and line == "\n" and kept[-1:] == ["\n"]):
            kept.append(line)
        closed = False
    if opened:
        unpaired(path, opened)
    return "".join(kept)


def unpaired(path: Path, line: int) -> NoReturn:
    where = f"{path.relative_to(ROOT)}:{line}"
    sys.exit(f"rename: {where}: a template-only marker without its pair; nothing renamed")


def without_ignores_of_what_is_gone(text: str) -> str:
    """renovate.json without the `ignorePaths` entries that match no file (JSON has no
    comments to mark a region with)."""
    config = json.loads(text)
    if "ignorePaths" in config:
        config["ignorePaths"] = [p for p in config["ignorePaths"] if any(ROOT.glob(p))]
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


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
    copied = not (ROOT / "template").exists()
    # Every file is worked out before any is written: a refusal leaves the tree as it was.
    changes = {}
    for path in text_files():
        text = original = path.read_text()
        for old, new in pairs:
            text = text.replace(old, new)
        if copied:
            text = without_template_only(path, text)
            if path == ROOT / "renovate.json":
                text = without_ignores_of_what_is_gone(text)
        if text != original:
            changes[path] = text
    for path, text in changes.items():
        path.write_text(text)
    print(f"rename: {len(changes)} files changed")
    if changes and shutil.which("uv"):
        subprocess.run(["uv", "lock", "--quiet"], cwd=ROOT, check=True)
        print("rename: uv.lock updated")
        # A name of another length moves lines: the locked ruff wraps them as it would.
        format_ = ["uv", "run", "--locked", "--only-group", "lint", "ruff", "format", "--quiet"]
        subprocess.run([*format_, "."], cwd=ROOT, check=True)
        print("rename: formatted with ruff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
