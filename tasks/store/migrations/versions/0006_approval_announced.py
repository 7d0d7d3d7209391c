"""Approvals: remember whether the Slack message shows the outcome, so the sweep can retry a failed update.

Revision ID: 0006_approval_announced
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_approval_announced"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approval_requests") as batch:
        batch.add_column(sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True))
    # Requests decided before this revision: their messages were updated then (or never will be).
    op.execute("UPDATE approval_requests SET announced_at = decided_at WHERE state != 'pending'")


def downgrade() -> None:
    with op.batch_alter_table("approval_requests") as batch:
        batch.drop_column("announced_at")
