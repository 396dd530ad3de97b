"""Annotations over HTTP: the append-only log read in pages, and rows written all or nothing, idempotently."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, select

from answerkey.jsonable import records
from answerkey.project.access import Principal
from answerkey.project.annotation_rows import MAX_ROWS, AnnotationWrite, append_annotation_rows
from answerkey.store import tables as t
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["AnnotationRow", "router"]

router = APIRouter(tags=["annotations"])

ID = Field(min_length=1, max_length=255)


class SingleAnnotation(BaseModel):
    """One judgement of the item named in the path; ``annotator_id`` defaults to the token's name and
    ``created_at`` to the time the request arrived."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=1000)
    annotator_id: str | None = Field(default=None, min_length=1, max_length=255)
    created_at: str | None = Field(default=None, max_length=64, description="ISO 8601 date-time")
    source: str | None = Field(default=None, max_length=32,
                               description="human, expert, behavioral, synthetic, model or adjudicated")
    schema_version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    confidence: float | None = Field(default=None, ge=0, le=1)
    note: str | None = Field(default=None, max_length=10_000)


class AnnotationRow(SingleAnnotation):
    """One judgement in the import format."""

    item_id: str = ID


class WriteResult(BaseModel):
    """What a write added."""

    ok: bool
    rows_read: int
    rows_added: int



@router.post("/annotations", status_code=201, response_model=WriteResult,
             summary="Append a list of annotation rows in the import format: all are written or none",
             responses=errors(413))
def post_annotations(
    request: Request,
    rows: Annotated[list[AnnotationRow], Body(max_length=MAX_ROWS)],
    who: Annotated[Principal, Depends(require("annotator"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Rows are checked as a file import checks them (known items, labels of the schema version, timestamps,
    sources); an annotator may write only their own judgements, and only a reviewer an adjudication."""
    return _append(request, [row.model_dump(exclude_none=True) for row in rows], who, idempotency_key)


@router.post("/items/{item_id:path}/annotations", status_code=201, response_model=WriteResult,
             summary="Append one annotation of an item", responses=errors(413))
def post_item_annotation(
    request: Request,
    item_id: Annotated[str, Path(min_length=1, max_length=255)],
    row: SingleAnnotation,
    who: Annotated[Principal, Depends(require("annotator"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The same checks as the bulk write, for one judgement."""
    return _append(request, [{"item_id": item_id, **row.model_dump(exclude_none=True)}], who, idempotency_key)


def _append(request: Request, plain_rows: list[dict[str, Any]], who: Principal, idempotency_key: str | None) -> Any:
    workspace = request.app.state.workspace
    schema = workspace.schema()
    write = AnnotationWrite(who.name, on_behalf=who.can("reviewer"), adjudicate=who.can("reviewer"),
                            reserved=workspace.config.authority)

    def run(connection: Connection) -> Outcome:
        counts = append_annotation_rows(connection, schema, plain_rows, write)
        return Outcome(201, {"ok": True, **counts}, audit=counts)

    items = sorted({row["item_id"] for row in plain_rows})
    outcome = request.app.state.writer.write(
        who, "annotations.append", ", ".join(items[:5]) + (" ..." if len(items) > 5 else ""), run,
        key=idempotency_key, fingerprint=request_hash("POST", "/api/annotations", plain_rows))
    return written(outcome)


@router.get("/annotations", summary="The annotation log, oldest first, in pages", responses=errors())
def get_annotations(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    item_id: Annotated[str | None, Query(max_length=255)] = None,
    annotator_id: Annotated[str | None, Query(max_length=255)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Every judgement as it was appended (withdrawals and superseded ones included: the log is the record)."""
    a = t.annotations.c
    where = [column == value for column, value in
             ((a.item_id, item_id), (a.annotator_id, annotator_id), (a.source, source)) if value is not None]
    columns = [a.annotation_id, a.item_id, a.annotator_id, a.label, a.source, a.schema_version, a.created_at,
               a.confidence, a.note, a.recorded_at]
    with request.app.state.workspace.reading() as connection:
        total = int(connection.execute(select(func.count()).select_from(t.annotations).where(*where)).scalar_one())
        rows = connection.execute(select(*columns).where(*where).order_by(a.annotation_id)
                                  .limit(page.limit).offset(page.offset)).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in columns])
    return paged(records(frame) or [], total, page)
