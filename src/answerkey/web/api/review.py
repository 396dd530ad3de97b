"""The review queue and adjudication over HTTP; a decision carries the item version it was based on, and a
decision on an item that changed since is refused with 409 (optimistic concurrency)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from answerkey.jsonable import records
from answerkey.project.access import Principal
from answerkey.project.adjudication import record_adjudication, review_queue
from answerkey.project.review_item import review_item
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["Decision", "router", "write_decision"]

router = APIRouter(tags=["review"])

ItemId = Annotated[str, Path(min_length=1, max_length=255)]


class Decision(BaseModel):
    """A reviewer's decision: the label, why, and the item version it was based on."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=1000)
    note: str | None = Field(default=None, max_length=10_000, description="the reason for the decision")
    expected_version: int | None = Field(
        default=None, ge=0, le=2**63 - 1,
        description="the item's `version` when it was read; a newer judgement since makes this a 409")


@router.get("/review/queue", summary="Items a person should decide, worst first", responses=errors())
def get_queue(request: Request, _who: Annotated[Principal, Depends(require("viewer"))],
              page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    """Disputed and doubtful items and likely label errors not yet decided by an adjudication or an expert."""
    queue = review_queue(request.app.state.workspace, limit=None)
    window = queue.iloc[page.offset:page.offset + page.limit]
    return paged(records(window) or [], len(queue), page, method=queue.attrs.get("method"))


@router.get("/review/items/{item_id:path}", summary="One item as a reviewer sees it",
            responses=errors(404))
def get_review_item(request: Request, item_id: ItemId,
                    _who: Annotated[Principal, Depends(require("viewer"))]) -> dict[str, Any]:
    """Payload, every standing judgement, the consensus, the candidate labels' definitions, and ``version``."""
    return {"ok": True, **review_item(request.app.state.workspace, item_id).to_dict()}


@router.post("/items/{item_id:path}/adjudication", status_code=201, summary="Decide an item (reviewer)",
             responses=errors(404, 409))
def post_adjudication(request: Request, item_id: ItemId, decision: Decision,
                      who: Annotated[Principal, Depends(require("reviewer"))],
                      idempotency_key: IdempotencyKey = None) -> Any:
    """Appends an ``adjudicated`` judgement by the token's name; it outranks the crowd from now on."""
    return written(write_decision(
        request, who, item_id, decision.label, decision.note, decision.expected_version, key=idempotency_key,
        fingerprint=request_hash("POST", f"/api/items/{item_id}/adjudication", decision.model_dump())))


def write_decision(request: Request, who: Principal, item_id: str, label: str, note: str | None,
                   expected_version: int | None, *, key: str | None = None, fingerprint: str | None = None,
                   ) -> Outcome:
    """A reviewer's decision through the audited write path (the API and the review page both decide here)."""
    schema = request.app.state.workspace.schema()

    def run(connection: Connection) -> Outcome:
        made = record_adjudication(connection, schema, item_id, label, who.name, note,
                                   expected_version=expected_version)
        return Outcome(201, {"ok": True, **made.to_dict()},
                       audit={"label": made.label, "note": made.note, "expected_version": expected_version})

    return request.app.state.writer.write(  # type: ignore[no-any-return]
        who, "adjudicate", item_id, run, key=key, fingerprint=fingerprint)
