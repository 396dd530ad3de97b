"""The history of recorded monitor runs: every run's headline (to choose one) and one run in full.

:mod:`answerkey.project.monitor_log` records runs and gives each model's latest; this reads any of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from answerkey.errors import NotFoundError
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t

__all__ = ["get_monitor_run", "monitor_runs"]


def monitor_runs(workspace: Workspace) -> list[dict[str, Any]]:
    """Every recorded run, newest first: ``run_id``, ``model``, ``source``, ``as_of``, ``decision``,
    ``recorded_at`` (without the stored result, so listing stays cheap)."""
    m = t.monitor_runs.c
    with workspace.reading() as connection:
        rows = connection.execute(select(m.run_id, m.model, m.source, m.as_of, m.decision, m.recorded_at)
                                  .order_by(m.recorded_at.desc(), m.run_id)).mappings().all()
    return [dict(row) for row in rows]


def get_monitor_run(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """One recorded run: its stored result (what ``answerkey monitor --json`` printed) plus ``run_id``,
    ``decision`` and ``recorded_at``."""
    m = t.monitor_runs.c
    with workspace.reading() as connection:
        row = connection.execute(select(m.run_id, m.decision, m.result, m.recorded_at)
                                 .where(m.run_id == run_id)).mappings().first()
        if row is None:
            recent = connection.execute(select(m.run_id).order_by(m.recorded_at.desc()).limit(5)).scalars().all()
    if row is None:
        hint = f"; recent runs: {', '.join(recent)}" if recent else (
            "; no run is recorded yet (`answerkey monitor PREDICTIONS OUTCOMES --record`)")
        raise NotFoundError(f"no monitor run {run_id!r}{hint}")
    return {**dict(row["result"]), "run_id": row["run_id"], "decision": row["decision"],
            "recorded_at": row["recorded_at"]}
