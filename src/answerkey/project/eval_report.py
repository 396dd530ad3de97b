"""A recorded agent-evaluation run read back for people: its summary (verdicts, accuracy by tag, the context gaps
ranked as ``answerkey eval`` ranks them), its questions, and one question's two results side by side.

The ranking is :meth:`~answerkey.analytics.evaluation.EvalRun.summary` itself, over the stored results, so a
recorded run reads exactly as it printed. Results are not stored; :func:`question_results` executes the gold and
the answer's SQL again, read-only, on the run's warehouse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlglot.errors import SqlglotError

from answerkey.analytics.compare import CompareOptions, ResultTable
from answerkey.analytics.concealment import conceal_result
from answerkey.analytics.evaluation import EXPECTED, EvalRun, QuestionResult, answer_sql_for, gold_sql_for
from answerkey.analytics.golden import GoldenQuestion, load_golden
from answerkey.analytics.runs import file_sha256, load_run
from answerkey.analytics.sandbox import SandboxLimits
from answerkey.analytics.warehouse import ExecutionError, open_warehouse
from answerkey.errors import AnswerkeyError, NotFoundError
from answerkey.project.workspace import Workspace

__all__ = ["EvalReport", "QuestionResults", "Side", "eval_report", "question_results"]


@dataclass(frozen=True)
class EvalReport:
    """A recorded run: its record, its per-question results, :meth:`EvalRun.summary` over them, and the golden
    questions (empty when the golden set file is gone or changed since the run)."""

    run: dict[str, Any]
    results: pd.DataFrame
    summary: dict[str, Any]
    questions: dict[str, GoldenQuestion] = field(default_factory=dict)
    golden_note: str = ""


def eval_report(workspace: Workspace, run_id: str) -> EvalReport:
    """The run ``run_id`` read back (``NotFoundError`` names recent runs when there is no such run)."""
    run, results = load_run(workspace, run_id)
    stored = EvalRun(run_id, [_question_result(row) for row in results.to_dict(orient="records")],
                     run["started_at"], float(run["seconds"] or 0.0),
                     CompareOptions.model_validate(run["options"] or {}), _instant(run.get("as_of")),
                     run.get("test_suite"))
    questions, note = _golden_questions(run, workspace.root)
    return EvalReport(run, results, stored.summary(), questions, note)


def _question_result(row: Mapping[Hashable, Any]) -> QuestionResult:
    return QuestionResult(str(row["question_id"]), str(row["verdict"]), str(row["reason"] or ""), row["sql"],
                          row["gold_sql"], float(row["column_overlap"] or 0.0), float(row["row_f1"] or 0.0), None,
                          float(row["seconds"] or 0.0), list(row["tags"] or []), list(row["differences"] or []))


def _golden_questions(run: dict[str, Any], root: Path) -> tuple[dict[str, GoldenQuestion], str]:
    """The run's golden questions by id, when its golden set file still holds the version the run used (a
    relative path is taken as relative to the workspace folder, where ``answerkey eval`` usually runs)."""
    path = str(root / run["golden_file"])
    try:
        if file_sha256(path) != run["golden_hash"]:
            return {}, f"the golden set {path} changed since this run: question texts are not shown"
        return {q.id: q for q in load_golden(path)}, ""
    except (OSError, AnswerkeyError):
        return {}, f"the golden set {path} cannot be read: question texts are not shown"


@dataclass(frozen=True)
class Side:
    """One side of a question: the SQL, and its result (the first ``max_rows`` rows) or why there is none."""

    sql: str | None
    result: ResultTable | None = None
    rows_total: int = 0
    error: str | None = None


@dataclass(frozen=True)
class QuestionResults:
    """One question of a run: its stored result row, the golden question (if known), gold and answer."""

    run: dict[str, Any]
    result: dict[str, Any]
    question: GoldenQuestion | None
    gold: Side
    answer: Side


def question_results(workspace: Workspace, run_id: str, question_id: str, *, max_rows: int = 100,
                     timeout_s: float = 10.0, reveal_gold: bool = True) -> QuestionResults:
    """Execute the question's gold and answer SQL again, read-only, on the run's warehouse (first
    ``max_rows`` rows of each kept). A query that fails, or a warehouse that is gone, is reported on its side.
    Without ``reveal_gold`` the gold is neither executed nor shown (see :mod:`answerkey.analytics.concealment`)."""
    run, results = load_run(workspace, run_id)
    match = results[results["question_id"] == question_id]
    if match.empty:
        known = ", ".join(results["question_id"].astype(str).head(5))
        raise NotFoundError(f"run {run_id} has no question {question_id!r}; its questions include {known}")
    row = {str(key): value for key, value in match.iloc[0].to_dict().items()}
    row["sql"] = row["sql"] if isinstance(row.get("sql"), str) and row["sql"] else None  # NaN: no SQL
    if not reveal_gold:
        row = conceal_result(row)
    questions, _note = _golden_questions(run, workspace.root)
    question = questions.get(question_id)
    hidden = Side(None, error="the gold is shown to reviewers only") if not reveal_gold else None
    try:
        warehouse = open_warehouse(_warehouse_url(str(run["warehouse"]), workspace.root), timeout_s,
                                   SandboxLimits.of(workspace.config.eval))
    except AnswerkeyError as exc:
        why = f"the run's warehouse cannot be opened: {exc}"
        return QuestionResults(run, row, question, hidden or Side(row["gold_sql"], error=why),
                               Side(row["sql"], error=why))
    as_of = _instant(run.get("as_of"))  # the run's frozen clock: the same rows as when it was judged
    options = CompareOptions.model_validate(run["options"] or {})
    try:
        gold = hidden or _gold_side(row["gold_sql"], question, warehouse, max_rows, as_of)
        answer = _side(answer_sql_for(row["sql"], warehouse, as_of, options), warehouse, max_rows,
                       shown=row["sql"]) if row["sql"] else Side(
            None, error="the answer gave no SQL (a result or a refusal)")
    finally:
        warehouse.close_all()
    return QuestionResults(run, row, question, gold, answer)


def _warehouse_url(url: str, root: Path) -> str:
    """The run's warehouse, a relative DuckDB path taken as relative to the workspace folder.

    >>> _warehouse_url("duckdb:///warehouse.duckdb", Path("/ws"))
    'duckdb:////ws/warehouse.duckdb'
    >>> _warehouse_url("duckdb:////data/w.duckdb", Path("/ws"))
    'duckdb:////data/w.duckdb'
    """
    if "://" not in url:
        return str(root / url)
    prefix = "duckdb:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(root / url[len(prefix):])
    return url


def _instant(value: Any) -> datetime | None:
    """A stored instant (a datetime, or text from some drivers) as a datetime; None when the run has none."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _gold_side(sql: str | None, question: GoldenQuestion | None, warehouse: Any, max_rows: int,
               as_of: datetime | None = None) -> Side:
    if sql == EXPECTED:
        if question is not None and question.expected is not None:
            table = ResultTable.of(question.expected["columns"], question.expected["rows"])
            return Side(sql, ResultTable(table.columns, table.rows[:max_rows]), len(table.rows))
        return Side(sql, error="the gold is a stored result, and the golden set file no longer holds it")
    if not sql:
        return Side(None, error="no gold query gave a result")
    executed = sql
    if question is not None:
        with contextlib.suppress(SqlglotError, RecursionError):
            executed = gold_sql_for(sql, question, warehouse, as_of)
    return _side(executed, warehouse, max_rows, shown=sql)


def _side(sql: str, warehouse: Any, max_rows: int, shown: str | None = None) -> Side:
    try:
        table = warehouse.execute(sql)
    except ExecutionError as failure:
        return Side(shown or sql, error=f"{failure.kind}: {failure.reason}")
    return Side(shown or sql, ResultTable(table.columns, table.rows[:max_rows]), len(table.rows))
