"""The audit log page (admins only): every write made through the HTTP API or the web UI, newest first, paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.project.access import Principal
from answerkey.project.audit import audit_entries
from answerkey.web.pages import render
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PER_PAGE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, _who: Annotated[Principal, Depends(require("admin"))],
    page: Annotated[int, Query(ge=1, le=2**20)] = 1,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """A page of the audit log (``?page=N``), optionally of one actor (``?actor=NAME``)."""
    entries, total = audit_entries(request.app.state.workspace, limit=PER_PAGE, offset=(page - 1) * PER_PAGE,
                                   actor=actor or None)
    pages = max(1, -(-total // PER_PAGE))
    return render(request, "audit.html", entries=entries, total=total, page=page, pages=pages,
                  actor=actor or "", per_page=PER_PAGE)
