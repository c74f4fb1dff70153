"""Calls the call center logged from the desk's search: outcome, entry, department, agent, handling time.

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per call; its question is the turn of a conversation on channel `phone` (masked there)."""
    op.create_table(
        "calls",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("conversation_id", sa.String(255), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), index=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False, index=True),
        sa.Column("entry_id", sa.String(128)),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("handling_seconds", sa.Integer),
        sa.Column("escalation_id", sa.String(64)),
    )


def downgrade() -> None:
    """Drop the calls (their conversations and turns stay, as any channel's)."""
    op.drop_table("calls")
