"""Derived ground truth: labels defined as code (behavioural definitions), their versions, and each derivation
with the labels it found, mature or not; all append-only, so what a definition said at each version is kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("label_definitions", "label_derivations", "derived_labels")


def upgrade() -> None:
    op.create_table(
        "label_definitions",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("registered_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", "content_hash", name="uq_label_definitions_name"),
    )
    op.create_table(
        "label_derivations",
        sa.Column("derivation_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("as_of", sa.DateTime, nullable=False),
        sa.Column("engine", sa.Text, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("derived_at", sa.DateTime, nullable=False),
        sa.ForeignKeyConstraint(["name", "version"], ["label_definitions.name", "label_definitions.version"],
                                name="fk_label_derivations_name_label_definitions"),
    )
    op.create_index("ix_label_derivations_name", "label_derivations", ["name"])
    op.create_table(
        "derived_labels",
        sa.Column("derivation_id", sa.Integer, sa.ForeignKey("label_derivations.derivation_id"), primary_key=True),
        sa.Column("item_id", sa.String(255), sa.ForeignKey("items.item_id"), primary_key=True),
        sa.Column("label", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("anchor_at", sa.DateTime),
        sa.Column("decided_at", sa.DateTime),
    )
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
        elif dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: register or derive anew'); END")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
