"""What the API's routes share: the error responses they document (every one the envelope) and a write's
response, which says when it replays an earlier one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from answerkey.web.writer import Outcome

__all__ = ["ErrorEnvelope", "IdempotencyKey", "errors", "written"]


class ErrorEnvelope(BaseModel):
    """Every error of the API: a sentence, the problems one by one (field, row, found, expected), the status."""

    ok: bool
    error: str
    errors: list[dict[str, Any]]
    status: int


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255,
                                              description="Send the same key to retry safely: applied once.")]
"""The header that makes a write safe to retry: the same key again replays the first response."""

WHY = {
    401: "no token, or a token that is unknown or revoked",
    403: "the token's role is not enough for this",
    404: "no such thing in this workspace",
    409: "the request conflicts with what is stored (a name taken, a release that never changes)",
    413: "the request body is over 8 MiB",
    422: "the request is not valid; nothing was written",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses of a route: 401, 403 and 422 always, and ``statuses``."""
    return {status: {"model": ErrorEnvelope, "description": WHY[status]}
            for status in sorted({401, 403, 422, *statuses})}


def written(outcome: Outcome, **extra: Any) -> JSONResponse:
    """A write's response; ``Idempotent-Replayed: true`` when it repeats the first response to its key."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse({**outcome.body, **extra}, status_code=outcome.status, headers=headers)
