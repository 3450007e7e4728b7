"""Probes for orchestrators: liveness and readiness."""

from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]


@router.get("/live")
async def read_liveness() -> Liveness:
    """The process is up and its event loop answers; nothing else is checked."""
    return Liveness(status="alive")


@router.get(
    "/ready",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Readiness}},
)
async def read_readiness(request: Request, response: Response) -> Readiness:
    """The app finished its startup and has not begun shutting down."""
    # Set by the lifespan: absent before startup has run, False once shutdown begins.
    if getattr(request.app.state, "ready", False):
        return Readiness(status="ready")
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="not ready")
