"""Deriving a behavioural label in the engine: one query joins each entity's anchor to its first matching
event inside the window; only one row per entity comes back.

Rules (pinned by tests): the window is ``[anchor, anchor + window)`` (an event at the anchor counts, one at
its end does not); events after ``as_of`` have not been seen; an entity whose window holds a matching event
is positive (decided at that event), one whose window closed by ``as_of`` without one is negative (decided at
the window's end), and any other is immature: no label, never a negative.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.labels.definition import BehavioralDefinition, Source
from answerkey.labels.outcome_sql import outcome_filter
from answerkey.monitoring.engines import as_table

__all__ = ["DERIVED_COLUMNS", "STATUSES", "derive_behavioral"]

STATUSES = ("positive", "negative", "immature")
DERIVED_COLUMNS = ("item_id", "anchor_at", "status", "label", "decided_at")


def _source(definition: BehavioralDefinition, source: Source, entity: str, con: Any, what: str) -> Any:
    table = _open(con, source.table, f"{definition.name}: {what} table")
    for column, field in ((entity, f"{what}.entity" if source.entity else "entity"), (source.time, f"{what}.time")):
        if column not in table.columns:
            raise ParameterError(f"{definition.name}: {field} names column {column!r}, which the {what} table "
                                 f"{source.table!r} does not have (columns: {', '.join(table.columns)})")
    if not table[source.time].type().is_timestamp() and not table[source.time].type().is_date():
        raise ParameterError(f"{definition.name}: {what}.time column {source.time!r} must be a timestamp; "
                             f"got {table[source.time].type()}")
    return table


def _open(con: Any, name: str, what: str) -> Any:
    """A table of the engine by name, or a Parquet/CSV file (a name with a suffix, a slash or a glob)."""
    if any(mark in name for mark in ("/", "*", ".parquet", ".csv", ".pq")):
        return as_table(name, con, what=what)
    try:
        return con.table(name)
    except Exception:
        try:
            tables = ", ".join(sorted(con.list_tables())[:10]) or "none"
        except Exception:  # some backends (DuckDB 2 under Ibis 12) cannot list: say so without the list
            tables = "not listed by this engine"
        raise ParameterError(f"{what} {name!r} is neither a table of the engine (tables: {tables}) nor a Parquet "
                             f"or CSV path") from None


def derive_behavioral(definition: BehavioralDefinition, con: Any, as_of: datetime) -> pd.DataFrame:
    """The label of every entity of the anchor table as of ``as_of``: :data:`DERIVED_COLUMNS`, one row each.

    Refused: a missing table or column, an outcome that is not a valid SQL boolean over the event table, an
    entity with two anchors or none (NULL), an anchor without a time.
    """
    as_of = _naive_utc(as_of)
    anchors = _source(definition, definition.anchor, definition.anchor_entity, con, "anchor")
    events = _source(definition, definition.events, definition.event_entity, con, "events")
    stamp = ibis.literal(pd.Timestamp(as_of).to_pydatetime(), type="timestamp")
    seconds = int(definition.window_length.total_seconds())
    base = anchors.select(item_id=anchors[definition.anchor_entity].cast("string"),
                          anchor_at=anchors[definition.anchor.time].cast("timestamp"))
    _check_anchors(definition, con, base)
    matching = events.filter(outcome_filter(events, definition.outcome, f"{definition.name}: outcome"))
    hits = matching.select(entity=matching[definition.event_entity].cast("string"),
                           at=matching[definition.events.time].cast("timestamp"))
    hits = hits.filter(hits.at <= stamp)
    end = base.anchor_at + ibis.interval(seconds=seconds)
    joined = base.left_join(hits, (base.item_id == hits.entity) & (hits.at >= base.anchor_at) & (hits.at < end))
    first = joined.group_by(["item_id", "anchor_at"]).aggregate(first_event=joined.at.min())
    try:
        frame = first.to_pyarrow().to_pandas()
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"{definition.name}: the engine could not derive the labels ({reason})") from None
    return label_rows(frame, definition, pd.Timestamp(as_of))


def _naive_utc(value: datetime) -> datetime:
    """``value`` as a naive UTC time (a time with a zone is converted; a naive one is taken as UTC)."""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ParameterError.invalid("as_of", "a time", value)
    return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp).to_pydatetime()


def label_rows(frame: pd.DataFrame, definition: BehavioralDefinition, as_of: pd.Timestamp) -> pd.DataFrame:
    """From ``item_id``, ``anchor_at`` and ``first_event`` (NULL when none) to statuses and labels."""
    anchor = pd.to_datetime(frame["anchor_at"])
    first = pd.to_datetime(frame["first_event"])
    closes = anchor + definition.window_length
    positive = first.notna()
    negative = ~positive & (closes <= as_of)
    status = np.where(positive, "positive", np.where(negative, "negative", "immature"))
    label = np.full(len(frame), None, dtype=object)  # None, not NaN: immature has no label at all
    label[positive.to_numpy()], label[negative.to_numpy()] = definition.labels.positive, definition.labels.negative
    # a one-sided definition (negative None) leaves closed windows without the outcome unlabelled
    decided = first.where(positive, closes.where(negative))
    result = pd.DataFrame({"item_id": frame["item_id"].astype(str), "anchor_at": anchor, "status": status,
                           "label": pd.Series(label, index=frame.index, dtype=object), "decided_at": decided})
    return result.sort_values("item_id", ignore_index=True)[list(DERIVED_COLUMNS)]


def _check_anchors(definition: BehavioralDefinition, con: Any, base: Any) -> None:
    """One anchor per entity, each with a time: a label belongs to one entity at one moment."""
    counts = base.group_by("item_id").aggregate(n=base.count(), missing=base.anchor_at.isnull().sum())
    bad = counts.filter((counts.n > 1) | counts.item_id.isnull() | (counts.missing > 0)).limit(5)
    found = bad.to_pyarrow().to_pandas()
    if found.empty:
        return
    where = f"{definition.name}: anchor table {definition.anchor.table!r}"
    if found["item_id"].isna().any():
        raise ParameterError(f"{where} has rows without an entity ({definition.anchor_entity!r} is NULL)")
    twice = found[found["n"] > 1]["item_id"].tolist()
    if twice:
        raise ParameterError(f"{where} has more than one anchor for entities {', '.join(map(str, twice))}: one "
                             f"anchor per entity expected (one label per item)")
    raise ParameterError(f"{where} has anchors without a time ({definition.anchor.time!r} is NULL) for entities "
                         f"{', '.join(map(str, found['item_id']))}")
