"""Consensus over HTTP: every item's ground-truth label as the workspace derives it now, or one item's."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request

from answerkey.config import CONSENSUS_METHODS
from answerkey.errors import ParameterError
from answerkey.jsonable import records
from answerkey.project.access import Principal
from answerkey.project.consensus import workspace_consensus
from answerkey.project.items import get_item
from answerkey.web.api.responses import errors
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(tags=["consensus"])

Method = Annotated[str | None, Query(
    max_length=32, description="auto, majority, weighted-majority, dawid-skene, one-coin or glad (default: the "
    "workspace's [ground_truth] method).", json_schema_extra={"enum": list(CONSENSUS_METHODS)})]


def _labels(request: Request, method: str | None) -> tuple[str, pd.DataFrame]:
    workspace = request.app.state.workspace
    method = method or workspace.config.consensus_method
    if method not in CONSENSUS_METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(CONSENSUS_METHODS)}", method)
    chosen, labels = workspace_consensus(workspace, method)
    return chosen, labels.sort_values("item_id", kind="stable").reset_index(drop=True)


@router.get("/consensus", summary="Consensus labels of the judged items, by item id, in pages",
            response_description="A page of labels (item_id, label, confidence, status), the method used and the "
            "count of each status", responses=errors())
def consensus(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    method: Method = None,
) -> dict[str, Any]:
    """The current schema version's judgements (model sources excluded) with the workspace's authority policy:
    adjudicated, then expert labels outrank the crowd. Ties are ``disputed``, never broken silently."""
    chosen, labels = _labels(request, method)
    counts = {str(k): int(v) for k, v in labels["status"].value_counts().sort_index().items()}
    window = labels.iloc[page.offset:page.offset + page.limit].drop(columns="method", errors="ignore")
    return paged(records(window) or [], len(labels), page, method=chosen, status_counts=counts)


@router.get("/consensus/{item_id:path}", summary="One item's consensus label",
            response_description="The item's label, confidence and status (unlabeled when nobody judged it)",
            responses=errors(404))
def item_consensus(
    request: Request,
    item_id: Annotated[str, Path(min_length=1, max_length=255)],
    _who: Annotated[Principal, Depends(require("viewer"))],
    method: Method = None,
) -> dict[str, Any]:
    """Derived with every other item's judgements (the crowd models learn from all of them)."""
    get_item(request.app.state.workspace, item_id)
    chosen, labels = _labels(request, method)
    row = records(labels[labels["item_id"] == item_id].drop(columns="method", errors="ignore")) or [
        {"item_id": item_id, "label": None, "confidence": None, "status": "unlabeled"}]
    return {"ok": True, "method": chosen, **row[0]}
