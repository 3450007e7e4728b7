"""What the image's runtime venv leaves out must stay unused by the service.

The Dockerfile's UNUSED_PACKAGES drops email-validator: Pydantic's EmailStr and NameEmail
need it, and a model declaring either would fail at import in the image only.
"""

import ast
from collections.abc import Iterator
from typing import Any

from app.main import create_app
from app.settings import Settings
from testing.paths import PROJECT_ROOT

_NEEDS_EMAIL_VALIDATOR = {"EmailStr", "NameEmail", "email_validator"}
_HINT = "needs email-validator: remove it from UNUSED_PACKAGES in the Dockerfile"


def _formats(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            yield schema["format"]
        for value in schema.values():
            yield from _formats(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _formats(value)


def _imported_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
            names.add(node.module or "")
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_schema_of_the_api_is_an_email_address() -> None:
    formats = set(_formats(create_app(Settings()).openapi()))
    assert not formats & {"email", "name-email"}, _HINT


def test_no_module_of_the_service_imports_what_email_validator_backs() -> None:
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(names)
        for path in sorted((PROJECT_ROOT / "src").rglob("*.py"))
        if (names := _imported_names(path.read_text()) & _NEEDS_EMAIL_VALIDATOR)
    }
    assert offenders == {}, _HINT
