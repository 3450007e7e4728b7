"""A bare FastAPI app with the service's routes and nothing else: what FastAPI itself
costs on the same server in the same image."""

import logging
import os

from fastapi import FastAPI

# No telemetry, docs, middleware or logging of its own: FastAPI as its docs first show it.
app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}


@app.get("/health/ready")
async def read_readiness() -> dict[str, str]:
    return {"status": "ready"}


# The floor writes no access line. BARE_ACCESS_LOG=true keeps uvicorn's, one plain line per
# request: `fastapi run`'s own default. (uvicorn configures logging before it imports this
# module, so the level set here holds.)
if os.environ.get("BARE_ACCESS_LOG") != "true":
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
