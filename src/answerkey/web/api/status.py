"""``GET /api/status``: what ``answerkey status --json`` prints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from answerkey.project.access import Principal
from answerkey.project.status import workspace_status
from answerkey.web.api.responses import errors
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(tags=["workspace"])


@router.get("/status", summary="The workspace's counts, as `answerkey status --json` prints them",
            responses=errors())
def status(request: Request, _who: Annotated[Principal, Depends(require("viewer"))]) -> dict[str, Any]:
    """Items, annotators, annotations by source and schema version, releases, the latest release."""
    return dict(workspace_status(request.app.state.workspace))
