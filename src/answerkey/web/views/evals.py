"""The agent-evaluation pages: every recorded run, one run's verdicts with the gold and the agent's SQL side by
side and the context gaps behind its failures ranked, one question's two results side by side, and what changed
between two runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from answerkey.analytics.concealment import conceal_result, conceal_summary
from answerkey.analytics.runs import compare_runs, list_runs
from answerkey.analytics.warehouse import shown_url
from answerkey.project.access import Principal
from answerkey.project.agent_evals import sees_gold
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
                 who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """What got better or worse from run ``before`` to run ``after`` (each reason concealed from those who may
    not see the gold)."""
    workspace: Workspace = request.app.state.workspace
    summary, changes = compare_runs(workspace, before, after)
    reveal = sees_gold(workspace, who)
    shown = [change.__dict__ | {"direction": change.direction} for change in changes]
    if not reveal:
        shown = [row | {"reason": conceal_result({"verdict": row["after"] or "", "reason": row["reason"]})["reason"]}
                 for row in shown]
    return render(request, "evals_compare.html", summary=summary, changes=shown)


@router.get("/evals/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """One run: verdict counts, accuracy by tag, context gaps ranked, each question's verdict and both SQL (the
    gold, its values and the context gaps only for those who may see the gold)."""
    workspace: Workspace = request.app.state.workspace
    report = eval_report(workspace, run_id)
    reveal = sees_gold(workspace, who)
    run = report.run | {"warehouse": shown_url(str(report.run["warehouse"]))}
    questions = [_question(row if reveal else conceal_result(row), report.questions.get(str(row["question_id"])))
                 for row in rows(report.results)]
    questions.sort(key=lambda q: (q["verdict"] == "pass", q["question_id"]))
    summary = report.summary if reveal else conceal_summary(report.summary)
    return render(request, "evals_run.html", run=run, summary=summary, questions=questions,
                  golden_note=report.golden_note)


@router.get("/evals/{run_id}/questions/{question_id}", response_class=HTMLResponse)
def question_page(request: Request, run_id: str, question_id: str,
                  who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """One question of a run: both SQL statements and both results (executed again, read-only)."""
    workspace: Workspace = request.app.state.workspace
    found = question_results(workspace, run_id, question_id, reveal_gold=sees_gold(workspace, who))
    return render(request, "evals_question.html", run=found.run, result=_question(found.result, found.question),
                  question=found.question, gold=found.gold, answer=found.answer)


def _question(row: dict[str, Any], golden: Any) -> dict[str, Any]:
    differences = row.get("differences") or []
    return row | {"text": golden.question if golden is not None else None,
                  "sql_differences": [d for d in differences if not str(d["kind"]).startswith("context:")],
                  "gaps": [d for d in differences if str(d["kind"]).startswith("context:")]}

