"""Analytics agents over HTTP: the recorded evaluation runs, answers an agent pushes to be judged and recorded,
and reviewers' feedback on the answers an agent gave in production."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection

from answerkey.analytics.concealment import conceal_result, conceal_summary
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.runs import insert_run, list_runs
from answerkey.analytics.warehouse import shown_url
from answerkey.jsonable import plain, records
from answerkey.project.access import Principal
from answerkey.project.agent_evals import (
    evaluate_pushed_answers,
    record_feedback,
    sees_gold,
)
from answerkey.project.eval_report import Side, eval_report, question_results
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["Answer", "FeedbackRow", "PushedAnswers", "router"]

router = APIRouter(tags=["agents"])

RunId = Annotated[str, Path(min_length=1, max_length=255, description="The run's id.")]
MAX_ANSWERS = 10_000
MAX_FEEDBACK = 1_000
DETAILS_PER_MINUTE = 60
"""Question details (each runs the answer's SQL again) per minute for a token that may not see the gold."""
Cell = str | float | bool | None


class ResultRows(BaseModel):
    """A result the agent computed itself."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str] = Field(max_length=1_000)
    rows: list[list[Cell]] = Field(max_length=100_000)


class Answer(BaseModel):
    """An agent's answer to one golden question: its SQL, or its result, or a refusal."""

    model_config = ConfigDict(extra="forbid")

    sql: str | None = Field(default=None, max_length=100_000)
    result: ResultRows | None = None
    refused: bool | None = None
    context_used: list[str] | None = Field(default=None, max_length=1_000,
                                           description="The context items the agent relied on.")

    @model_validator(mode="after")
    def _says_something(self) -> Answer:
        if self.sql is None and self.result is None and self.refused is None:
            raise ValueError("an answer needs sql, result or refused")
        return self


class PushedAnswers(BaseModel):
    """An agent's answers to the golden questions, to be judged as `answerkey eval --answers` judges them."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, max_length=255, description="The agent and its version, as the run records it.")
    answers: dict[str, Answer] = Field(max_length=MAX_ANSWERS, description="Question id -> answer; a question "
                                       "without an answer fails with answer-error.")
    golden: str = Field(default="golden.jsonl", min_length=1, max_length=1_000,
                        description="The golden set: a path inside the workspace folder, relative to it.")
    warehouse: str = Field(default="warehouse.duckdb", min_length=1, max_length=1_000,
                           description="The DuckDB warehouse: a path inside the workspace folder, relative to it.")
    preset: Literal["default", "spider", "spider-official", "bird", "spider2", "strict"] = "default"


class FeedbackRow(BaseModel):
    """A reviewer's verdict on one answer the agent gave in production."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=10_000)
    sql: str | None = Field(default=None, max_length=100_000)
    answer: Any = None
    verdict: Literal["correct", "incorrect"]
    reviewer: str | None = Field(default=None, min_length=1, max_length=255,
                                 description="Default: the token's name; another name needs the reviewer role.")
    corrected_sql: str | None = Field(default=None, max_length=100_000)
    note: str | None = Field(default=None, max_length=10_000)
    asked_at: datetime | None = None


@router.get("/eval-runs", summary="Every recorded evaluation run, oldest first, in pages",
            response_description="A page of runs: agent, golden set and its hash, warehouse, passed, accuracy",
            responses=errors())
def eval_runs(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
) -> dict[str, Any]:
    """Runs recorded by `answerkey eval` in the workspace or pushed here."""
    runs = [{**run, "warehouse": shown_url(str(run["warehouse"]))}
            for run in records(list_runs(request.app.state.workspace)) or []]
    return paged(runs[page.offset:page.offset + page.limit], len(runs), page)


@router.get("/eval-runs/{run_id}", summary="One run: its summary and every question's verdict",
            response_description="The run, its summary (verdicts, accuracy by tag, context gaps) and per question "
            "the question, verdict, reason, the answer's and the gold SQL and what the answer does differently",
            responses=errors(404))
def eval_run(
    request: Request, run_id: RunId, who: Annotated[Principal, Depends(require("viewer"))],
) -> dict[str, Any]:
    """As `answerkey eval report RUN --json`, with the summary the run printed; question texts come from the
    golden set file when it still holds the version the run used (else ``golden_note`` says why not)."""
    report = eval_report(request.app.state.workspace, run_id)
    reveal = sees_gold(request.app.state.workspace, who)
    results = [{**(row if reveal else conceal_result(row)), "question": _text(report.questions.get(
        str(row["question_id"])))} for row in records(report.results) or []]
    run = plain(report.run) | {"warehouse": shown_url(str(report.run["warehouse"]))}
    summary = plain(report.summary) if reveal else conceal_summary(plain(report.summary))
    return {"ok": True, "run": run, "summary": summary, "results": results,
            "golden_note": report.golden_note or None}


def _text(question: GoldenQuestion | None) -> str | None:
    return question.question if question is not None else None


def _side(side: Side) -> dict[str, Any]:
    table = side.result
    return {"sql": side.sql, "columns": table.columns if table else None,
            "rows": plain([list(row) for row in table.rows]) if table else None,
            "rows_total": side.rows_total if table else None, "error": side.error}


@router.get("/eval-runs/{run_id}/questions/{question_id}", summary="One question of a run, with both result tables",
            response_description="The verdict, and the gold's and the answer's SQL with the first rows of their "
            "results, executed again now on the run's warehouse (read-only)", responses=errors(404))
def eval_question(
    request: Request,
    run_id: RunId,
    question_id: Annotated[str, Path(min_length=1, max_length=255)],
    who: Annotated[Principal, Depends(require("viewer"))],
) -> dict[str, Any]:
    """A side that cannot be computed (no SQL, the warehouse gone, a query failing) carries its error instead;
    below the reviewer role the gold side is withheld unless ``[eval] reveal`` is set."""
    workspace = request.app.state.workspace
    reveal = sees_gold(workspace, who)
    if not reveal:  # each call runs the answer again: not a way around the limit on pushes
        request.app.state.push_limiter.admit((who.token_id, "detail"), DETAILS_PER_MINUTE, "question details")
    found = question_results(workspace, run_id, question_id, reveal_gold=reveal)
    return {"ok": True, "run_id": run_id, **plain(found.result), "question": _text(found.question),
            "gold": _side(found.gold), "answer": _side(found.answer)}


@router.post("/eval-runs/answers", status_code=201, summary="Judge an agent's answers and record the run",
             response_description="The run's id and summary", responses=errors(413), description=(
                 "The agent pushes its answers; they are executed read-only against the golden set's gold, "
                 "compared and diagnosed exactly as `answerkey eval --answers` does, and recorded. The golden set "
                 "and warehouse are files inside the workspace folder. Needs the annotator role (an agent's "
                 "service token; it cannot change ground truth beyond its own judgements)."))
def push_answers(
    request: Request,
    body: PushedAnswers,
    who: Annotated[Principal, Depends(require("annotator"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Judged before the write, so no write lock is held while queries run (a retry under the same key is judged
    again, then replays the first response); the write records the run."""
    workspace = request.app.state.workspace
    request.app.state.push_limiter.admit(who.token_id, workspace.config.eval.pushes_per_minute)
    answers = {qid: answer.model_dump(exclude_none=True) for qid, answer in body.answers.items()}
    reveal = sees_gold(workspace, who)
    pushed = evaluate_pushed_answers(workspace, answers, golden=body.golden, warehouse=body.warehouse,
                                     preset=body.preset, reveal=reveal)
    summary = plain(pushed.run.summary()) if reveal else conceal_summary(plain(pushed.run.summary()))

    def run(connection: Connection) -> Outcome:
        insert_run(connection, pushed.run, agent=body.agent, golden_file=pushed.golden_file,
                   golden_hash=pushed.golden_hash, warehouse=pushed.warehouse)
        return Outcome(201, {"ok": True, "run_id": pushed.run.run_id, "summary": summary},
                       audit={"run_id": pushed.run.run_id, "passed": summary["passed"],
                              "questions": summary["questions"]})

    return written(request.app.state.writer.write(
        who, "eval-runs.record", body.agent, run, key=idempotency_key,
        fingerprint=request_hash("POST", "/api/eval-runs/answers", body.model_dump())))


@router.post("/feedback", status_code=201, summary="Log reviewers' verdicts on an agent's production answers",
             response_description="How many entries were read and how many were new", responses=errors(413),
             description="As `answerkey feedback log`: all entries or, on any bad one, none; an entry logged "
                         "before adds nothing. Needs the annotator role; logging for another reviewer needs the "
                         "reviewer role.")
def feedback(
    request: Request,
    rows: Annotated[list[FeedbackRow], Body(min_length=1, max_length=MAX_FEEDBACK)],
    who: Annotated[Principal, Depends(require("annotator"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Corrections logged here become golden question candidates (`answerkey feedback candidates`)."""
    plain_rows = [row.model_dump(mode="json", exclude_none=True) for row in rows]

    def run(connection: Connection) -> Outcome:
        added = record_feedback(connection, plain_rows, actor=who.name, on_behalf=who.can("reviewer"))
        counts = {"rows_read": len(plain_rows), "rows_added": added}
        return Outcome(201, {"ok": True, **counts}, audit=counts)

    return written(request.app.state.writer.write(who, "feedback.log", None, run, key=idempotency_key,
                                                  fingerprint=request_hash("POST", "/api/feedback", plain_rows)))
