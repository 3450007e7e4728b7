"""Typed settings, read once from the environment when the service starts."""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BeforeValidator, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "APP_"

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


def _lower(value: object) -> object:
    # Accept LOG_LEVEL=INFO as well as info: both spellings are common in deployments.
    return value.lower() if isinstance(value, str) else value


class Settings(BaseSettings):
    """Everything the service can be told from outside, each as APP_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True)

    log_level: Annotated[LogLevel, BeforeValidator(_lower)] = "info"
    docs_enabled: bool = True
    root_path: str = ""

    @field_validator("root_path")
    @classmethod
    def _root_path_is_a_prefix(cls, value: str) -> str:
        if value and (not value.startswith("/") or value.endswith("/")):
            msg = "must be empty or a path such as /api: starting with '/', not ending with '/'"
            raise ValueError(msg)
        return value


def describe_error(error: ValidationError) -> str:
    """One line naming each invalid variable and what is wrong with it."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{ENV_PREFIX}{field.upper()}: {message}")
    return "invalid configuration: " + "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    """The settings of this process; an invalid value ends it with one line, not a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(describe_error(error)) from None
