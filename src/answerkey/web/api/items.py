"""Items over HTTP: read in pages or one by one, and added as JSON rows by the rules of a file import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from answerkey.project.access import Principal
from answerkey.project.annotation_rows import MAX_ROWS
from answerkey.project.items import append_item_rows, get_item, list_items
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["ItemRow", "router"]

router = APIRouter(tags=["items"])

ItemId = Annotated[str, Path(min_length=1, max_length=255, description="The item's id.")]


class ItemRow(BaseModel):
    """One item as an import takes it: its id, its payload (any JSON object), and optional group, segment and
    time."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=255)
    payload: dict[str, Any] = Field(description="The item's content: text or feature fields (not item_id, "
                                                "group_id, segment or created_at, which are the item's own).")
    group_id: str | None = Field(default=None, min_length=1, max_length=255,
                                 description="Items of a group stay in one split.")
    segment: str | None = Field(default=None, min_length=1, max_length=255)
    created_at: str | None = Field(default=None, max_length=64, description="ISO 8601 date-time")


@router.get("/items", summary="The items, by id, in pages", response_description="A page of items, each with "
            "its payload and its number of judgements", responses=errors())
def items(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    segment: Annotated[str | None, Query(max_length=255, description="Only this segment's items.")] = None,
) -> dict[str, Any]:
    """Items with payload, group, segment, created_at and ``annotations`` (their judgements, withdrawals not
    counted)."""
    rows, total = list_items(request.app.state.workspace, segment=segment, limit=page.limit, offset=page.offset)
    return paged(rows, total, page)


@router.get("/items/{item_id:path}", summary="One item", response_description="The item: payload, group, segment, "
            "created_at and its number of judgements", responses=errors(404))
def item(
    request: Request, item_id: ItemId, _who: Annotated[Principal, Depends(require("viewer"))],
) -> dict[str, Any]:
    """An unknown item is a 404."""
    return {"ok": True, **get_item(request.app.state.workspace, item_id)}


@router.post("/items", status_code=201, summary="Add items: all are added or none",
             response_description="How many items were read, added and skipped (known, with the same payload)",
             responses=errors(413))
def add_items(
    request: Request,
    rows: Annotated[list[ItemRow], Body(max_length=MAX_ROWS)],
    who: Annotated[Principal, Depends(require("reviewer"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Reviewers and admins add items as ``answerkey import items`` does: an item already stored with the same
    payload is skipped; with another payload the whole request is refused (an item's content is never
    replaced); an id twice in one request is refused. Send an ``Idempotency-Key`` to retry safely."""
    plain_rows = [row.model_dump(exclude_none=True) for row in rows]

    def run(connection: Connection) -> Outcome:
        counts = append_item_rows(connection, plain_rows)
        return Outcome(201, {"ok": True, **counts}, audit=counts)

    ids = [row.item_id for row in rows]
    target = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
    return written(request.app.state.writer.write(who, "items.add", target, run, key=idempotency_key,
                                                  fingerprint=request_hash("POST", "/api/items", plain_rows)))
