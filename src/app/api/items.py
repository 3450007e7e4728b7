"""Items: GET /items/{item_id}."""

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(prefix="/items", tags=["items"])


class Item(BaseModel):
    item_id: int
    q: str | None


@router.get("/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> Item:
    """Echo an item id and the optional query string `q`."""
    return Item(item_id=item_id, q=q)
