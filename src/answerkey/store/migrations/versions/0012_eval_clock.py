"""An evaluation run records the instant its clock was frozen at (what ``CURRENT_DATE`` meant in gold and
answers) and the distilled test suite it also judged on, so a run can be reproduced and its report re-executed
the same way tomorrow.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("eval_runs", sa.Column("as_of", sa.DateTime))
    op.add_column("eval_runs", sa.Column("test_suite", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("eval_runs") as batch:
        batch.drop_column("test_suite")
        batch.drop_column("as_of")
