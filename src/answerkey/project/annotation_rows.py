"""Annotations sent as JSON rows (the HTTP API): the file import's validation, one transaction, all or nothing.

Rows use the import format (``item_id``, ``annotator_id``, ``label``, optional ``created_at``, ``source``,
``schema_version``, ``confidence``, ``note``). Only the items a request names are looked up, so a write costs
the same in a store of a thousand items or of ten million. A row without ``created_at`` is stamped with the
time it was received, so a relabel by the same person is a new judgement rather than a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.tabular import Batch
from answerkey.io.validation import ANNOTATION_COLUMNS, AnnotationContext, validate_annotations
from answerkey.quality.aggregation import ADJUDICATED
from answerkey.schema import LabelingSchema
from answerkey.store import reads, writes
from answerkey.store import tables as t
from answerkey.timestamps import timestamp_text

__all__ = ["MAX_ROWS", "AnnotationWrite", "append_annotation_rows"]

MAX_ROWS = 10_000
"""Rows one request may carry; larger batches belong in a file import."""


class AnnotationWrite:
    """Who writes and what they may write: an annotator only their own judgements and never an adjudication."""

    def __init__(self, actor: str, *, on_behalf: bool, adjudicate: bool) -> None:
        self.actor = actor
        self.on_behalf = on_behalf
        self.adjudicate = adjudicate


def _rows_frame(rows: Sequence[Any], origin: str, problems: list[RowProblem]) -> pd.DataFrame:
    """The rows as the text columns the file import reads; values that are not text or numbers are problems."""
    records: list[dict[str, str | None]] = []
    for position, row in enumerate(rows):
        record: dict[str, str | None] = {}
        if not isinstance(row, Mapping):
            problems.append(RowProblem(origin, position, None, f"a JSON {type(row).__name__}", "a JSON object"))
            records.append(record)
            continue
        for column, value in row.items():
            if column not in ANNOTATION_COLUMNS:
                problems.append(RowProblem(origin, position, str(column), "an unknown field",
                                           f"one of {', '.join(ANNOTATION_COLUMNS)}"))
            elif value is None or isinstance(value, str):
                record[column] = value.strip() or None if isinstance(value, str) else None
            elif isinstance(value, int | float) and not isinstance(value, bool):
                record[column] = str(value)
            else:
                problems.append(RowProblem(origin, position, column, f"a JSON {type(value).__name__}",
                                           "text or a number"))
        records.append(record)
    return pd.DataFrame(records, columns=list(ANNOTATION_COLUMNS), dtype=object)


def _known_positions(connection: Connection, ids: pd.Series) -> np.ndarray:
    """Each id's position among the ids that exist (only the ids asked about are read)."""
    wanted = sorted({str(i) for i in ids.dropna()})
    found: list[str] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found += connection.execute(select(t.items.c.item_id).where(t.items.c.item_id.in_(chunk))).scalars().all()
    known = pd.Index(sorted(found))
    return np.asarray(known.get_indexer(pd.Index(ids.to_numpy(dtype=object))))


def _check_rights(frame: pd.DataFrame, write: AnnotationWrite, origin: str, problems: list[RowProblem]) -> None:
    for position, (annotator, source) in enumerate(zip(frame["annotator_id"], frame["source"], strict=True)):
        if not write.on_behalf and annotator is not None and annotator != write.actor:
            problems.append(RowProblem(origin, position, "annotator_id", f"{annotator!r}",
                                       f"your own name {write.actor!r} (an annotator writes only their own labels)"))
        if not write.adjudicate and source == ADJUDICATED:
            problems.append(RowProblem(origin, position, "source", repr(source),
                                       "a source other than adjudicated (adjudicating needs the reviewer role)"))


def append_annotation_rows(
    connection: Connection, schema: LabelingSchema, rows: Sequence[Any], write: AnnotationWrite,
    *, origin: str = "request body",
) -> dict[str, int]:
    """Validate and append ``rows`` inside the caller's transaction; raises (writing nothing) on any bad row.

    Row numbers in problems are positions in the list, from 0. Returns ``rows_read`` and ``rows_added`` (a
    judgement already stored is not added twice).
    """
    if len(rows) > MAX_ROWS:
        raise ImportValidationError([RowProblem(origin, None, None, f"{len(rows)} rows",
                                                f"at most {MAX_ROWS} rows a request (use a file import)")])
    problems: list[RowProblem] = []
    frame = _rows_frame(rows, origin, problems)
    frame["annotator_id"] = frame["annotator_id"].where(frame["annotator_id"].notna(), write.actor)
    _check_rights(frame, write, origin, problems)
    received = str(timestamp_text(pd.Series([writes.utcnow()]))[0])
    frame["created_at"] = frame["created_at"].where(frame["created_at"].notna(), received)
    writes.register_schema(connection, schema)
    context = AnnotationContext(
        path=Path(origin), item_positions=lambda ids: _known_positions(connection, ids),
        schemas=reads.schemas(connection), default_version=schema.version,
    )
    context.problems.extend(problems)
    context.total_problems += len(problems)
    clean = validate_annotations(Batch(frame, 0), context)
    if context.total_problems:
        raise ImportValidationError(context.problems, context.total_problems, "nothing was written")
    stored = _stored_keys(connection, clean)
    sent = {(i, bytes(k)) for i, k in zip(clean["item_id"], clean["judgement_key"], strict=True)}
    writes.append_annotations(connection, clean, None, writes.utcnow())
    return {"rows_read": len(rows), "rows_added": len(sent - stored)}


def _stored_keys(connection: Connection, clean: pd.DataFrame) -> set[tuple[str, bytes]]:
    """The (item, judgement key) pairs of these items already in the store."""
    a = t.annotations.c
    ids = sorted(set(clean["item_id"]))
    stored: set[tuple[str, bytes]] = set()
    for start in range(0, len(ids), 500):
        rows = connection.execute(select(a.item_id, a.judgement_key).where(a.item_id.in_(ids[start:start + 500])))
        stored.update((r.item_id, bytes(r.judgement_key)) for r in rows)
    return stored
