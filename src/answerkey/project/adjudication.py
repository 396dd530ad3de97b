"""The review queue (disputed and doubtful items, worst first) and adjudications, kept as append-only judgements."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from answerkey.errors import ConflictError, NotFoundError, ParameterError
from answerkey.io.validation import judgement_key
from answerkey.project.agreement import workspace_judgements
from answerkey.project.consensus import GROUND_TRUTH_SOURCES, workspace_consensus
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import ADJUDICATED
from answerkey.schema import LabelingSchema
from answerkey.schema.values import canonical_label
from answerkey.store import reads, writes
from answerkey.store import tables as t
from answerkey.timestamps import timestamp_text

__all__ = ["Adjudication", "adjudicate", "open_flags", "record_adjudication", "review_queue"]

DEFAULT_BELOW = 0.8
"""Consensus labels with a confidence below this go to review, besides the disputed ones."""


def review_queue(
    workspace: Workspace, limit: int | None = 50, below: float = DEFAULT_BELOW, method: str | None = None,
    *, consensus: tuple[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Items a person should decide, ordered by how much a decision would change: worst first.

    The order is ``1 - confidence``, the chance the current label is wrong (the expected number of labels a
    decision corrects); disputed items with no label come first among equals. Items flagged as likely label
    errors (``answerkey label-issues --queue``) join while their label is still the one flagged, at priority
    ``1 - label quality`` when that is higher. Items an adjudication or an expert already decided are not
    queued. ``consensus`` is ``workspace_consensus``'s result when the caller has it already. Columns:
    ``item_id``, ``label``, ``confidence``, ``status``, ``method``, ``votes`` (label counts,
    most first), ``n_judgements``, ``reason``, ``suggested_label``, ``priority``.
    """
    if not 0.0 <= below <= 1.0:
        raise ParameterError.invalid("below", "a confidence between 0 and 1", below)
    if limit is not None and limit < 1:
        raise ParameterError.invalid("limit", "a positive number of items", limit)
    chosen, labels = consensus or workspace_consensus(workspace, method or workspace.config.consensus_method)
    decided_by_authority = labels["method"].isin(workspace.config.authority)
    doubtful = (labels["status"] == "disputed") | (labels["confidence"] < below)
    flags = open_flags(workspace)
    flag = labels[["item_id", "label"]].merge(flags, on="item_id", how="left")
    flagged = pd.Series((flag["given_label"] == flag["label"]).to_numpy(), index=labels.index)
    queue = labels[(doubtful | flagged) & ~decided_by_authority].copy()
    flag.index = labels.index
    queue["reason"] = pd.Series([
        "; ".join(([("disputed" if s == "disputed" else "low confidence")] if d else []) + (
            ["likely label error"] if f else []))
        for s, d, f in zip(queue["status"], doubtful[queue.index], flagged[queue.index], strict=True)],
        index=queue.index, dtype=object)
    queue["suggested_label"] = flag.loc[queue.index, "suggested_label"].where(flagged[queue.index], None)
    flag_priority = (1.0 - flag.loc[queue.index, "score"].astype(float)).where(flagged[queue.index], 0.0)
    judgements = workspace_judgements(workspace, sources=GROUND_TRUTH_SOURCES)
    crowd = judgements[(judgements["source"] != ADJUDICATED) & judgements["item_id"].isin(queue["item_id"])]
    tallies = crowd.groupby(["item_id", "label"]).size().rename("n").reset_index()
    tallies = tallies.sort_values(["item_id", "n", "label"], ascending=[True, False, True], kind="stable")
    tallies["text"] = tallies["label"].astype(str) + " " + tallies["n"].astype(str)
    votes = tallies.groupby("item_id", sort=False)["text"].agg(", ".join)
    queue["votes"] = queue["item_id"].map(votes).fillna("")
    queue["n_judgements"] = queue["item_id"].map(crowd.groupby("item_id").size()).fillna(0).astype("int64")
    queue["priority"] = np.fmax(1.0 - queue["confidence"].astype(float), flag_priority)
    queue["_unlabeled"] = queue["label"].isna()
    queue = queue.sort_values(["priority", "_unlabeled", "n_judgements", "item_id"],
                              ascending=[False, False, False, True], kind="stable")
    queue = queue.drop(columns="_unlabeled").reset_index(drop=True)
    queue.attrs["method"] = chosen
    return queue if limit is None else queue.head(limit)


@dataclass(frozen=True)
class Adjudication:
    """One recorded decision."""

    item_id: str
    label: str
    reviewer: str
    note: str | None
    schema_version: int
    decided_at: datetime
    previous_label: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["decided_at"] = self.decided_at.isoformat()
        return data


def adjudicate(
    workspace: Workspace, item_id: str, label: str, reviewer: str, note: str | None = None,
    at: datetime | None = None, *, expected_version: int | None = None,
) -> Adjudication:
    """Record a reviewer's decision on an item as an append-only ``adjudicated`` judgement.

    The label must be valid in the current schema; the decision outranks the crowd in consensus and in
    every release cut afterwards (by the workspace's authority policy). Nothing is ever overwritten: a later
    adjudication of the same item is a new judgement that wins because it is later. With ``expected_version``
    (the item's version when the reviewer looked, :func:`answerkey.store.reads.item_version`), a decision on an
    item that got new judgements since is refused with :class:`ConflictError`.
    """
    previous = _current_label(workspace, item_id)
    with workspace.transaction() as connection:
        decision = record_adjudication(connection, workspace.schema(), item_id, label, reviewer, note,
                                       expected_version=expected_version, at=at)
    return replace(decision, previous_label=previous)


def record_adjudication(
    connection: Connection, schema: LabelingSchema, item_id: str, label: str, reviewer: str, note: str | None,
    *, expected_version: int | None, at: datetime | None = None,
) -> Adjudication:
    """Append the decision inside the caller's transaction (the web's audited write path); see :func:`adjudicate`.

    ``previous_label`` is left None here: working it out means a consensus over the whole workspace.
    """
    reviewer = reviewer.strip()
    if not reviewer:
        raise ParameterError.invalid("--by", "the reviewer's name", reviewer)
    canonical = canonical_label(schema, label)
    if canonical is None:
        close = difflib.get_close_matches(label, schema.label_names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"label {label!r} is not in schema v{schema.version} ({', '.join(schema.label_names)}){hint}")
    # FOR UPDATE (PostgreSQL) waits for every transaction adding a judgement to this item (each holds a key-share
    # lock on it through the foreign key) and makes a concurrent decision wait for this one; SQLite has one writer
    if connection.execute(select(t.items.c.item_id).where(t.items.c.item_id == item_id)
                          .with_for_update()).first() is None:
        raise NotFoundError(f"no item {item_id!r} in this workspace; import it with `answerkey import items`")
    if expected_version is not None:
        version = reads.item_version(connection, item_id)
        if version != expected_version:
            raise ConflictError(f"item {item_id!r} changed since you opened it (new judgements after version "
                                f"{expected_version}; now {version}): look again and decide")
    decided_at = (at or writes.utcnow()).replace(tzinfo=None)
    stamp = str(timestamp_text(pd.Series([decided_at]))[0])
    row = pd.DataFrame({
        "item_id": [item_id], "annotator_id": [reviewer], "label": [canonical], "source": [ADJUDICATED],
        "schema_version": [schema.version], "created_at": [stamp], "confidence": [None], "note": [note],
        "judgement_key": [judgement_key(item_id, reviewer, canonical, stamp)],
    })
    writes.register_schema(connection, schema)
    writes.append_annotations(connection, row, None, writes.utcnow())
    return Adjudication(item_id, canonical, reviewer, note, schema.version, decided_at, None)


def open_flags(workspace: Workspace) -> pd.DataFrame:
    """The latest likely-label-error flag of each item: ``item_id``, ``given_label``, ``suggested_label``,
    ``score``."""
    f = t.label_issue_flags.c
    with workspace.reading() as connection:
        result = connection.execute(select(f.item_id, f.given_label, f.suggested_label, f.score)
                                    .order_by(f.flag_id))
        frame = reads.result_frame(result)
    return frame.drop_duplicates("item_id", keep="last").reset_index(drop=True)


def _current_label(workspace: Workspace, item_id: str) -> str | None:
    """The item's consensus label before the decision (None when it has none)."""
    judgements = workspace_judgements(workspace, sources=GROUND_TRUTH_SOURCES)
    if not (judgements["item_id"] == item_id).any():
        return None
    _, labels = workspace_consensus(workspace, workspace.config.consensus_method)
    match = labels.loc[labels["item_id"] == item_id, "label"]
    return None if match.empty or pd.isna(match.iloc[0]) else str(match.iloc[0])
