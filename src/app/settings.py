"""Typed settings, read once from the environment when the service starts."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "APP_"
# Docker (compose `secrets:`) and Kubernetes mount secrets as files here: a file named
# APP_<NAME> holds that setting's value. The environment wins over a file.
SECRETS_DIR = Path("/run/secrets")

LogLevel = Literal["critical", "error", "warning", "info", "debug"]
# json: one object per line, for log pipelines (the image's default); text: for people.
LogFormat = Literal["json", "text"]


def _lower(value: object) -> object:
    # Accept LOG_LEVEL=INFO as well as info: both spellings are common in deployments.
    return value.lower() if isinstance(value, str) else value


class Endpoint(BaseModel, frozen=True):
    """A TCP dependency the service waits for before starting: host and port."""

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _endpoints(value: object) -> object:
    # APP_WAIT_FOR=db:5432,cache:6379, the shape compose files and manifests use.
    if not isinstance(value, str):
        return value
    endpoints = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep:
            msg = f"{item!r} is not host:port"
            raise ValueError(msg)
        endpoints.append({"host": host, "port": port})
    return endpoints


class Settings(BaseSettings):
    """Everything the service can be told from outside, each as APP_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True)

    log_level: Annotated[LogLevel, BeforeValidator(_lower)] = "info"
    # text here, for `fastapi dev`; the image sets APP_LOG_FORMAT=json.
    log_format: Annotated[LogFormat, BeforeValidator(_lower)] = "text"
    # Off where a proxy in front already logs every request (compose, Kubernetes): one
    # line per request costs the server a noticeable share of its throughput.
    access_log: bool = True
    docs_enabled: bool = True
    # GET /metrics, in Prometheus's format, for a scraper on the internal network.
    metrics_enabled: bool = True
    wait_for: Annotated[tuple[Endpoint, ...], NoDecode, BeforeValidator(_endpoints)] = ()
    wait_timeout: float = Field(default=30.0, gt=0, le=3600)


def describe_error(error: ValidationError) -> str:
    """One line naming each invalid variable and what is wrong with it."""
    problems = []
    for item in error.errors(include_url=False):
        # loc is (field, index, subfield...) for nested values: the variable is the field.
        variable = f"{ENV_PREFIX}{str(item['loc'][0]).upper()}"
        detail = "".join(f"[{part}]" for part in item["loc"][1:])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}{detail}: {message}")
    return "invalid configuration: " + "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once; an invalid value raises ValidationError."""
    # Only where the directory exists: pydantic-settings warns about a missing one.
    return Settings(_secrets_dir=SECRETS_DIR) if SECRETS_DIR.is_dir() else Settings()


def settings_or_exit() -> Settings:
    """For the entry points: the APP_* settings, or, if one is invalid, the process ends
    with one line naming it and exit 1."""
    try:
        return get_settings()
    except ValidationError as error:
        raise SystemExit(describe_error(error)) from None
