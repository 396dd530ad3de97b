"""Likely label errors sent to the review queue: append-only flags that a reviewer's adjudication settles."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import insert

from answerkey.errors import NotFoundError
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes
from answerkey.store import tables as t

__all__ = ["flag_for_review"]


def flag_for_review(workspace: Workspace, issues: pd.DataFrame, method: str, release: str | None = None) -> int:
    """Queue the flagged items for review; returns how many were flagged.

    ``issues`` has ``item_id``, ``given_label``, ``suggested_label`` and ``score`` (label quality, low is worse).
    A flag holds while the item's label is still the one flagged; an adjudication decides the item.
    """
    now = writes.utcnow()
    rows = [{"item_id": str(item), "given_label": str(given), "suggested_label": None if pd.isna(suggested)
             else str(suggested), "score": float(score), "method": method, "release_name": release, "flagged_at": now}
            for item, given, suggested, score in zip(issues["item_id"], issues["given_label"],
                                                     issues["suggested_label"], issues["score"], strict=True)]
    if not rows:
        return 0
    with workspace.transaction() as connection:
        known = reads.item_id_lookup(connection)
        unknown = [r["item_id"] for r in rows if r["item_id"] not in known]
        if unknown:
            raise NotFoundError(f"cannot flag {len(unknown)} items that are not in this workspace, e.g. "
                                f"{unknown[0]!r}")
        for start in range(0, len(rows), 50_000):
            connection.execute(insert(t.label_issue_flags), rows[start:start + 50_000])
    return len(rows)
