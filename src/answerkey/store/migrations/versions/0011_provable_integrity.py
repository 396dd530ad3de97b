"""Provable integrity: items become append-only; an insert over an existing key is refused on SQLite whatever the
client's pragmas; the annotation log gets a hash chain (``annotation_chain``), items a content hash and releases
a hash of their items.

SQLite's ``INSERT OR REPLACE`` deletes the row in the way before inserting its own, and that delete fires the
append-only DELETE triggers only on a connection with ``PRAGMA recursive_triggers=ON``: another client skips them.
A BEFORE INSERT trigger that refuses a row whose key is already stored holds on every connection. (PostgreSQL has
no REPLACE; its ``ON CONFLICT DO UPDATE`` fires the UPDATE triggers, which refuse it.)

Existing rows get their hashes here, computed from what the store holds now: verification vouches for changes
made from this migration on, not before it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from answerkey.store.chain import ANNOTATION_CHAIN_COLUMNS, chain_hashes, item_content_hash, items_hash, row_digest

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNIQUE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "items": (("item_id",),),
    "annotation_chain": (("position",),),
    "releases": (("name",),),
    "release_labels": (("release_name", "item_id"),),
    "eval_runs": (("run_id",),),
    "eval_results": (("run_id", "question_id"),),
    "feedback": (("feedback_id",), ("feedback_key",)),
    "splits": (("release_name", "version"),),
    "split_assignments": (("release_name", "version", "item_id"),),
    "split_seals": (("release_name",),),
    "test_ledger": (("entry_id",),),
    "label_issue_flags": (("flag_id",),),
    "findings": (("finding_id",),),
    "monitor_runs": (("run_id",),),
    "label_definitions": (("name", "version"), ("name", "content_hash")),
    "label_derivations": (("derivation_id",),),
    "derived_labels": (("derivation_id", "item_id"),),
    "audit_log": (("audit_id",),),
    "idempotency_keys": (("actor", "key"),),
}
"""Every append-only table with each of its unique keys (primary key first): the keys REPLACE resolves on.
Annotations and schema versions have triggers of their own (below): their writers skip a row stored already."""
CHUNK = 50_000

items = sa.table("items", sa.column("item_id", sa.String), sa.column("payload", sa.JSON),
                 sa.column("group_id", sa.String), sa.column("segment", sa.String),
                 sa.column("created_at", sa.DateTime), sa.column("content_hash", sa.String))
annotation_rows = sa.table("annotations", sa.column("annotation_id", sa.BigInteger),
                       *(sa.column(name) for name in ANNOTATION_CHAIN_COLUMNS if name not in
                         ("created_at", "recorded_at", "judgement_key", "confidence")),
                       sa.column("created_at", sa.DateTime), sa.column("recorded_at", sa.DateTime),
                       sa.column("confidence", sa.Float), sa.column("judgement_key", sa.LargeBinary))
releases = sa.table("releases", sa.column("name", sa.String), sa.column("items_hash", sa.String))
release_labels = sa.table("release_labels", sa.column("release_name", sa.String), sa.column("item_id", sa.String))


def upgrade() -> None:
    op.add_column("items", sa.Column("content_hash", sa.String(64)))
    op.add_column("releases", sa.Column("items_hash", sa.String(64)))
    chain = op.create_table(
        "annotation_chain",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("annotation_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
    )
    connection = op.get_bind()
    stored = _hash_items(connection)  # items have no triggers yet
    _chain_annotations(connection, chain)
    _with_updates_allowed("releases", lambda: _hash_releases(connection, stored))
    _append_only("items", "the content of an item is part of its ground truth; import a new item instead")
    _append_only("annotation_chain", "the chain of the annotation log is only ever extended")
    if connection.dialect.name == "sqlite":
        for table, keys in UNIQUE_KEYS.items():
            op.execute(_refuse_existing_key(table, keys))
        # annotations: one trigger (a probe less per imported row) that refuses a row naming a stored id, and
        # skips, rather than refuses, a judgement stored already, as the writer's ON CONFLICT DO NOTHING would
        # (this runs first); a REPLACE of a stored judgement is skipped the same way, so the stored row stays
        op.execute("CREATE TRIGGER annotations_refuse_replace BEFORE INSERT ON annotations BEGIN "
                   "SELECT RAISE(ABORT, 'annotations is append-only: a row with this key is stored already, and "
                   "replacing it would rewrite it') WHERE EXISTS (SELECT 1 FROM annotations WHERE annotation_id = "
                   "NEW.annotation_id); SELECT RAISE(IGNORE) WHERE EXISTS (SELECT 1 FROM annotations WHERE "
                   "item_id = NEW.item_id AND judgement_key = NEW.judgement_key); END")
        # schema versions: the same, for register_schema's ON CONFLICT DO NOTHING when two imports register the
        # same schema at once: the same version with other content is refused, with the same content skipped
        op.execute("CREATE TRIGGER schema_versions_refuse_replace BEFORE INSERT ON schema_versions BEGIN "
                   "SELECT RAISE(ABORT, 'schema_versions is append-only: this version is stored already with other "
                   "content, and replacing it would rewrite it') WHERE EXISTS (SELECT 1 FROM schema_versions WHERE "
                   "version = NEW.version AND content_hash IS NOT NEW.content_hash); SELECT RAISE(IGNORE) WHERE "
                   "EXISTS (SELECT 1 FROM schema_versions WHERE version = NEW.version); END")


def _hash_items(connection: sa.Connection) -> dict[str, str]:
    rows = connection.execute(sa.select(items.c.item_id, items.c.payload, items.c.group_id, items.c.segment,
                                        items.c.created_at)).mappings().all()
    hashes = {row["item_id"]: item_content_hash(dict(row)) for row in rows}
    pairs = [{"key": item_id, "hash": digest} for item_id, digest in hashes.items()]
    for start in range(0, len(pairs), CHUNK):
        connection.execute(items.update().where(items.c.item_id == sa.bindparam("key"))
                           .values(content_hash=sa.bindparam("hash")), pairs[start:start + CHUNK])
    return hashes


def _chain_annotations(connection: sa.Connection, chain: sa.Table) -> None:
    """The annotations stored so far, chained in the order of their ids."""
    a = annotation_rows.c
    columns = [a[name] for name in ANNOTATION_CHAIN_COLUMNS]
    previous, last = None, None
    while True:
        query = sa.select(a.annotation_id, *columns).order_by(a.annotation_id).limit(CHUNK)
        rows = connection.execute(query if last is None else query.where(a.annotation_id > last)).all()
        if not rows:
            return
        hashes = list(chain_hashes(previous, (row_digest(tuple(row)[1:]) for row in rows)))
        connection.execute(chain.insert(), [{"annotation_id": row[0], "chain_hash": digest}
                                            for row, digest in zip(rows, hashes, strict=True)])
        previous, last = hashes[-1], rows[-1][0]


def _hash_releases(connection: sa.Connection, stored: dict[str, str]) -> None:
    for name in connection.execute(sa.select(releases.c.name)).scalars().all():
        ids = connection.execute(sa.select(release_labels.c.item_id)
                                 .where(release_labels.c.release_name == name)).scalars().all()
        digest = items_hash({item_id: stored.get(item_id) for item_id in ids})
        connection.execute(releases.update().where(releases.c.name == name).values(items_hash=digest))


def _with_updates_allowed(table: str, run: Callable[[], Any]) -> None:
    """Run ``run`` with the table's append-only UPDATE trigger lifted, inside this migration's transaction."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        run()
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        return
    op.execute(f"DROP TRIGGER {table}_append_only_update")
    run()
    op.execute(f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} "
               f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a new row instead of "
               "changing or deleting one'); END")


def _append_only(table: str, why: str) -> None:
    if op.get_bind().dialect.name == "postgresql":  # the function answerkey_append_only() comes from 0001
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {why}'); END")


def _refuse_existing_key(table: str, keys: tuple[tuple[str, ...], ...]) -> str:
    """A SQLite trigger refusing a row whose key is stored already, before REPLACE could delete the old one."""
    exists = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE " + " AND ".join(f'"{c}" = NEW."{c}"' for c in key) + ")"
        for key in keys)
    return (f"CREATE TRIGGER {table}_refuse_replace BEFORE INSERT ON {table} WHEN {exists} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row with this key is stored already, and "
            "replacing it would rewrite it'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in (*UNIQUE_KEYS, "annotations", "schema_versions"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_replace")
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS items_append_only_{action}")
    else:
        op.execute("DROP TRIGGER IF EXISTS items_append_only ON items")
        op.execute("DROP TRIGGER IF EXISTS items_no_truncate ON items")
    op.drop_table("annotation_chain")
    op.drop_column("releases", "items_hash")
    op.drop_column("items", "content_hash")
