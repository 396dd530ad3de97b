"""Production feedback on an analytics agent: reviewer verdicts and corrections, logged append-only; verified
corrections become golden question candidates after review."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Connection, select

from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.errors import ImportValidationError, RowProblem
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes
from answerkey.store import tables as t

__all__ = ["FeedbackEntry", "append_feedback", "golden_candidates", "log_feedback", "read_feedback"]


class FeedbackEntry(BaseModel):
    """One production question, what the agent answered, and the reviewer's verdict."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    sql: str | None = None
    answer: Any = None
    verdict: Literal["correct", "incorrect"]
    reviewer: str = Field(min_length=1)
    corrected_sql: str | None = None
    note: str | None = None
    asked_at: datetime | None = None

    @model_validator(mode="after")
    def _correction_only_when_wrong(self) -> FeedbackEntry:
        if self.corrected_sql and self.verdict == "correct":
            raise ValueError("a correct answer has no corrected_sql")
        return self

    def key(self) -> str:
        """Identity of the entry: logging the same file twice adds nothing."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def read_feedback(path: str | Path) -> list[FeedbackEntry]:
    """A feedback JSONL file; any bad line fails the whole read, naming file, line and field."""
    path = Path(path)
    entries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(FeedbackEntry.model_validate_json(line))
        except ValidationError as error:
            for issue in error.errors():
                column = ".".join(str(p) for p in issue["loc"]) or None
                problems.append(RowProblem(str(path), number, column, repr(issue.get("input"))[:80], issue["msg"]))
    if problems:
        raise ImportValidationError(problems, consequence="no feedback was logged")
    return entries


def log_feedback(workspace: Workspace, entries: Sequence[FeedbackEntry]) -> int:
    """Append the entries (one transaction); returns how many were new."""
    with workspace.transaction() as connection:
        return append_feedback(connection, entries)


def append_feedback(connection: Connection, entries: Sequence[FeedbackEntry]) -> int:
    """Append the entries not logged before inside the caller's transaction; returns how many were new."""
    now = writes.utcnow()
    keys = [entry.key() for entry in entries]
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        known.update(connection.execute(select(t.feedback.c.feedback_key)
                                        .where(t.feedback.c.feedback_key.in_(keys[start:start + 500]))).scalars())
    rows = []
    for entry, key in zip(entries, keys, strict=True):
        if key in known:
            continue
        known.add(key)
        rows.append({**entry.model_dump(), "asked_at": entry.asked_at.replace(tzinfo=None) if entry.asked_at
                     else None, "feedback_key": key, "recorded_at": now})
    if rows:
        connection.execute(t.feedback.insert(), rows)
    return len(rows)


def golden_candidates(workspace: Workspace, warehouse: Warehouse | None = None) -> list[dict[str, Any]]:
    """Golden questions proposed from feedback: a reviewer's correction (or an answer judged correct) becomes
    the gold SQL; the latest verdict per question wins; with a warehouse, only gold that runs is proposed.
    Candidates carry ``tags: ["from-feedback"]`` and are meant for review before they join the golden set."""
    with workspace.reading() as connection:
        result = connection.execute(select(t.feedback).order_by(t.feedback.c.feedback_id))
        frame = reads.result_frame(result)
    candidates = []
    for question, rows in frame.groupby("question", sort=False):
        latest = rows.iloc[-1]
        gold = latest["corrected_sql"] if latest["verdict"] == "incorrect" else latest["sql"]
        if not isinstance(gold, str) or not gold.strip():
            continue
        if warehouse is not None:
            try:
                warehouse.execute(gold)
            except ExecutionError:
                continue
        number = hashlib.sha256(str(question).encode()).hexdigest()[:10]
        verified = latest["recorded_at"]
        candidates.append({"id": f"feedback-{number}", "question": question, "gold_sql": gold,
                           "tags": ["from-feedback"], "owner": latest["reviewer"],
                           "verified_at": pd.Timestamp(verified).date().isoformat()})
    return candidates
