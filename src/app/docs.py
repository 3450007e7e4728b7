"""The interactive docs: Swagger UI and ReDoc, served with their assets by this service."""

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where the Swagger UI and ReDoc scripts and styles are served from.
ASSETS = "/docs-assets"
PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")

# Everything from this origin and nothing from anywhere else: the pages' own inline
# start-up scripts and styles, their workers (ReDoc's search), data: images. This also
# stops ReDoc's bundled logo from being fetched from its vendor's CDN.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; "
    b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
    b"connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    b"frame-ancestors 'none'"
)


def with_docs(**options: Any) -> FastAPI:
    """An app whose /docs and /redoc load every asset from the service itself.

    fastapi-offline ships the assets, so the docs work in an air-gapped cluster; the
    pages carry a Content-Security-Policy that allows nothing from another origin.
    `options` are FastAPI's own (title, version, lifespan, ...).
    """
    app: FastAPI = FastAPIOffline(static_url=ASSETS, **options)
    app.add_middleware(DocsContentSecurityPolicy, pages=PAGES)
    return app


def without_docs(**options: Any) -> FastAPI:
    """An app with no docs pages, no assets and no schema."""
    return FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **options)


class DocsContentSecurityPolicy:
    """Add the Content-Security-Policy header to the docs pages' responses."""

    def __init__(self, app: ASGIApp, pages: Collection[str]) -> None:
        self.app = app
        self.pages = frozenset(pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route_path(scope) not in self.pages:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                policy = (b"content-security-policy", CONTENT_SECURITY_POLICY)
                headers = [*message.get("headers", []), policy]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def _route_path(scope: Scope) -> str:
    # The path the routes see: without the root path, whether or not the proxy stripped it.
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path.removeprefix(root) if root and path.startswith(f"{root}/") else path
