"""The service's front door: GET /."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

router = APIRouter(tags=["root"])


class Greeting(BaseModel):
    # The documented body is {"Hello": "World"}; the alias keeps that key without a
    # capitalised attribute in Python.
    hello: str = Field(serialization_alias="Hello")


@router.get("/")
async def read_root() -> Greeting:
    """Greet the caller."""
    return Greeting(hello="World")
