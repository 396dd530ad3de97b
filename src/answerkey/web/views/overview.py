"""The overview page: what the workspace holds, how far annotators agree, what the checks found, and the latest
release and evaluation run. Each part is one library call; agreement (the slowest, about a third of a second on
the 5,000-item demo) is kept by the workspace until the annotations or the schema change."""

from __future__ import annotations

import math
import warnings
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.analytics.runs import list_runs
from answerkey.findings import Finding, Severity
from answerkey.project.access import Principal
from answerkey.project.agreement import default_level, workspace_agreement
from answerkey.project.findings_log import recorded_findings
from answerkey.project.releases import list_releases
from answerkey.project.status import workspace_status
from answerkey.project.workspace import Workspace
from answerkey.quality.agreement import AgreementReport
from answerkey.web.charts import bar_figure
from answerkey.web.pages import render
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FINDINGS_SHOWN = 25
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
COEFFICIENTS = {"krippendorff_alpha": "Krippendorff's alpha", "fleiss_kappa": "Fleiss' kappa",
                "gwet_ac1": "Gwet's AC1", "percent_agreement": "Percent agreement", "cohen_kappa": "Cohen's kappa",
                "brennan_prediger": "Brennan-Prediger"}


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """The workspace at a glance."""
    workspace: Workspace = request.app.state.workspace
    status = workspace_status(workspace)
    agreement, agreement_notes = _agreement(workspace)
    findings = sorted(recorded_findings(workspace), key=_finding_order)
    runs = list_runs(workspace)
    return render(
        request, "overview.html", counts=status, agreement=agreement, agreement_notes=agreement_notes,
        coefficients=_coefficients(agreement), findings=findings[:FINDINGS_SHOWN], findings_total=len(findings),
        findings_by_severity=_by_severity(findings), findings_by_check=_by_check(findings),
        release=_latest_release(workspace), run=_latest_run(runs), runs_total=len(runs),
        chart=bar_figure(status["annotations_by_source"], "Annotations by source",
                         value_title="annotations"),
    )


def _agreement(workspace: Workspace) -> tuple[AgreementReport | None, list[str]]:
    """Agreement among people on the current schema version (masi for label sets, as the CLI defaults), with
    the warnings a degenerate statistic raised; None when nobody has judged anything yet."""
    level = default_level(workspace)
    schema = workspace.schema()

    def measure() -> tuple[AgreementReport | None, list[str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                report = workspace_agreement(workspace, level, schema_version=schema.version)
            except ValueError as exc:  # no judgements to compare: say so instead of failing the page
                return None, [str(exc).split("\n")[0]]
        return report, sorted({str(w.message) for w in caught})

    # (the warnings are caught process-wide: the workspace's lock keeps two overviews from measuring at once)
    key = (workspace.annotations_key(), workspace.config.exclude_sources, level, schema.version,
           tuple(schema.label_names))
    return workspace.derived("overview agreement", key, measure)


def _coefficients(report: AgreementReport | None) -> list[dict[str, Any]]:
    if report is None:
        return []
    return [{"name": COEFFICIENTS.get(name, name.replace("_", " ")), "value": _number(estimate.value),
             "items": estimate.n_items} for name, estimate in report.estimates.items()]


def _finding_order(finding: Finding) -> tuple[int, float, str]:
    score = finding.score if finding.score is not None and not math.isnan(finding.score) else -math.inf
    return SEVERITY_ORDER.get(finding.severity, 3), -score, finding.check


def _by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {severity.value: 0 for severity in SEVERITY_ORDER}
    for finding in findings:
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    return counts


def _by_check(findings: list[Finding]) -> list[dict[str, Any]]:
    """How many findings each check has, worst severity first."""
    counts: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = counts.setdefault(finding.check, {"check": finding.check, "severity": finding.severity.value,
                                                  "count": 0})
        entry["count"] += 1
    return sorted(counts.values(), key=lambda e: (SEVERITY_ORDER.get(Severity(e["severity"]), 3), -e["count"]))


def _latest_release(workspace: Workspace) -> dict[str, Any] | None:
    releases = list_releases(workspace)
    return releases[-1] if releases else None


def _latest_run(runs: pd.DataFrame) -> dict[str, Any] | None:
    if runs.empty:
        return None
    row = runs.iloc[-1]
    return {"run_id": str(row["run_id"]), "agent": str(row["agent"]), "started_at": row["started_at"],
            "questions": int(row["questions"]), "passed": int(row["passed"]), "accuracy": _number(row["accuracy"])}


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
