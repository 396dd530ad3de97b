"""The annotators page: each person's agreement with the consensus and with every other person (with
intervals), their estimated confusion matrix, and who drifted in how they label."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.errors import AnswerkeyError
from answerkey.project.access import Principal
from answerkey.project.annotator_agreement import annotator_agreement
from answerkey.project.annotators import workspace_drift
from answerkey.project.workspace import Workspace
from answerkey.web.charts import heatmap_figure, interval_figure, kappa_matrix_figure
from answerkey.web.pages import render
from answerkey.web.security import require
from answerkey.web.views._format import rows, worst_first

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

DRIFT_WINDOW = "month"


@router.get("/annotators", response_class=HTMLResponse)
def annotators_page(
    request: Request, _who: Annotated[Principal, Depends(require("viewer"))],
    annotator: Annotated[str | None, Query(max_length=200)] = None,
    schema_version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Agreement per annotator and per pair, one annotator's confusion matrix, annotation drift."""
    workspace: Workspace = request.app.state.workspace
    result = annotator_agreement(workspace, schema_version)
    table = rows(result.profiles.table)
    names = [str(row["annotator_id"]) for row in table]
    chosen = annotator if annotator in names else (names[-1] if names else None)
    confusion = None
    if chosen is not None:
        matrix = result.profiles.confusions[next(a for a in result.profiles.confusions if str(a) == chosen)]
        confusion = heatmap_figure(matrix.to_numpy().tolist(), [str(c) for c in matrix.columns],
                                   [str(i) for i in matrix.index], f"{chosen}: estimated confusion (Dawid-Skene)",
                                   x_title="label given", y_title="true label", zmin=0.0, zmax=1.0)
    pairs = rows(result.pairs)
    return render(
        request, "annotators.html", table=table, pairs=pairs, chosen=chosen, names=names,
        confidence=result.confidence, schema_version=schema_version or workspace.schema().version,
        consensus_chart=interval_figure(
            names, [row["agreement_with_consensus"] for row in table], [row["consensus_low"] for row in table],
            [row["consensus_high"] for row in table],
            f"Agreement with the consensus ({result.confidence:.0%} Wilson intervals)",
            value_title="share of judgements equal to the consensus") if table else None,
        pairs_chart=kappa_matrix_figure(pairs, "Cohen's kappa of each pair") if pairs else None,
        confusion_chart=confusion, drift=_drift(workspace),
    )


def _drift(workspace: Workspace) -> dict[str, Any]:
    """Annotation drift over all schema versions, or why it could not be measured."""
    try:
        drift = workspace_drift(workspace, DRIFT_WINDOW)
    except AnswerkeyError as exc:  # e.g. a store whose judgements carry no time
        return {"findings": [], "tested": 0, "window": DRIFT_WINDOW, "note": f"Drift not measured: {exc}"}
    return {"findings": worst_first(drift.findings), "tested": len(drift.windows), "window": DRIFT_WINDOW,
            "note": ""}
