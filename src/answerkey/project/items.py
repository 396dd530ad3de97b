"""Items: read one or a page of them, and add items sent as JSON rows (the HTTP API) by the file import's rules.

An item already in the store with the same payload is skipped; with a different payload the whole write is
refused, since an item's content is part of its ground truth and is never silently replaced. The same rule
serves ``answerkey import items`` (:func:`split_existing_items`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from answerkey.errors import ImportValidationError, NotFoundError, RowProblem
from answerkey.io.tabular import Batch
from answerkey.io.validation import ITEM_COLUMNS, jsonable, validate_items
from answerkey.jsonable import records
from answerkey.project.annotation_rows import MAX_ROWS
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes
from answerkey.store import tables as t

__all__ = ["ITEM_ROW_FIELDS", "append_item_rows", "get_item", "list_items", "split_existing_items"]

ITEM_ROW_FIELDS = ("item_id", "payload", "group_id", "segment", "created_at")
"""The fields of an item sent as a JSON row: ``payload`` is an object; the others are text."""
SHOWN = 20
"""Problems an error keeps (all are counted), as a file import keeps."""


def _judgements() -> Any:
    """The number of judgements of each item (a withdrawal is a record, not a judgement), as a subquery."""
    a = t.annotations.c
    return (select(func.count()).where(a.item_id == t.items.c.item_id, a.label != reads.WITHDRAWN)
            .correlate(t.items).scalar_subquery().label("annotations"))


def _frame(rows: Sequence[Any], columns: list[str]) -> list[dict[str, Any]]:
    frame = pd.DataFrame(rows, columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return records(frame) or []


def list_items(workspace: Workspace, *, segment: str | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """A page of items by id (of one ``segment``, if given), each with its number of judgements, and the total."""
    i = t.items.c
    where = [i.segment == segment] if segment is not None else []
    columns = [i.item_id, i.payload, i.group_id, i.segment, i.created_at, _judgements()]
    with workspace.reading() as connection:
        total = int(connection.execute(select(func.count()).select_from(t.items).where(*where)).scalar_one())
        rows = connection.execute(select(*columns).where(*where).order_by(i.item_id).limit(limit)
                                  .offset(offset)).all()
    return _frame(rows, [c.name for c in columns]), total


def get_item(workspace: Workspace, item_id: str) -> dict[str, Any]:
    """One item: payload, group, segment, created_at and its number of judgements."""
    i = t.items.c
    columns = [i.item_id, i.payload, i.group_id, i.segment, i.created_at, _judgements()]
    with workspace.reading() as connection:
        row = connection.execute(select(*columns).where(i.item_id == item_id)).first()
    if row is None:
        raise NotFoundError(f"no item {item_id!r} in this workspace; `GET /api/items` lists them")
    return _frame([row], [c.name for c in columns])[0]


def split_existing_items(
    connection: Connection, origin: str | Path, frame: pd.DataFrame, known: set[str]
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """The rows of ``frame`` (from :func:`~answerkey.io.validation.validate_items`) that are new items, and a
    problem for each known item whose payload differs from the stored one (a known item with the same payload
    is skipped). ``known`` holds at least the ids of ``frame`` that are in the store."""
    is_known = frame["item_id"].isin(known)
    problems = []
    existing = frame[is_known]
    ids = existing["item_id"].tolist()
    stored: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        stored.update(connection.execute(select(t.items.c.item_id, t.items.c.payload)
                                         .where(t.items.c.item_id.in_(chunk))).all())
    for row in writes.records(existing):
        item_id = row["item_id"]
        if item_id in stored and writes.canonical_payload(stored[item_id]) != writes.canonical_payload(row["payload"]):
            problems.append(RowProblem(str(origin), int(row["_row"]), "item_id",
                                       f"item {item_id!r} with a payload unlike the stored one",
                                       "the same payload (items are never overwritten; use a new item id)"))
    return frame[~is_known].drop(columns="_row"), problems


def _text_fields(rows: Sequence[Any], origin: str, problems: list[RowProblem]) -> tuple[pd.DataFrame, list[Any]]:
    """The rows' text fields as the columns the file import reads, and each row's payload object."""
    fields: list[dict[str, Any]] = []
    payloads: list[Any] = []
    for position, row in enumerate(rows):
        record: dict[str, Any] = {}
        payload: Any = {}
        if not isinstance(row, Mapping):
            problems.append(RowProblem(origin, position, None, f"a JSON {type(row).__name__}", "a JSON object"))
        else:
            for name, value in row.items():
                if name not in ITEM_ROW_FIELDS:
                    problems.append(RowProblem(origin, position, str(name), "an unknown field",
                                               f"one of {', '.join(ITEM_ROW_FIELDS)}"))
                elif name == "payload":
                    payload = _payload(value, origin, position, problems)
                elif value is None or isinstance(value, str) or (isinstance(value, int | float)
                                                                 and not isinstance(value, bool)):
                    record[name] = value
                else:
                    problems.append(RowProblem(origin, position, name, f"a JSON {type(value).__name__}",
                                               "text or a number"))
            if "payload" not in row:
                problems.append(RowProblem(origin, position, "payload", "no payload", "a JSON object"))
        fields.append(record)
        payloads.append(payload)
    return pd.DataFrame(fields, columns=list(ITEM_COLUMNS), dtype=object), payloads


def _payload(value: Any, origin: str, position: int, problems: list[RowProblem]) -> Any:
    if not isinstance(value, Mapping):
        problems.append(RowProblem(origin, position, "payload", f"a JSON {type(value).__name__}", "a JSON object"))
        return {}
    reserved = sorted(str(k) for k in value if k in ITEM_COLUMNS)
    if reserved:
        problems.append(RowProblem(origin, position, f"payload.{reserved[0]}", "a reserved field name",
                                   f"payload fields other than {', '.join(ITEM_COLUMNS)} (those are the item's own "
                                   "fields: send them next to payload)"))
    return jsonable(dict(value))


def append_item_rows(connection: Connection, rows: Sequence[Any], *, origin: str = "request body") -> dict[str, int]:
    """Validate and add ``rows`` inside the caller's transaction; raises (writing nothing) on any bad row.

    Row numbers in problems are positions in the list, from 0. Returns ``rows_read``, ``items_added`` and
    ``items_skipped`` (known items sent again with the same payload).
    """
    if len(rows) > MAX_ROWS:
        raise ImportValidationError([RowProblem(origin, None, None, f"{len(rows)} rows",
                                                f"at most {MAX_ROWS} rows a request (use a file import)")])
    problems: list[RowProblem] = []
    fields, payloads = _text_fields(rows, origin, problems)
    frame, item_problems = validate_items(Path(origin), Batch(fields, 0), {})
    problems += item_problems
    frame["payload"] = [payloads[int(row)] for row in frame["_row"]]
    ids = frame["item_id"].tolist()
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(connection.execute(select(t.items.c.item_id)
                                        .where(t.items.c.item_id.in_(ids[start:start + 500]))).scalars())
    new, existing_problems = split_existing_items(connection, origin, frame, known)
    problems += existing_problems
    if problems:
        first = sorted(problems, key=lambda p: p.row if p.row is not None else -1)[:SHOWN]
        raise ImportValidationError(first, len(problems), "nothing was written")
    writes.insert_items(connection, new, None)
    return {"rows_read": len(rows), "items_added": len(new), "items_skipped": len(frame) - len(new)}
