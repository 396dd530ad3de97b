"""Evaluation runs of analytics agents and their per-question verdicts, append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RECORD_TABLES = ("eval_runs", "eval_results")


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("run_id", sa.String(255), primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("agent", sa.Text, nullable=False),
        sa.Column("golden_file", sa.Text, nullable=False),
        sa.Column("golden_hash", sa.String(64), nullable=False),
        sa.Column("context_hash", sa.String(64)),
        sa.Column("warehouse", sa.Text, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("questions", sa.Integer, nullable=False),
        sa.Column("passed", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "eval_results",
        sa.Column("run_id", sa.String(255), sa.ForeignKey("eval_runs.run_id"), primary_key=True),
        sa.Column("question_id", sa.String(255), primary_key=True),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("sql", sa.Text),
        sa.Column("gold_sql", sa.Text),
        sa.Column("column_overlap", sa.Float, nullable=False),
        sa.Column("row_f1", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("differences", sa.JSON, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for table in RECORD_TABLES:
        if dialect == "postgresql":  # the function answerkey_append_only() comes from 0001
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
        elif dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a run is never rewritten'); END")


def downgrade() -> None:
    op.drop_table("eval_results")
    op.drop_table("eval_runs")
