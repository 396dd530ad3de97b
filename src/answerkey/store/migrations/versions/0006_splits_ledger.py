"""Splits of a release (versioned until sealed), seals of test splits, the test-set ledger, and likely label
errors flagged for review, and the findings of recorded check runs; all append-only.

A seal is refused in the database too: once a release's test split is sealed, no new split version or
assignment for that release can be inserted, whichever client writes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("splits", "split_assignments", "split_seals", "test_ledger", "label_issue_flags", "findings")
SEALED = "split of a sealed release: its test split is frozen; cut a new release for a new split"


def upgrade() -> None:
    op.create_table(
        "splits",
        sa.Column("release_name", sa.String(255), sa.ForeignKey("releases.name"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("strategy", sa.String(255), nullable=False),
        sa.Column("test_share", sa.Float, nullable=False),
        sa.Column("validation_share", sa.Float, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(255)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "split_assignments",
        sa.Column("release_name", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(255), primary_key=True),
        sa.Column("split", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["release_name", "version"], ["splits.release_name", "splits.version"],
                                name="fk_split_assignments_release_name_splits"),
    )
    op.create_table(
        "split_seals",
        sa.Column("release_name", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("test_hash", sa.String(64), nullable=False),
        sa.Column("test_items", sa.Integer, nullable=False),
        sa.Column("sealed_by", sa.String(255)),
        sa.Column("sealed_at", sa.DateTime, nullable=False),
        sa.ForeignKeyConstraint(["release_name", "version"], ["splits.release_name", "splits.version"],
                                name="fk_split_seals_release_name_splits"),
    )
    op.create_table(
        "test_ledger",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("release_name", sa.String(255), sa.ForeignKey("split_seals.release_name"), nullable=False),
        sa.Column("test_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("purpose", sa.Text),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_test_ledger_release_name", "test_ledger", ["release_name"])
    op.create_table(
        "label_issue_flags",
        sa.Column("flag_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(255), sa.ForeignKey("items.item_id"), nullable=False),
        sa.Column("given_label", sa.Text, nullable=False),
        sa.Column("suggested_label", sa.Text),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("release_name", sa.String(255)),
        sa.Column("flagged_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_label_issue_flags_item_id", "label_issue_flags", ["item_id"])
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("release_name", sa.String(255)),
        sa.Column("check", sa.String(255), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("where", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_findings_run_id", "findings", ["run_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION answerkey_refuse_sealed() RETURNS trigger AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM split_seals WHERE release_name = NEW.release_name) THEN
                RAISE EXCEPTION 'refused: new % of a sealed release: {SEALED}', TG_TABLE_NAME;
              END IF;
              RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:  # the function answerkey_append_only() comes from 0001
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
        for table in ("splits", "split_assignments"):
            op.execute(f"CREATE TRIGGER {table}_refuse_sealed BEFORE INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION answerkey_refuse_sealed()")
    elif dialect == "sqlite":
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a new row instead'); END")
        for table in ("splits", "split_assignments"):
            op.execute(f"CREATE TRIGGER {table}_refuse_sealed BEFORE INSERT ON {table} "
                       "WHEN EXISTS (SELECT 1 FROM split_seals WHERE release_name = NEW.release_name) "
                       f"BEGIN SELECT RAISE(ABORT, 'refused: new {table} row of a {SEALED}'); END")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS answerkey_refuse_sealed()")
