"""Findings over HTTP: what the recorded check runs found (leakage, feedback loops, ledger...), in one shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from answerkey.project.access import Principal
from answerkey.project.findings_log import recorded_findings
from answerkey.web.api.responses import errors
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(tags=["findings"])


@router.get("/findings", summary="The findings of the latest recorded run of each check, in pages",
            response_description="A page of findings, each check/what/where/severity/score/evidence",
            responses=errors())
def findings(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    check: Annotated[str, Query(max_length=255, description="Only checks whose name starts with this, e.g. "
                                                            "leakage or labels.feedback.")] = "",
    severity: Annotated[Literal["error", "warning", "info"] | None, Query(description="Only this severity.")]
    = None,
    release: Annotated[str | None, Query(max_length=255, description="Only runs recorded for this release.")]
    = None,
) -> dict[str, Any]:
    """Runs are recorded by ``--record`` on the checks (``answerkey leakage``, ``labels feedback-check``...);
    a clean run records no finding."""
    found = [f.to_dict() for f in recorded_findings(request.app.state.workspace, check, release)
             if severity is None or f.severity.value == severity]
    return paged(found[page.offset:page.offset + page.limit], len(found), page)
