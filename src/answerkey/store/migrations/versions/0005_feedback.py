"""Production feedback on analytics answers (reviewer verdicts and corrections), append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("sql", sa.Text),
        sa.Column("answer", sa.JSON),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(255), nullable=False),
        sa.Column("corrected_sql", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("asked_at", sa.DateTime),
        sa.Column("feedback_key", sa.String(64), nullable=False, unique=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE TRIGGER feedback_append_only BEFORE UPDATE OR DELETE ON feedback "
                   "FOR EACH ROW EXECUTE FUNCTION answerkey_append_only()")
        op.execute("CREATE TRIGGER feedback_no_truncate BEFORE TRUNCATE ON feedback "
                   "FOR EACH STATEMENT EXECUTE FUNCTION answerkey_append_only()")
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER feedback_append_only_{action.lower()} BEFORE {action} ON feedback "
                       "BEGIN SELECT RAISE(ABORT, 'feedback is append-only: log a new entry instead'); END")


def downgrade() -> None:
    op.drop_table("feedback")
