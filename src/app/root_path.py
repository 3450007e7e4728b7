"""Serve the app under a path prefix that a proxy strips (APP_ROOT_PATH)."""

from starlette.types import ASGIApp, Receive, Scope, Send


class RootPathMiddleware:
    """Set the ASGI `root_path`, as `fastapi run --root-path` would.

    A setting rather than a CLI flag so that it reaches the server in an exec-form CMD,
    where no shell expands variables. With it, the docs and OpenAPI `servers` carry the
    prefix, and routes match whether or not the proxy strips it.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            # In place, as FastAPI sets its own root_path: what the routing adds to the
            # scope (the matched route) stays visible to the middleware outside this one.
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)
