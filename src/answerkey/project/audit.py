"""The audit log: every write made through the HTTP API or the web UI, who made it, when and what it was.

An entry is written in the same transaction as the write it records, so the log never claims a write that did
not land, nor misses one that did.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from answerkey.jsonable import records
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["audit_entries", "record_audit"]


def record_audit(connection: Connection, actor: str, role: str, action: str, target: str | None,
                 detail: dict[str, Any]) -> None:
    """Append one audit entry inside the caller's transaction."""
    connection.execute(t.audit_log.insert().values(
        at=writes.utcnow(), actor=actor, role=role, action=action, target=target, detail=detail))


def audit_entries(workspace: Workspace, *, limit: int = 100, offset: int = 0,
                  actor: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of the audit log, newest first, and the total number of entries (of ``actor``, if given)."""
    c = t.audit_log.c
    where = [c.actor == actor] if actor else []
    with workspace.reading() as connection:
        total = int(connection.execute(select(func.count()).select_from(t.audit_log).where(*where)).scalar_one())
        rows = connection.execute(select(c.audit_id, c.at, c.actor, c.role, c.action, c.target, c.detail)
                                  .where(*where).order_by(c.audit_id.desc()).limit(limit).offset(offset)).all()
    frame = pd.DataFrame(rows, columns=["audit_id", "at", "actor", "role", "action", "target", "detail"])
    return records(frame) or [], total
