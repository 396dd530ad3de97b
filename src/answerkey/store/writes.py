"""The only code that writes ground truth. Every function runs inside the caller's transaction."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from answerkey.errors import SchemaError
from answerkey.schema import LabelingSchema
from answerkey.store import tables as t
from answerkey.store.chain import ANNOTATION_CHAIN_COLUMNS, chain_hashes, item_content_hash, row_digests
from answerkey.timestamps import timestamp_text

__all__ = [
    "append_annotations",
    "ensure_annotators",
    "extend_annotation_chain",
    "finish_import",
    "forget_pending",
    "insert_ignoring_duplicates",
    "insert_items",
    "lock_annotation_log",
    "register_schema",
    "start_import",
    "utcnow",
]


def utcnow() -> datetime:
    """Now, as the naive UTC datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose unique key is already there (``ON CONFLICT DO NOTHING``)."""
    if rows:
        connection.execute(_insert_or_skip(connection, table), list(rows))


def _insert_or_skip(connection: Connection, table: Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table`` in the store's dialect."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"store dialect {dialect}")  # pragma: no cover - only SQLite and PostgreSQL


def register_schema(connection: Connection, schema: LabelingSchema) -> bool:
    """Record ``schema`` as a version; True when it was new, False when already registered unchanged.

    A changed schema must carry a new, higher version number: ground truth made under a version must keep
    meaning what it meant. Two imports that register the same version at once both go on: the second waits for
    the first's row and then compares with it.
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
    added = connection.execute(_insert_or_skip(connection, t.schema_versions).values(
        version=schema.version, name=schema.name, task=schema.task.value, content=schema.canonical_json(),
        content_hash=schema.content_hash, registered_at=utcnow(),
    ).returning(t.schema_versions.c.version)).first()
    return True if added else register_schema(connection, schema)  # a concurrent import registered it first


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


ANNOTATION_INSERT_COLUMNS = ANNOTATION_CHAIN_COLUMNS
_POSTGRES_TYPES = ("text", "text", "text", "text", "integer", "timestamp", "float8", "text", "integer", "timestamp",
                   "bytea")
"""The PostgreSQL types of :data:`ANNOTATION_INSERT_COLUMNS`, for one INSERT over arrays."""
PENDING = "answerkey.annotation_chain.pending"
"""Where a connection keeps the annotations its open transaction appended, until :func:`extend_annotation_chain`."""


@dataclass
class _Pending:
    """Appended annotations awaiting their chain entries: ids and row digests, packed (an import may hold
    millions)."""

    ids: array[int] = field(default_factory=lambda: array("q"))
    digests: bytearray = field(default_factory=bytearray)


def lock_annotation_log(connection: Connection) -> None:
    """Hold the annotation log's chain until the transaction ends, so entries chain one after another.

    SQLite has one writer at a time already; on PostgreSQL a transaction-scoped advisory lock keyed by the
    annotation_chain table (its oid, so each schema has its own) queues the commits that extend the chain.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock('annotation_chain'::regclass::oid::bigint)")


def append_annotations(
    connection: Connection, clean: pd.DataFrame, import_id: int | None, recorded_at: datetime
) -> int:
    """Append annotations as ``validate_annotations`` cleaned them; returns how many were added (a judgement
    already stored, or repeated in ``clean``, is skipped).

    This is the hot path of every import, so rows go to the driver as tuples, past SQLAlchemy's per-row
    parameter processing; ``ON CONFLICT (item_id, judgement_key) DO NOTHING`` makes re-imports add nothing (on
    SQLite the insert guard skips such a row first). The rows added come back as stored (``RETURNING`` on
    PostgreSQL; on SQLite, the one writer, the ids above the newest before), and each one's digest waits on the
    connection until the transaction commits: then :func:`extend_annotation_chain` links them into the log's
    hash chain (:mod:`answerkey.store.chain`), so concurrent writers wait for each other only for that step.
    """
    if clean.empty:
        return 0
    ensure_annotators(connection, clean["annotator_id"].unique().tolist(), recorded_at)
    n = len(clean)
    confidence = clean["confidence"].astype(float).to_numpy().astype(object)
    confidence[pd.isna(clean["confidence"]).to_numpy()] = None
    notes = clean["note"].to_numpy(dtype=object, copy=True)
    notes[pd.isna(clean["note"]).to_numpy()] = None
    columns: list[Any] = [
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
    names = ", ".join(ANNOTATION_INSERT_COLUMNS)
    statement = (f"INSERT INTO annotations ({names}) VALUES ({', '.join([mark] * len(ANNOTATION_INSERT_COLUMNS))}) "
                 "ON CONFLICT (item_id, judgement_key) DO NOTHING")
    rows = list(zip(*columns, strict=True))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # rows as plain tuples
    if connection.dialect.name == "postgresql":
        # one statement over arrays, whose RETURNING names the rows added; a row another open transaction is
        # adding waits for it, then is skipped if it committed
        arrays = ", ".join(f"%s::{kind}[]" for kind in _POSTGRES_TYPES)
        cursor.execute(f"INSERT INTO annotations ({names}) SELECT * FROM unnest({arrays}) "
                       f"ON CONFLICT (item_id, judgement_key) DO NOTHING RETURNING annotation_id, {names}",
                       [list(column) for column in columns])
        added = sorted(cursor.fetchall())
        ids, rows = [int(row[0]) for row in added], [row[1:] for row in added]
    else:
        newest = cursor.execute("SELECT coalesce(max(annotation_id), 0) FROM annotations").fetchone()[0]
        cursor.executemany(statement, rows)
        if cursor.rowcount == len(rows):  # every row went in, in order, under the ids after the newest
            ids = list(range(newest + 1, newest + len(rows) + 1))
        else:  # some were stored already: the ones added, as stored
            added = cursor.execute(f"SELECT annotation_id, {names} FROM annotations WHERE annotation_id > ? "
                                   "ORDER BY annotation_id", (newest,)).fetchall()
            ids, rows = [int(row[0]) for row in added], [row[1:] for row in added]
    cursor.close()
    pending = connection.info.setdefault(PENDING, _Pending())
    pending.ids.extend(ids)
    pending.digests += b"".join(row_digests(rows))
    return len(ids)


def extend_annotation_chain(connection: Connection) -> None:
    """Link the annotations this transaction appended into the log's hash chain, after the newest entry.

    Runs as the transaction commits (the store's engine calls it; see ``engine.py``), under
    :func:`lock_annotation_log`, so the chain's order is the order transactions committed in.
    """
    pending: _Pending | None = connection.info.pop(PENDING, None)
    if pending is None or not pending.ids:
        return
    lock_annotation_log(connection)
    c = t.annotation_chain.c
    head = connection.execute(select(c.chain_hash).order_by(c.position.desc()).limit(1)).scalar_one_or_none()
    digests = (bytes(pending.digests[i:i + 32]) for i in range(0, len(pending.digests), 32))
    entries = zip(pending.ids, chain_hashes(head, digests), strict=True)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":  # one statement over arrays, a chunk at a time
        while chunk := list(islice(entries, 100_000)):
            ids, hashes = zip(*chunk, strict=True)
            cursor.execute("INSERT INTO annotation_chain (annotation_id, chain_hash) "
                           "SELECT * FROM unnest(%s::bigint[], %s::bytea[])", (list(ids), list(hashes)))
    else:
        cursor.executemany("INSERT INTO annotation_chain (annotation_id, chain_hash) VALUES (?, ?)", entries)
    cursor.close()


def forget_pending(connection: Connection) -> None:
    """Drop what a transaction that did not commit appended (its rows are gone, so are their chain entries)."""
    connection.info.pop(PENDING, None)


def insert_items(connection: Connection, frame: pd.DataFrame, import_id: int | None) -> int:
    """Insert new items (item_id, payload dict, group_id, segment, created_at), each with its content hash;
    returns how many. A plain INSERT, so it adds every row or raises: an item id a concurrent write added first
    is an integrity error (nothing is written), never skipped silently, since the two payloads may differ."""
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
    for row in rows:
        row["content_hash"] = item_content_hash(row)
    if rows:
        connection.execute(insert(t.items), rows)
    return len(rows)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def canonical_payload(payload: dict[str, Any]) -> str:
    """Payload as canonical JSON, to compare an item against the one already stored."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
