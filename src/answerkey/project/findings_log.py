"""Recorded check runs: their findings kept in the store, so reports and datasheets show them later."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, insert, select

from answerkey.findings import Finding, Severity
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["record_findings", "recorded_findings"]


def record_findings(workspace: Workspace, findings: Sequence[Finding], source: str,
                    release: str | None = None) -> str:
    """Store one run's findings (possibly none: a clean run is worth recording too); returns the run id."""
    run_id = uuid.uuid4().hex
    now = writes.utcnow()
    rows = [{"run_id": run_id, "source": source, "release_name": release, "check": f.check, "what": f.what,
             "where": f.where, "severity": f.severity.value, "score": f.score, "evidence": f.evidence,
             "recorded_at": now} for f in findings]
    if not rows:  # a clean run: one info row says the check ran and found nothing
        check = source.split()[0]
        rows = [{"run_id": run_id, "source": source, "release_name": release, "check": f"{check}.clean",
                 "what": "the check ran and found nothing", "where": source, "severity": Severity.INFO.value,
                 "score": None, "evidence": {}, "recorded_at": now}]
    with workspace.transaction() as connection:
        connection.execute(insert(t.findings), rows)
    return run_id


def recorded_findings(workspace: Workspace, check_prefix: str = "", release: str | None = None) -> list[Finding]:
    """The findings of the latest recorded run of each source whose checks start with ``check_prefix``."""
    f = t.findings.c
    with workspace.reading() as connection:
        latest = select(f.source, func.max(f.finding_id).label("last")).where(f.check.startswith(check_prefix))
        if release is not None:
            latest = latest.where(f.release_name == release)
        last_ids = [row.last for row in connection.execute(latest.group_by(f.source))]
        runs = connection.execute(select(f.run_id).where(f.finding_id.in_(last_ids))).scalars().all()
        rows = connection.execute(select(t.findings).where(f.run_id.in_(runs)).order_by(f.finding_id)).mappings()
        return [Finding(r["check"], r["what"], r["where"], Severity(r["severity"]), r["score"], dict(r["evidence"]))
                for r in rows if not r["check"].endswith(".clean")]
