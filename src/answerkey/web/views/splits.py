"""The splits page: each release's split (sizes, how it was made), its seal, and the test ledger (every
evaluation against the sealed test set), with what the contamination check and the ledger found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.errors import NotFoundError
from answerkey.project.access import Principal
from answerkey.project.findings_log import recorded_findings
from answerkey.project.ledger import ledger_report
from answerkey.project.releases import list_releases
from answerkey.project.splits import get_split
from answerkey.project.workspace import Workspace
from answerkey.web.charts import ledger_figure
from answerkey.web.pages import render
from answerkey.web.security import require
from answerkey.web.views._format import rows, worst_first

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CONTAMINATION_SHOWN = 20


@router.get("/splits", response_class=HTMLResponse)
def splits_page(request: Request, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """Every release, newest first, with its split, seal and test ledger (or how to make one)."""
    workspace: Workspace = request.app.state.workspace
    releases = [_release(workspace, row) for row in reversed(list_releases(workspace))]
    return render(request, "splits.html", releases=releases, contamination_shown=CONTAMINATION_SHOWN)


def _release(workspace: Workspace, row: dict[str, Any]) -> dict[str, Any]:
    name = row["name"]
    try:
        split = get_split(workspace, name)
    except NotFoundError:
        return {"name": name, "items": row["item_count"], "split": None}
    ledger = ledger_report(workspace, name)
    entries = rows(ledger.entries)
    contamination = worst_first(recorded_findings(workspace, "contamination", name))
    return {"name": name, "items": row["item_count"], "split": split.summary(), "ledger": ledger.summary,
            "entries": entries, "findings": worst_first(ledger.findings), "contamination": contamination,
            "chart": ledger_figure(entries) if entries else None}
