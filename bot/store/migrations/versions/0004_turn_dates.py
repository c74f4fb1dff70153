"""Index turns by time: the dashboard and the review queue read date ranges.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One index."""
    op.create_index("ix_turns_created_at", "turns", ["created_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_turns_created_at", "turns")
