"""Foundation: schema versions, imports, items, annotators, append-only annotations, releases.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(255)
APPEND_ONLY = ("annotations", "releases", "release_labels", "schema_versions")


def upgrade() -> None:
    op.create_table(
        "schema_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_added", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("group_id", ID),
        sa.Column("segment", sa.String(255)),
        sa.Column("created_at", sa.DateTime),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.import_id")),
    )
    op.create_table(
        "annotators",
        sa.Column("annotator_id", ID, primary_key=True),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "annotations",
        sa.Column(
            "annotation_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
            autoincrement=True,
        ),
        sa.Column("item_id", ID, sa.ForeignKey("items.item_id"), nullable=False),
        sa.Column("annotator_id", ID, sa.ForeignKey("annotators.annotator_id"), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("schema_version", sa.Integer, sa.ForeignKey("schema_versions.version"), nullable=False),
        sa.Column("created_at", sa.DateTime),
        sa.Column("confidence", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.import_id")),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("judgement_key", sa.LargeBinary(16), nullable=False),
        # one index for uniqueness and look-ups by item; imports insert in item order so it grows in place
        sa.UniqueConstraint("item_id", "judgement_key", name="uq_annotations_item_id"),
    )
    op.create_table(
        "releases",
        sa.Column("name", ID, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer, sa.ForeignKey("schema_versions.version"), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("annotation_watermark", sa.BigInteger, nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "release_labels",
        sa.Column("release_name", ID, sa.ForeignKey("releases.name"), primary_key=True),
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("label", sa.Text),
        sa.Column("confidence", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("n_judgements", sa.Integer, nullable=False),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on ground-truth tables in the database itself."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION answerkey_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: record a new row instead of changing or deleting one',
                TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a new row instead of "
                    "changing or deleting one'); END"
                )


def downgrade() -> None:
    for table in ("release_labels", "releases", "annotations", "annotators", "items", "imports", "schema_versions"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS answerkey_append_only()")
