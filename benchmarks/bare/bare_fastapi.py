"""A bare FastAPI app with the service's routes and nothing else: what FastAPI itself
costs on the same server in the same image."""

from fastapi import FastAPI

# No telemetry, docs, middleware or logging of its own: FastAPI as its docs first show it.
app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}


@app.get("/health/ready")
async def read_readiness() -> dict[str, str]:
    return {"status": "ready"}
