"""Recorded monitor runs: what the monitor found for each model and when, kept append-only in the store so the
report, the datasheet and the next run can read the history."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select

from answerkey.monitoring.job import MonitorRun
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["latest_monitor_runs", "record_monitor_run"]


def record_monitor_run(workspace: Workspace, run: MonitorRun) -> str:
    """Store one run (its JSON form); returns the run id."""
    run_id = uuid.uuid4().hex
    decision = run.signal.decision if run.signal is not None else "no_action"
    row = {"run_id": run_id, "model": run.model, "source": run.source,
           "as_of": run.as_of.tz_localize(None).to_pydatetime() if run.as_of.tzinfo else run.as_of.to_pydatetime(),
           "decision": decision, "result": run.to_dict(), "recorded_at": writes.utcnow()}
    with workspace.transaction() as connection:
        connection.execute(insert(t.monitor_runs), [row])
    return run_id


def latest_monitor_runs(workspace: Workspace) -> list[dict[str, Any]]:
    """The latest recorded run of each model (its JSON form plus ``run_id`` and ``recorded_at``), by model."""
    m = t.monitor_runs.c
    with workspace.reading() as connection:
        newest = (select(m.model, func.max(m.recorded_at).label("last")).group_by(m.model)).subquery()
        rows = connection.execute(
            select(m.run_id, m.model, m.result, m.recorded_at)
            .join(newest, (m.model == newest.c.model) & (m.recorded_at == newest.c.last))
            .order_by(m.model, m.run_id)).mappings().all()
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:  # two runs recorded in the same instant: keep one
        seen.setdefault(row["model"], {**dict(row["result"]), "run_id": row["run_id"],
                                       "recorded_at": row["recorded_at"].isoformat()})
    return list(seen.values())
