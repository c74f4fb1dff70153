"""The cities a server hosts, in its database: every worker on every machine reads the newest revision.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per imported tenants file, kept as the history."""
    op.create_table(
        "tenant_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("tenant_revisions")
