"""The monitoring page: a recorded monitor run (the latest by default, any other on request): realized and
estimated performance by window, label lag, drift, what the monitor found, and its retraining decision."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.project.access import Principal
from answerkey.project.monitor_history import get_monitor_run, monitor_runs
from answerkey.project.workspace import Workspace
from answerkey.web.charts import coverage_figure, drift_figure, performance_figure
from answerkey.web.pages import render
from answerkey.web.security import require
from answerkey.web.views._format import as_findings, worst_first

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PREFERRED = ("accuracy", "f1_macro", "roc_auc_macro", "roc_auc", "mae")
DECISIONS = {"retrain": "Retrain now", "wait_for_labels": "Wait for labels",
             "refresh_ground_truth": "Refresh the ground truth first", "no_action": "No action needed"}


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(
    request: Request, _who: Annotated[Principal, Depends(require("viewer"))],
    run: Annotated[str | None, Query(max_length=64)] = None,
    metric: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One recorded run (``?run=ID``; default the latest) and the list to choose another from."""
    workspace: Workspace = request.app.state.workspace
    runs = monitor_runs(workspace)
    if not runs:
        return render(request, "monitoring.html", runs=[], result=None)
    result = get_monitor_run(workspace, run or runs[0]["run_id"])
    metrics = _overall_metrics(result)
    chosen = metric if metric in metrics else _default_metric(result, metrics)
    signal = result.get("signal") or {}
    lag = result["lag"]
    return render(
        request, "monitoring.html", runs=runs, result=result, metrics=metrics, metric=chosen,
        decision=DECISIONS.get(result["decision"], result["decision"]), signal=signal,
        lag=lag | {key: _duration(lag.get(key)) for key in ("median", "p90", "p99", "maturity_lag")},
        windows=_windows(result, chosen), findings=worst_first(as_findings(result.get("findings") or [])),
        performance_chart=performance_figure(result["realized"], result.get("estimated") or [], chosen)
        if chosen else None,
        coverage_chart=coverage_figure(lag["windows"]) if lag.get("windows") else None,
        drift_chart=drift_figure(result["drift"]) if result.get("drift") else None,
        mismatch=result.get("mismatch") or [], multivariate=result.get("multivariate"),
    )


def _overall_metrics(result: dict[str, Any]) -> list[str]:
    """The metrics measured over whole windows (not per class), in the order the run reports them."""
    return list(dict.fromkeys(r["metric"] for r in result["realized"] if r.get("label") is None))


def _default_metric(result: dict[str, Any], metrics: list[str]) -> str | None:
    """The first preferred metric that has an estimate too, else the first preferred one measured."""
    estimated = {r.get("realized_metric") for r in result.get("estimated") or []}
    for candidates in ([m for m in PREFERRED if m in estimated], PREFERRED, metrics):
        for name in candidates:
            if name in metrics:
                return name
    return None


def _windows(result: dict[str, Any], metric: str | None) -> list[dict[str, Any]]:
    """One row per window: realized (interval, outcomes), estimated (band, alert) and label coverage."""
    realized = {str(r["window_start"])[:10]: r for r in result["realized"]
                if r["metric"] == metric and r.get("label") is None}
    estimated = {str(r["window_start"])[:10]: r for r in result.get("estimated") or []
                 if r.get("realized_metric") == metric}
    lag = {str(w["window_start"])[:10]: w for w in result["lag"].get("windows") or []}
    return [{"window": window, "realized": realized.get(window), "estimated": estimated.get(window),
             "lag": lag.get(window)} for window in sorted(set(realized) | set(estimated) | set(lag))]


def _duration(text: Any) -> str:
    """An ISO 8601 duration as days (hours under a day), for reading."""
    if not text:
        return "n/a"
    hours = pd.Timedelta(text).total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 24 else f"{hours / 24:.1f} days"
