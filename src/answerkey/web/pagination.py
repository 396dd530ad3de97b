"""Pages of a list: ``limit`` and ``offset`` in, ``{"ok", "items", "total", "limit", "offset", "next_offset"}`` out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

__all__ = ["MAX_LIMIT", "Page", "page_params", "paged"]

MAX_LIMIT = 1000


class Page(BaseModel):
    """Which slice of a list to return."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31, description="Rows to skip.")] = 0,
) -> Page:
    """The page a request asks for."""
    return Page(limit=limit, offset=offset)


def paged(rows: list[dict[str, Any]], total: int, page: Page, **extra: Any) -> dict[str, Any]:
    """The response for one page; ``next_offset`` is null on the last page."""
    following = page.offset + page.limit
    return {"ok": True, "items": rows, "total": total, "limit": page.limit, "offset": page.offset,
            "next_offset": following if following < total else None, **extra}
