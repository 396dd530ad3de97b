"""One item as a reviewer sees it: its content, every judgement, the consensus, and the schema's definitions of
the labels in question, with the version a decision must be based on (optimistic concurrency)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from answerkey.errors import NotFoundError
from answerkey.jsonable import plain, records
from answerkey.project.adjudication import review_queue
from answerkey.project.consensus import workspace_consensus
from answerkey.project.workspace import Workspace
from answerkey.store import reads
from answerkey.store import tables as t

__all__ = ["ReviewItem", "next_queued", "review_item"]


@dataclass(frozen=True)
class ReviewItem:
    """What a reviewer needs to decide an item; ``version`` goes back with the decision."""

    item_id: str
    payload: dict[str, Any]
    segment: str | None
    group_id: str | None
    annotations: list[dict[str, Any]]
    consensus: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    version: int
    reason: str | None
    priority: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(plain(asdict(self)))


def review_item(workspace: Workspace, item_id: str) -> ReviewItem:
    """The item ``item_id`` for review (NotFoundError when there is no such item)."""
    i, a = t.items.c, t.annotations.c
    with workspace.reading() as connection:
        item = connection.execute(select(i.item_id, i.payload, i.segment, i.group_id)
                                  .where(i.item_id == item_id)).first()
        if item is None:
            raise NotFoundError(f"no item {item_id!r} in this workspace")
        version = reads.item_version(connection, item_id)
        judgements = pd.DataFrame(connection.execute(
            select(a.annotation_id, a.annotator_id, a.label, a.source, a.schema_version, a.created_at,
                   a.confidence, a.note).where(a.item_id == item_id).order_by(a.annotation_id)).all(),
            columns=["annotation_id", "annotator_id", "label", "source", "schema_version", "created_at",
                     "confidence", "note"])
    standing = reads.without_withdrawn(judgements.assign(item_id=item_id)).drop(columns="item_id")
    consensus = workspace_consensus(workspace, workspace.config.consensus_method)
    labels = consensus[1]
    row = labels[labels["item_id"] == item_id]
    decided = None if row.empty else {key: plain(row.iloc[0][key]) for key in ("label", "confidence", "status",
                                                                               "method")}
    queue = review_queue(workspace, limit=None, consensus=consensus)
    queued = queue[queue["item_id"] == item_id]
    schema = workspace.schema()
    votes = standing["label"].value_counts()
    candidates: list[dict[str, Any]] = [
        {"name": label.name, "definition": label.definition, "examples": list(label.examples),
         "edge_cases": [edge.model_dump() for edge in label.edge_cases], "votes": int(votes.get(label.name, 0))}
        for label in schema.labels]
    candidates.sort(key=lambda c: -c["votes"])  # stable: voted labels first, then the schema's order
    return ReviewItem(
        item_id=item.item_id, payload=dict(item.payload or {}), segment=item.segment, group_id=item.group_id,
        annotations=records(standing) or [], consensus=decided, candidates=candidates, version=version,
        reason=None if queued.empty else str(queued.iloc[0]["reason"]),
        priority=None if queued.empty else float(queued.iloc[0]["priority"]),
    )


def next_queued(workspace: Workspace, after: str | None = None) -> str | None:
    """The item to review next: the one after ``after`` in the queue (wrapping round), else the first."""
    order = review_queue(workspace, limit=None)["item_id"].tolist()
    if after in order:
        position = order.index(after)
        rest = order[position + 1:] + order[:position]
        return rest[0] if rest else None
    return order[0] if order else None
