"""Administration over HTTP: API tokens (created, listed, revoked; the token text is shown once) and the audit
log of every write. Admins only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from answerkey.project.access import Principal, insert_token, list_tokens, revoke_token_rows
from answerkey.project.audit import audit_entries
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["NewToken", "router"]

router = APIRouter(tags=["admin"])

Admin = Annotated[Principal, Depends(require("admin"))]


class NewToken(BaseModel):
    """Who a token is for (the annotator or reviewer id its writes carry) and its role."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, pattern=r"\S")
    role: Literal["viewer", "annotator", "reviewer", "admin"]


@router.get("/tokens", summary="Every token ever created, oldest first, in pages",
            response_description="A page of tokens: id, name, role, created, revoked (never the token itself)",
            responses=errors())
def tokens(request: Request, _who: Admin, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    """Revoked tokens are listed too, with when."""
    rows = [token.to_dict() for token in list_tokens(request.app.state.workspace)]
    return paged(rows[page.offset:page.offset + page.limit], len(rows), page)


@router.post("/tokens", status_code=201, summary="Create a token; its text is in this response and never again",
             response_description="The token's record and, once, the token", responses=errors(413))
def create_token(request: Request, body: NewToken, who: Admin, idempotency_key: IdempotencyKey = None) -> Any:
    """The store keeps only the token's sha256. A retry under the same Idempotency-Key replays the record with
    ``token`` null (the text is not kept anywhere); revoke and create again if it was lost."""
    made: dict[str, str] = {}

    def run(connection: Connection) -> Outcome:
        info, made["token"] = insert_token(connection, body.name, body.role)
        record = info.to_dict()
        return Outcome(201, {"ok": True, **record}, audit={"token_id": record["token_id"], "role": body.role})

    outcome = request.app.state.writer.write(who, "tokens.create", body.name, run, key=idempotency_key,
                                             fingerprint=request_hash("POST", "/api/tokens", body.model_dump()))
    # a replay (or a retry after a concurrent twin won) never shows a token: the one made here was rolled back
    return written(outcome, token=None if outcome.replayed else made.get("token"))


@router.delete("/tokens/{name}", summary="Revoke every live token of a name",
               response_description="How many tokens were revoked (0 when all were revoked already)",
               responses=errors(404))
def revoke(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=255)],
    who: Admin,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A name that never had a token is a 404. Requests with a revoked token are refused from then on (401)."""

    def run(connection: Connection) -> Outcome:
        revoked = revoke_token_rows(connection, name)
        return Outcome(200, {"ok": True, "name": name, "revoked": revoked}, audit={"revoked": revoked})

    return written(request.app.state.writer.write(who, "tokens.revoke", name, run, key=idempotency_key,
                                                  fingerprint=request_hash("DELETE", f"/api/tokens/{name}", None)))


@router.get("/audit", summary="The audit log, newest first, in pages",
            response_description="A page of entries: when, who (and their role), what, on what, and details",
            responses=errors())
def audit(
    request: Request,
    _who: Admin,
    page: Annotated[Page, Depends(page_params)],
    actor: Annotated[str | None, Query(max_length=255, description="Only this person's writes.")] = None,
) -> dict[str, Any]:
    """Every write through the API or the web UI, in the transaction that made it."""
    rows, total = audit_entries(request.app.state.workspace, limit=page.limit, offset=page.offset, actor=actor)
    return paged(rows, total, page)
