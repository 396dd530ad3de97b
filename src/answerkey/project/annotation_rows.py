"""Annotations sent as JSON rows (the HTTP API): the file import's validation, one transaction, all or nothing.

Rows use the import format (``item_id``, ``annotator_id``, ``label``, optional ``created_at``, ``source``,
``schema_version``, ``confidence``, ``note``). Only the items a request names are looked up, so a write costs
the same in a store of a thousand items or of ten million. A row without ``created_at`` is stamped with the
time it was received, so a relabel by the same person is a new judgement rather than a duplicate.

A request is usually a few plainly valid rows, for which the file import's validator (built for millions of
rows, where pandas pays) costs far more than the write. Such rows take a short path that gives the same clean
rows; any row it is not sure of sends the whole request through the import's validator, which names every
problem exactly as a file import would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.identifiers import has_control
from answerkey.io.tabular import Batch
from answerkey.io.validation import (
    ANNOTATION_COLUMNS,
    SOURCES,
    AnnotationContext,
    judgement_key,
    validate_annotations,
)
from answerkey.quality.aggregation import ADJUDICATED
from answerkey.schema import LabelingSchema, label_checker
from answerkey.store import reads, writes
from answerkey.store import tables as t
from answerkey.timestamps import parse_timestamps, timestamp_text

__all__ = ["MAX_ROWS", "AnnotationWrite", "append_annotation_rows"]

MAX_ROWS = 10_000
"""Rows one request may carry; larger batches belong in a file import."""

SHORT_PATH_ROWS = 2000
"""Up to this many rows a request is first tried on the short path (5 rows: 0.5 ms against pandas' 9 ms; they
break even near 2,500 rows)."""
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""``timestamp_text``'s form, for the time a request is received."""
PLAIN_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
                         r"(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?")
"""The date-time forms the short path reads itself; any other goes to pandas, as in a file import."""
DEFAULT_SOURCE = "human"
"""The source of a row that names none, as in a file import."""
CLEAN_COLUMNS = ("item_id", "annotator_id", "label", "source", "note", "created_at", "judgement_key")
_CLEAN_NAMES = pd.Index([*CLEAN_COLUMNS, "schema_version", "confidence"])


class AnnotationWrite:
    """Who writes and what they may write: an annotator only their own judgements, and never with a source that
    outranks the crowd (``reserved``: the workspace's authority sources, adjudicated and expert by default)."""

    def __init__(self, actor: str, *, on_behalf: bool, adjudicate: bool,
                 reserved: Sequence[str] = (ADJUDICATED, "expert")) -> None:
        self.actor = actor
        self.on_behalf = on_behalf
        self.adjudicate = adjudicate
        self.reserved = frozenset({ADJUDICATED, *reserved})

    def may_use(self, source: str | None) -> bool:
        """True when this writer may write judgements of ``source``."""
        return self.adjudicate or source not in self.reserved


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
    known = pd.Index(sorted(_existing_items(connection, [str(i) for i in ids.dropna()])))
    return np.asarray(known.get_indexer(pd.Index(ids.to_numpy(dtype=object))))


def _check_rights(frame: pd.DataFrame, write: AnnotationWrite, origin: str, problems: list[RowProblem]) -> None:
    for position, (annotator, source) in enumerate(zip(frame["annotator_id"], frame["source"], strict=True)):
        if not write.on_behalf and annotator is not None and annotator != write.actor:
            problems.append(RowProblem(origin, position, "annotator_id", f"{annotator!r}",
                                       f"your own name {write.actor!r} (an annotator writes only their own labels)"))
        if not write.may_use(source):
            problems.append(RowProblem(origin, position, "source", repr(source),
                                       f"a source other than {', '.join(sorted(write.reserved))} (labels that "
                                       "outrank the crowd need the reviewer role)"))


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
    received = writes.utcnow().strftime(STAMP_FORMAT)
    writes.register_schema(connection, schema)
    schemas = reads.schemas(connection)
    clean = _plain_rows(connection, rows, write, schemas, schema.version, received) \
        if len(rows) <= SHORT_PATH_ROWS else None
    if clean is None:
        clean = _validated_rows(connection, rows, write, schemas, schema.version, received, origin)
    added = writes.append_annotations(connection, clean, None, writes.utcnow())
    return {"rows_read": len(rows), "rows_added": added}


def _validated_rows(
    connection: Connection, rows: Sequence[Any], write: AnnotationWrite, schemas: dict[int, LabelingSchema],
    version: int, received: str, origin: str,
) -> pd.DataFrame:
    """The file import's validation of ``rows``: the clean rows, or every problem raised at once."""
    problems: list[RowProblem] = []
    frame = _rows_frame(rows, origin, problems)
    frame["annotator_id"] = frame["annotator_id"].where(frame["annotator_id"].notna(), write.actor)
    _check_rights(frame, write, origin, problems)
    frame["created_at"] = frame["created_at"].where(frame["created_at"].notna(), received)
    context = AnnotationContext(
        path=Path(origin), item_positions=lambda ids: _known_positions(connection, ids),
        schemas=schemas, default_version=version,
    )
    context.problems.extend(problems)
    context.total_problems += len(problems)
    clean = validate_annotations(Batch(frame, 0), context)
    if context.total_problems:
        raise ImportValidationError(context.problems, context.total_problems, "nothing was written")
    return clean


def _plain_rows(
    connection: Connection, rows: Sequence[Any], write: AnnotationWrite, schemas: dict[int, LabelingSchema],
    version: int, received: str,
) -> pd.DataFrame | None:
    """What :func:`_validated_rows` returns for ``rows``, without pandas per column, when every row is plainly
    valid; None at the first thing it is not sure of (the import's validator then decides and explains)."""
    checkers = {number: label_checker(schema) for number, schema in schemas.items()}
    columns: dict[str, list[Any]] = {name: [] for name in (*CLEAN_COLUMNS, "schema_version", "confidence")}
    for row in rows:
        record = _plain_record(row)
        if record is None:
            return None
        annotator = record.get("annotator_id", write.actor)
        source = record.get("source", DEFAULT_SOURCE)
        if (annotator != write.actor and not write.on_behalf) or source not in SOURCES \
                or not write.may_use(source):
            return None
        number = record.get("schema_version")
        row_version = version if number is None else int(number) if number.isascii() and number.isdigit() else None
        item, label = record.get("item_id"), record.get("label")
        if row_version not in checkers or item is None or label is None:
            return None
        if has_control(item + annotator) or "\x00" in record.get("note", ""):  # the validator names the cell
            return None
        canonical = checkers[row_version](label)
        if canonical is None:
            return None
        for name, value in (("item_id", item), ("annotator_id", annotator), ("label", canonical),
                            ("source", source), ("note", record.get("note")), ("schema_version", row_version),
                            ("created_at", record.get("created_at", received)),
                            ("confidence", record.get("confidence"))):
            columns[name].append(value)
    if set(columns["item_id"]) - _existing_items(connection, columns["item_id"]):
        return None
    stamps = _plain_stamps(columns["created_at"])
    if stamps is None:  # a form of date or time the short path does not read: pandas reads the column
        created = parse_timestamps(pd.Series(columns["created_at"], dtype=object))
        if created.isna().any():
            return None
        stamps = list(timestamp_text(created))
    confidence = np.full(len(rows), np.nan)
    given = [position for position, value in enumerate(columns["confidence"]) if value is not None]
    if given:
        numbers = pd.to_numeric(pd.Series([columns["confidence"][p] for p in given], dtype=object), errors="coerce")
        if not numbers.between(0, 1).all():
            return None
        confidence[given] = numbers.to_numpy(dtype=float)
    columns["created_at"] = stamps
    columns["judgement_key"] = [judgement_key(*fields) for fields in zip(
        columns["item_id"], columns["annotator_id"], columns["label"], columns["created_at"], strict=True)]
    columns["confidence"] = list(confidence)
    order = sorted(range(len(rows)), key=columns["item_id"].__getitem__)  # grouped by item, as the import does
    cells = np.empty((len(order), len(_CLEAN_NAMES)), dtype=object)
    for position, name in enumerate(_CLEAN_NAMES):
        cells[:, position] = [columns[name][p] for p in order]
    # one block of objects (a fifth of the time of typed columns); append_annotations converts the numbers itself
    return pd.DataFrame(cells, columns=_CLEAN_NAMES, dtype=object)


def _plain_stamps(texts: list[str]) -> list[str] | None:
    """``timestamp_text(parse_timestamps(texts))`` for date-times in the plain ISO 8601 forms (``T`` or a space,
    up to microseconds, ``Z``, an offset or none); None when any is in another form or out of the usual years."""
    stamps = []
    for text in texts:
        if not PLAIN_STAMP.fullmatch(text) or not 1700 <= int(text[:4]) <= 2200:
            return None
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            return None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        stamps.append(stamp.strftime(STAMP_FORMAT))
    return stamps


def _plain_record(row: Any) -> dict[str, str] | None:
    """A row as the text the file import reads (strings stripped, numbers written out, empties dropped), or None
    when it has something else (an unknown field, a list, a boolean...)."""
    if not isinstance(row, Mapping):
        return None
    record: dict[str, str] = {}
    for column, value in row.items():
        if column not in ANNOTATION_COLUMNS:
            return None
        if isinstance(value, str):
            if value.strip():
                record[column] = value.strip()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            record[column] = str(value)
        elif value is not None:
            return None
    return record


def _existing_items(connection: Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` are items in the store (only these are read)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(connection.execute(select(t.items.c.item_id).where(t.items.c.item_id.in_(chunk))).scalars())
    return found
