"""Recorded production monitoring runs: one row per model and run, with its results and retraining signal;
append-only, so the history of what the monitor said (and when) is kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("as_of", sa.DateTime, nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_monitor_runs_model", "monitor_runs", ["model"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE TRIGGER monitor_runs_append_only BEFORE UPDATE OR DELETE ON monitor_runs "
                   "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
        op.execute("CREATE TRIGGER monitor_runs_no_truncate BEFORE TRUNCATE ON monitor_runs "
                   "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER monitor_runs_append_only_{action.lower()} BEFORE {action} ON monitor_runs "
                       "BEGIN SELECT RAISE(ABORT, 'monitor_runs is append-only: record a new run instead'); END")


def downgrade() -> None:
    op.drop_table("monitor_runs")
