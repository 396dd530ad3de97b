"""The only code that writes ground truth. Every function runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from answerkey.errors import SchemaError
from answerkey.schema import LabelingSchema
from answerkey.store import tables as t
from answerkey.timestamps import timestamp_text

__all__ = [
    "append_annotations",
    "ensure_annotators",
    "finish_import",
    "insert_ignoring_duplicates",
    "insert_items",
    "register_schema",
    "start_import",
    "utcnow",
]


def utcnow() -> datetime:
    """Now, as the naive UTC datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose unique key is already there (``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statement: Any = sqlite.insert(table).on_conflict_do_nothing()
    elif dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        raise NotImplementedError(f"store dialect {dialect}")
    connection.execute(statement, list(rows))


def register_schema(connection: Connection, schema: LabelingSchema) -> bool:
    """Record ``schema`` as a version; True when it was new, False when already registered unchanged.

    A changed schema must carry a new, higher version number: ground truth made under a version must keep
    meaning what it meant.
    """
    row = connection.execute(
        select(t.schema_versions.c.content_hash).where(t.schema_versions.c.version == schema.version)
    ).first()
    if row is not None:
        if row.content_hash != schema.content_hash:
            latest = connection.execute(select(func.max(t.schema_versions.c.version))).scalar_one()
            raise SchemaError(
                f"schema.yaml changed but still says version {schema.version}, which is registered with other "
                f"content; set `version: {latest + 1}` to register the change as a new version"
            )
        return False
    latest = connection.execute(select(func.max(t.schema_versions.c.version))).scalar_one_or_none()
    if latest is not None and schema.version < latest:
        raise SchemaError(
            f"schema.yaml says version {schema.version}, but version {latest} is already registered; "
            f"a new version must be higher (use {latest + 1})"
        )
    connection.execute(
        insert(t.schema_versions).values(
            version=schema.version,
            name=schema.name,
            task=schema.task.value,
            content=schema.canonical_json(),
            content_hash=schema.content_hash,
            registered_at=utcnow(),
        )
    )
    return True


def start_import(connection: Connection, kind: str, file: str, file_sha256: str) -> int:
    """Record that an import began; its id tags every row it writes."""
    result = connection.execute(
        insert(t.imports).values(
            kind=kind, file=file, file_sha256=file_sha256, rows_read=0, rows_added=0, imported_at=utcnow()
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_import(connection: Connection, import_id: int, rows_read: int, rows_added: int) -> None:
    """Record how many rows the import read and added."""
    connection.execute(
        update(t.imports).where(t.imports.c.import_id == import_id).values(rows_read=rows_read, rows_added=rows_added)
    )


def ensure_annotators(connection: Connection, annotator_ids: Iterable[str], seen_at: datetime) -> None:
    """Register annotators on first sight."""
    rows = [{"annotator_id": a, "first_seen_at": seen_at} for a in sorted(set(annotator_ids))]
    insert_ignoring_duplicates(connection, t.annotators, rows)


ANNOTATION_INSERT_COLUMNS = (
    "item_id", "annotator_id", "label", "source", "schema_version", "created_at", "confidence", "note",
    "import_id", "recorded_at", "judgement_key",
)


def append_annotations(
    connection: Connection, clean: pd.DataFrame, import_id: int | None, recorded_at: datetime
) -> None:
    """Append annotations as ``validate_annotations`` cleaned them; a judgement already stored is skipped.

    This is the hot path of every import, so rows go to the driver as tuples, past SQLAlchemy's per-row
    parameter processing; ``ON CONFLICT (item_id, judgement_key) DO NOTHING`` makes re-imports add nothing.
    """
    if clean.empty:
        return
    ensure_annotators(connection, clean["annotator_id"].unique().tolist(), recorded_at)
    n = len(clean)
    confidence = clean["confidence"].astype(float).to_numpy().astype(object)
    confidence[pd.isna(clean["confidence"]).to_numpy()] = None
    notes = clean["note"].to_numpy(dtype=object, copy=True)
    notes[pd.isna(clean["note"]).to_numpy()] = None
    columns = [
        clean["item_id"].to_numpy(dtype=object),
        clean["annotator_id"].to_numpy(dtype=object),
        clean["label"].to_numpy(dtype=object),
        clean["source"].to_numpy(dtype=object),
        clean["schema_version"].astype("int64").to_numpy().tolist(),
        clean["created_at"].to_numpy(dtype=object),
        confidence,
        notes,
        [import_id] * n,
        [recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f")] * n,
        clean["judgement_key"].to_numpy(dtype=object),
    ]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO annotations ({', '.join(ANNOTATION_INSERT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(ANNOTATION_INSERT_COLUMNS))}) ON CONFLICT (item_id, judgement_key) DO NOTHING"
    )
    connection.exec_driver_sql(statement, list(zip(*columns, strict=True)))


def insert_items(connection: Connection, frame: pd.DataFrame, import_id: int | None) -> None:
    """Insert new items (item_id, payload dict, group_id, segment, created_at)."""
    created: Any = timestamp_text(frame["created_at"]) if len(frame) else []
    rows = [
        {
            "item_id": row["item_id"],
            "payload": row["payload"],
            "group_id": row["group_id"],
            "segment": row["segment"],
            "created_at": None if stamp is None else datetime.fromisoformat(stamp),
            "import_id": import_id,
        }
        for row, stamp in zip(records(frame), created, strict=True)
    ]
    if rows:
        connection.execute(insert(t.items), rows)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def canonical_payload(payload: dict[str, Any]) -> str:
    """Payload as canonical JSON, to compare an item against the one already stored."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
