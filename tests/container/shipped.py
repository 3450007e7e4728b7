"""The environments the project ships the image with, read from the files that declare them."""

from testing.compose import shipped_environment
from tests.deploy.kustomize import one, render

# The image alone (its defaults), compose.yaml's `app`, the prod overlay's ConfigMap.
CONFIGURATIONS = ("image", "compose", "k8s-prod")


def environment(configuration: str) -> dict[str, str]:
    """The variables `configuration` sets on the server's container."""
    if configuration == "image":
        return {}
    if configuration == "compose":
        return shipped_environment("app")
    data: dict[str, str] = one(render("prod"), "ConfigMap")["data"]
    return data
