"""The variables of a developer's shell that would change what the project runs."""

import os

# The service's own settings and the server's, and what compose.yaml interpolates.
_PREFIXES = ("APP_", "OTEL_", "FASTAPI_", "PROMETHEUS_")
_NAMES = frozenset(
    {
        "FORWARDED_ALLOW_IPS",
        "WEB_CONCURRENCY",
        "PORT",
        "DOMAIN",
        "IMAGE",
        "PROXY_SUBNET",
        "PUBLISH_ADDRESS",
        "HTTP_PORT",
        "HTTPS_PORT",
        "DEV_PORT",
    }
)


def shell_settings(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """The names in `environ` that configure the service, its server or its stack."""
    return sorted(n for n in environ if n.startswith(_PREFIXES) or n in _NAMES)


def clean_environ() -> dict[str, str]:
    """This process's environment without any of those."""
    drop = set(shell_settings())
    return {name: value for name, value in os.environ.items() if name not in drop}
