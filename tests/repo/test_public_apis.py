"""The service uses its dependencies through their public APIs only: no underscore module
or name, no private ASGI scope key, no instance's class swapped."""

import ast
from pathlib import Path

import pytest

from testing.paths import PROJECT_ROOT

SOURCES = sorted((PROJECT_ROOT / "src" / "app").rglob("*.py"))
# OpenTelemetry documents its logs SDK under this name while the API is experimental.
ALLOWED = {"opentelemetry.sdk._logs"}
OWN = "app"


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


_MUTATORS = frozenset({"clear", "update", "append", "extend", "pop", "setdefault", "remove"})


def private_uses(source: str) -> list[str]:
    """Each use of a dependency's private name, a private scope key, a class swap, or a
    dependency's module global rewritten."""
    tree = ast.parse(source)
    strings = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    modules = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.split(".")[0] != OWN
    }

    def dotted_string(node: ast.expr) -> bool:
        value: object = strings.get(node.id) if isinstance(node, ast.Name) else None
        if isinstance(node, ast.Constant):
            value = node.value
        return isinstance(value, str) and "." in value

    def of_a_dependency(node: ast.expr) -> bool:
        # a.b.c where `a` is a module this source imported: another package's global.
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in modules

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # The module, or else each name taken from it.
            imported = (
                [node.module]
                if _private(node.module)
                else [f"{node.module}.{alias.name}" for alias in node.names]
            )
        else:
            imported = []
        found += [
            f"import {name}"
            for name in imported
            if name.split(".")[0] != OWN and _private(name) and name not in ALLOWED
        ]
        # scope["fastapi.telemetry"], "fastapi.telemetry" in scope: a namespaced key is
        # some library's own state.
        if isinstance(node, ast.Subscript) and dotted_string(node.slice):
            found.append(f"key {ast.unparse(node)}")
        if isinstance(node, ast.Compare) and dotted_string(node.left):
            found.append(f"key {ast.unparse(node)}")
        if isinstance(node, ast.Assign):
            found += [
                f"class swap {ast.unparse(t)}"
                for t in node.targets
                if isinstance(t, ast.Attribute) and t.attr == "__class__"
            ]
            found += [
                f"global rewritten {ast.unparse(t)}"
                for t in node.targets
                if isinstance(t, ast.Attribute) and of_a_dependency(t)
            ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
            and isinstance(node.func.value, ast.Attribute)
            and of_a_dependency(node.func.value)
        ):
            found.append(f"global rewritten {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_no_module_uses_a_private_name_of_a_dependency(path: Path) -> None:
    assert private_uses(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "from fastapi.telemetry._asgi import NativeTelemetry",
        "import uvicorn._types",
        "from opentelemetry.trace import _TRACER_PROVIDER",
        'scope["fastapi.telemetry"] = None',
        'if "fastapi.telemetry" in scope: pass',
        'MARKER = "fastapi.telemetry"\nscope[MARKER] = None',
        "app.__class__ = Gated",
        "import uvicorn.config\nuvicorn.config.LOGGING_CONFIG.clear()",
        "import uvicorn.config\nuvicorn.config.LOGGING_CONFIG = {}",
    ],
)
def test_the_check_finds_each_kind_of_private_use(source: str) -> None:
    assert len(private_uses(source)) == 1


def test_the_documented_exception_and_the_service_s_own_names_pass() -> None:
    source = (
        "from opentelemetry.sdk._logs import LoggerProvider\nfrom app.main import _served_app\n"
    )
    assert private_uses(source) == []
