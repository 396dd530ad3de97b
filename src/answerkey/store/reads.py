"""Queries over the store; they return plain values and DataFrames, never ORM objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, CursorResult, func, select

from answerkey.schema import LabelingSchema
from answerkey.store import tables as t

__all__ = [
    "WITHDRAWN",
    "annotation_records",
    "annotation_watermark",
    "annotations_frame",
    "annotations_state",
    "counts",
    "item_id_lookup",
    "items_frame",
    "refreshed_records",
    "release_labels_frame",
    "release_row",
    "release_rows",
    "result_frame",
    "schemas",
    "without_withdrawn",
]


def result_frame(result: CursorResult[Any]) -> pd.DataFrame:
    """A query's rows as a frame with the query's column names. The rows go in as plain tuples: pandas takes a
    SQLAlchemy row for a named tuple and probes it attribute by attribute, five times slower."""
    return pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()))


def schemas(connection: Connection) -> dict[int, LabelingSchema]:
    """Every registered schema version."""
    rows = connection.execute(select(t.schema_versions.c.version, t.schema_versions.c.content)).all()
    return {row.version: LabelingSchema.model_validate_json(row.content) for row in rows}


def item_id_lookup(connection: Connection) -> set[str]:
    """The set of item ids in the store (for validating imports)."""
    return set(connection.execute(select(t.items.c.item_id)).scalars())


def annotation_watermark(connection: Connection) -> int:
    """The highest annotation id so far (0 in an empty store)."""
    return int(connection.execute(select(func.coalesce(func.max(t.annotations.c.annotation_id), 0))).scalar_one())


def annotations_state(connection: Connection) -> tuple[int, int]:
    """How many annotations the store holds and the newest id: append-only, so any write changes the pair (the
    count, since on PostgreSQL a judgement may commit with a lower id than one already seen)."""
    a = t.annotations.c
    count, newest = connection.execute(select(func.count(), func.coalesce(func.max(a.annotation_id), 0))).one()
    return int(count), int(newest)


def item_version(connection: Connection, item_id: str) -> int:
    """How many judgements one item has (0 when none): annotations are append-only, so the count grows with every
    change, and a decision based on a smaller count is stale. (The newest id would not do: on PostgreSQL ids
    can commit out of order, so a judgement that lands late may carry a lower id.)"""
    a = t.annotations.c
    return int(connection.execute(select(func.count()).select_from(t.annotations)
                                  .where(a.item_id == item_id)).scalar_one())


def annotations_frame(
    connection: Connection, *, up_to: int | None = None, exclude_sources: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Annotations in recording order, optionally only those up to annotation id ``up_to``, without what was
    withdrawn by then (:func:`without_withdrawn`)."""
    return without_withdrawn(annotation_records(connection, up_to=up_to, exclude_sources=exclude_sources))


def annotation_records(
    connection: Connection, *, after: int | None = None, up_to: int | None = None,
    exclude_sources: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Annotations as recorded (withdrawals and what they withdrew included), in recording order; only those
    with an id above ``after`` and up to ``up_to`` when given."""
    a = t.annotations.c
    query = select(
        a.annotation_id, a.item_id, a.annotator_id, a.label, a.source, a.schema_version, a.created_at,
        a.confidence, a.note,
    ).order_by(a.annotation_id)
    if after is not None:
        query = query.where(a.annotation_id > after)
    if up_to is not None:
        query = query.where(a.annotation_id <= up_to)
    if exclude_sources:
        query = query.where(a.source.not_in(exclude_sources))
    result = connection.execute(query)
    frame = result_frame(result)
    if frame.empty:
        frame = pd.DataFrame(columns=list(result.keys()))
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["confidence"] = frame["confidence"].astype(float)
    return frame


def refreshed_records(
    connection: Connection, earlier: tuple[tuple[int, int], pd.DataFrame] | None, exclude_sources: tuple[str, ...],
) -> tuple[tuple[int, int], pd.DataFrame]:
    """:func:`annotation_records` brought up to date, with the store state ``(count, newest id)`` they hold at
    least. From an ``earlier`` read, only the rows above its newest id are read and appended when they are all
    that was added (the count says so); a row that committed late under a lower id (PostgreSQL) means a whole
    read."""
    if earlier is not None:
        (count, newest), records = earlier
        added = annotation_records(connection, after=newest)
        now = annotations_state(connection)
        if count + len(added) == now[0]:
            if len(added):
                kept = added[~added["source"].isin(list(exclude_sources))]
                # a whole read may already hold rows above the state it was taken at
                records = pd.concat([records, kept], ignore_index=True).drop_duplicates("annotation_id")
                records = records.sort_values("annotation_id", kind="stable").reset_index(drop=True)
            return now, records
    state = annotations_state(connection)  # taken before the read: the frame holds at least this
    return state, annotation_records(connection, exclude_sources=exclude_sources)


WITHDRAWN = ""
"""The label of a withdrawal: an annotator (a behavioural definition, a labeling function) no longer asserts
what it said about an item. No schema has an empty label, so it cannot be mistaken for one."""


def without_withdrawn(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (in recording order) without the withdrawals and what each withdrew: every judgement of the same
    annotator on the same item recorded before it. A judgement recorded after a withdrawal stands."""
    marks = frame["label"] == WITHDRAWN
    if not marks.any():
        return frame
    last = frame[marks].groupby(["item_id", "annotator_id"])["annotation_id"].max().rename("_withdrawn")
    keyed = frame.join(last, on=["item_id", "annotator_id"])
    keep = keyed["_withdrawn"].isna() | (keyed["annotation_id"] > keyed["_withdrawn"])
    return frame[keep.to_numpy()].reset_index(drop=True)


def items_frame(connection: Connection, item_ids: list[str] | None = None) -> pd.DataFrame:
    """Items with their payload dicts, ordered by item id."""
    i = t.items.c
    query = select(i.item_id, i.payload, i.group_id, i.segment, i.created_at).order_by(i.item_id)
    result = connection.execute(query)
    frame = result_frame(result)
    if frame.empty:
        frame = pd.DataFrame(columns=list(result.keys()))
    if item_ids is not None:
        frame = frame[frame["item_id"].isin(set(item_ids))]
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame.reset_index(drop=True)


def counts(connection: Connection) -> dict[str, Any]:
    """Counts for ``answerkey status``: items, annotators, annotations by source and version, releases."""
    a = t.annotations.c
    judged = a.label != WITHDRAWN  # a withdrawal is a record, not a judgement
    by_source: dict[str, int] = dict(
        connection.execute(select(a.source, func.count()).where(judged).group_by(a.source)).all()
    )
    by_version: dict[int, int] = dict(
        connection.execute(select(a.schema_version, func.count()).where(judged).group_by(a.schema_version)).all()
    )
    return {
        "items": connection.execute(select(func.count()).select_from(t.items)).scalar_one(),
        "annotators": connection.execute(select(func.count()).select_from(t.annotators)).scalar_one(),
        "annotations": int(sum(by_source.values())),
        "annotations_by_source": {k: int(v) for k, v in sorted(by_source.items())},
        "annotations_by_schema_version": {str(k): int(v) for k, v in sorted(by_version.items())},
        "labeled_items": connection.execute(select(func.count(func.distinct(a.item_id))).where(judged)).scalar_one(),
        "schema_versions": sorted(connection.execute(select(t.schema_versions.c.version)).scalars()),
        "releases": connection.execute(select(func.count()).select_from(t.releases)).scalar_one(),
        "imports": connection.execute(select(func.count()).select_from(t.imports)).scalar_one(),
    }


def release_rows(connection: Connection) -> list[dict[str, Any]]:
    """Every release, oldest first."""
    r = t.releases.c
    rows = connection.execute(select(t.releases).order_by(r.created_at, r.name)).mappings().all()
    return [dict(row) for row in rows]


def release_row(connection: Connection, name: str) -> dict[str, Any] | None:
    """One release's row, or None."""
    row = connection.execute(select(t.releases).where(t.releases.c.name == name)).mappings().first()
    return dict(row) if row else None


def release_labels_frame(connection: Connection, name: str) -> pd.DataFrame:
    """A release's frozen labels, ordered by item id."""
    r = t.release_labels.c
    result = connection.execute(
        select(r.item_id, r.label, r.confidence, r.status, r.n_judgements).where(r.release_name == name)
    )
    frame = result_frame(result)
    if frame.empty:
        frame = pd.DataFrame(columns=list(result.keys()))
    frame["confidence"] = frame["confidence"].astype(float)
    frame["label"] = frame["label"].astype(object).where(frame["label"].notna(), None)
    order = np.argsort(frame["item_id"].to_numpy(dtype=str), kind="stable")
    return frame.iloc[order].reset_index(drop=True)
