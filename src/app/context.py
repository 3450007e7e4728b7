"""The request being handled, as every log line written while handling it sees it."""

from contextvars import ContextVar

# Set by app.request_context.RequestContext for the whole of one request's handling.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside any request."""
    return REQUEST_ID.get()
