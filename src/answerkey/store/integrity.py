"""Reads for verification: the stored rows that hashes are recomputed from, and the hashes recorded with them.

Nothing here judges; ``answerkey.project.integrity`` and ``answerkey.project.release_check`` compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from answerkey.store import tables as t
from answerkey.store.chain import ANNOTATION_CHAIN_COLUMNS

__all__ = [
    "chain_entries",
    "import_counts",
    "item_content_hashes",
    "item_rows",
    "ledger_hashes",
    "schema_row",
    "seal_rows",
    "unchained_annotations",
]

CHUNK = 20_000


def item_content_hashes(connection: Connection, item_ids: set[str] | None = None) -> dict[str, str | None]:
    """The content hash each item was stored with (None for an item stored without one), of ``item_ids`` or all."""
    i = t.items.c
    rows = connection.execute(select(i.item_id, i.content_hash)).all()
    return {row.item_id: row.content_hash for row in rows if item_ids is None or row.item_id in item_ids}


def item_rows(connection: Connection, item_ids: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """Items as stored (id, payload, group, segment, time, content hash), of ``item_ids`` or all, in id order."""
    i = t.items.c
    last: str | None = None
    while True:
        query = select(i.item_id, i.payload, i.group_id, i.segment, i.created_at, i.content_hash) \
            .order_by(i.item_id).limit(CHUNK)
        rows = connection.execute(query if last is None else query.where(i.item_id > last)).mappings().all()
        if not rows:
            return
        for row in rows:
            if item_ids is None or row["item_id"] in item_ids:
                yield dict(row)
        last = rows[-1]["item_id"]


def schema_row(connection: Connection, version: int) -> tuple[str, str] | None:
    """A registered schema version's canonical JSON and the hash it was registered with."""
    s = t.schema_versions.c
    row = connection.execute(select(s.content, s.content_hash).where(s.version == version)).first()
    return None if row is None else (row.content, row.content_hash)


def chain_entries(connection: Connection) -> Iterator[tuple[Any, ...]]:
    """The annotation log's chain in order: ``(position, annotation_id, chain_hash, found, *row)``, ``row`` in
    :data:`~answerkey.store.chain.ANNOTATION_CHAIN_COLUMNS` order; ``found`` None (and the row values too) where
    the annotation an entry names is gone."""
    c, a = t.annotation_chain.c, t.annotations.c
    columns = [a[name] for name in ANNOTATION_CHAIN_COLUMNS]
    last = None
    while True:
        query = (select(c.position, c.annotation_id, c.chain_hash, a.annotation_id, *columns)
                 .select_from(t.annotation_chain.outerjoin(t.annotations, a.annotation_id == c.annotation_id))
                 .order_by(c.position).limit(CHUNK))
        rows = connection.execute(query if last is None else query.where(c.position > last)).all()
        if not rows:
            return
        yield from (tuple(row) for row in rows)
        last = rows[-1][0]


def unchained_annotations(connection: Connection, limit: int = 20) -> tuple[int, list[int]]:
    """How many annotations have no chain entry, and the ids of the first ``limit``."""
    c, a = t.annotation_chain.c, t.annotations.c
    missing = ~select(c.position).where(c.annotation_id == a.annotation_id).exists()
    count = int(connection.execute(select(func.count()).select_from(t.annotations).where(missing)).scalar_one())
    ids = connection.execute(select(a.annotation_id).where(missing).order_by(a.annotation_id).limit(limit)).scalars()
    return count, [int(i) for i in ids]


def seal_rows(connection: Connection) -> list[dict[str, Any]]:
    """Every seal of a test split."""
    return [dict(row) for row in connection.execute(select(t.split_seals).order_by(t.split_seals.c.release_name))
            .mappings().all()]


def ledger_hashes(connection: Connection) -> dict[str, set[str]]:
    """Per release, the test hashes its ledger entries were recorded against."""
    e = t.test_ledger.c
    hashes: dict[str, set[str]] = {}
    for release, digest in connection.execute(select(e.release_name, e.test_hash).distinct()).all():
        hashes.setdefault(release, set()).add(digest)
    return hashes


def import_counts(connection: Connection) -> list[dict[str, Any]]:
    """Per import: its kind, the rows it recorded adding, and the annotations and items tagged with its id."""
    i, a, it = t.imports.c, t.annotations.c, t.items.c
    annotations: dict[int, int] = dict(connection.execute(
        select(a.import_id, func.count()).where(a.import_id.is_not(None)).group_by(a.import_id)).all())
    items: dict[int, int] = dict(connection.execute(
        select(it.import_id, func.count()).where(it.import_id.is_not(None)).group_by(it.import_id)).all())
    return [{"import_id": row.import_id, "kind": row.kind, "file": row.file, "rows_added": row.rows_added,
             "annotations": int(annotations.get(row.import_id, 0)), "items": int(items.get(row.import_id, 0))}
            for row in connection.execute(select(i.import_id, i.kind, i.file, i.rows_added).order_by(i.import_id))]
