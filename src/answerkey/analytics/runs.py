"""Evaluation runs kept in the workspace's store, so accuracy can be followed over time and runs compared."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from answerkey.analytics.evaluation import EvalRun
from answerkey.errors import NotFoundError, StoreError
from answerkey.project.workspace import Workspace
from answerkey.store import reads
from answerkey.store import tables as t

__all__ = ["RunChange", "compare_runs", "file_sha256", "insert_run", "list_runs", "load_run", "save_run"]


def file_sha256(path: str | Path) -> str:
    """The version of a golden set (or context) file: the sha256 of its bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_run(workspace: Workspace, run: EvalRun, *, agent: str, golden_file: str | Path, warehouse: str,
             context_hash: str | None = None) -> None:
    """Record a run and every question's verdict (append-only: a run id is written once)."""
    with workspace.transaction() as connection:
        insert_run(connection, run, agent=agent, golden_file=str(golden_file), golden_hash=file_sha256(golden_file),
                   warehouse=warehouse, context_hash=context_hash)


def insert_run(connection: Connection, run: EvalRun, *, agent: str, golden_file: str, golden_hash: str,
               warehouse: str, context_hash: str | None = None) -> None:
    """:func:`save_run` inside the caller's transaction (the web's audited write path)."""
    if connection.execute(select(t.eval_runs.c.run_id).where(t.eval_runs.c.run_id == run.run_id)).first():
        raise StoreError(f"run {run.run_id} is recorded already")
    summary = run.summary()
    connection.execute(insert(t.eval_runs).values(
        run_id=run.run_id, started_at=run.started_at.replace(tzinfo=None), agent=agent, golden_file=golden_file,
        golden_hash=golden_hash, context_hash=context_hash, warehouse=warehouse, options=run.options.model_dump(),
        questions=summary["questions"], passed=summary["passed"], seconds=run.seconds, as_of=run.as_of,
        test_suite=run.suite))
    rows = [{"run_id": run.run_id, "question_id": r.id, "verdict": r.verdict, "reason": r.reason, "sql": r.sql,
             "gold_sql": r.gold_sql, "column_overlap": r.column_overlap, "row_f1": r.row_f1, "seconds": r.seconds,
             "tags": r.tags, "differences": r.differences} for r in run.results]
    if rows:
        connection.execute(insert(t.eval_results), rows)


def list_runs(workspace: Workspace) -> pd.DataFrame:
    """Every recorded run, oldest first, with its accuracy."""
    with workspace.reading() as connection:
        result = connection.execute(select(t.eval_runs).order_by(t.eval_runs.c.started_at, t.eval_runs.c.run_id))
        frame = reads.result_frame(result)
    frame["accuracy"] = frame["passed"] / frame["questions"].where(frame["questions"] > 0)
    return frame


def load_run(workspace: Workspace, run_id: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """A run's record and its per-question results."""
    with workspace.reading() as connection:
        row = connection.execute(select(t.eval_runs).where(t.eval_runs.c.run_id == run_id)).mappings().first()
        if row is None:
            known = [r[0] for r in connection.execute(select(t.eval_runs.c.run_id).order_by(
                t.eval_runs.c.started_at.desc()).limit(5))]
            hint = f"; recent runs: {', '.join(known)}" if known else "; no run is recorded yet"
            raise NotFoundError(f"no run {run_id!r}{hint}")
        result = connection.execute(select(t.eval_results).where(t.eval_results.c.run_id == run_id)
                                    .order_by(t.eval_results.c.question_id))
        results = reads.result_frame(result)
    return dict(row), results


@dataclass(frozen=True)
class RunChange:
    """One question whose verdict differs between two runs."""

    question_id: str
    before: str | None
    after: str | None
    reason: str

    @property
    def direction(self) -> str:
        """``fixed``, ``broken``, ``changed``, ``added`` or ``removed``."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if self.after == "pass":
            return "fixed"
        if self.before == "pass":
            return "broken"
        return "changed"


def compare_runs(workspace: Workspace, before: str, after: str) -> tuple[dict[str, Any], list[RunChange]]:
    """What got better or worse from run ``before`` to run ``after``: a summary and each changed question."""
    first, old = load_run(workspace, before)
    second, new = load_run(workspace, after)
    merged = old[["question_id", "verdict"]].merge(new[["question_id", "verdict", "reason"]], on="question_id",
                                                  how="outer", suffixes=("_before", "_after")).set_index("question_id")
    changes = []
    for question_id, row in merged.iterrows():
        was = None if pd.isna(row["verdict_before"]) else str(row["verdict_before"])
        now = None if pd.isna(row["verdict_after"]) else str(row["verdict_after"])
        if was != now:
            changes.append(RunChange(str(question_id), was, now, "" if pd.isna(row["reason"]) else str(row["reason"])))
    summary = {
        "before": {"run_id": before, "passed": first["passed"], "questions": first["questions"],
                   "golden_hash": first["golden_hash"]},
        "after": {"run_id": after, "passed": second["passed"], "questions": second["questions"],
                  "golden_hash": second["golden_hash"]},
        "same_golden_set": first["golden_hash"] == second["golden_hash"],
        "fixed": sum(c.direction == "fixed" for c in changes),
        "broken": sum(c.direction == "broken" for c in changes),
    }
    return summary, changes
