"""A release's method is free text: it records the consensus method and the authority policy behind it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite does not enforce VARCHAR lengths; rebuilding the table would drop its triggers
    op.alter_column("releases", "method", type_=sa.Text(), existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("releases", "method", type_=sa.String(64), existing_type=sa.Text(), existing_nullable=False)
