"""The agent-evaluation pages: every recorded run, one run's verdicts with the gold and the agent's SQL side by
side and the context gaps behind its failures ranked, one question's two results side by side, and what changed
between two runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.analytics.runs import compare_runs, list_runs
from answerkey.analytics.warehouse import shown_url
from answerkey.project.access import Principal
from answerkey.project.eval_report import eval_report, question_results
from answerkey.project.workspace import Workspace
from answerkey.web.charts import accuracy_figure
from answerkey.web.pages import render
from answerkey.web.security import require
from answerkey.web.views._format import rows

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

RunId = Annotated[str, Query(max_length=128)]


@router.get("/evals", response_class=HTMLResponse)
def evals_page(request: Request, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """Every recorded run, newest first, accuracy over time, and a form to compare two runs."""
    runs = rows(list_runs(request.app.state.workspace))
    for run in runs:
        run["warehouse"] = shown_url(str(run["warehouse"]))
    return render(request, "evals.html", runs=list(reversed(runs)),
                  chart=accuracy_figure(runs) if len(runs) > 1 else None)


@router.get("/evals/compare", response_class=HTMLResponse)
def compare_page(request: Request, before: RunId, after: RunId,
                 _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """What got better or worse from run ``before`` to run ``after``."""
    summary, changes = compare_runs(request.app.state.workspace, before, after)
    return render(request, "evals_compare.html", summary=summary,
                  changes=[change.__dict__ | {"direction": change.direction} for change in changes])


@router.get("/evals/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """One run: verdict counts, accuracy by tag, context gaps ranked, each question's verdict and both SQL."""
    workspace: Workspace = request.app.state.workspace
    report = eval_report(workspace, run_id)
    run = report.run | {"warehouse": shown_url(str(report.run["warehouse"]))}
    questions = [_question(row, report.questions.get(str(row["question_id"])))
                 for row in rows(report.results)]
    questions.sort(key=lambda q: (q["verdict"] == "pass", q["question_id"]))
    return render(request, "evals_run.html", run=run, summary=report.summary, questions=questions,
                  golden_note=report.golden_note)


@router.get("/evals/{run_id}/questions/{question_id}", response_class=HTMLResponse)
def question_page(request: Request, run_id: str, question_id: str,
                  _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """One question of a run: both SQL statements and both results (executed again, read-only)."""
    found = question_results(request.app.state.workspace, run_id, question_id)
    return render(request, "evals_question.html", run=found.run, result=_question(found.result, found.question),
                  question=found.question, gold=found.gold, answer=found.answer)


def _question(row: dict[str, Any], golden: Any) -> dict[str, Any]:
    differences = row.get("differences") or []
    return row | {"text": golden.question if golden is not None else None,
                  "sql_differences": [d for d in differences if not str(d["kind"]).startswith("context:")],
                  "gaps": [d for d in differences if str(d["kind"]).startswith("context:")]}

