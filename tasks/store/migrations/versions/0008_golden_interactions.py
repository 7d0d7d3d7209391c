"""Change reviews: versioned golden sets of logged LLM interactions (PII masked).

Revision ID: 0008
Revises: 0007_alert_timeline
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007_alert_timeline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "golden_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("input_text", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("since_version", sa.Integer(), nullable=False),
        sa.Column("until_version", sa.Integer(), nullable=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_golden_interactions_system", "golden_interactions", ["system"])


def downgrade() -> None:
    op.drop_index("ix_golden_interactions_system", table_name="golden_interactions")
    op.drop_table("golden_interactions")
