"""Labels from the desk's work: which FAQ entry answers a resident's (masked) question.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per label an agent, editor or approval gave, or per weak label an editor accepted or
    removed."""
    op.create_table(
        "question_labels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("normalised", sa.Text, nullable=False),
        sa.Column("entry_id", sa.String(128), nullable=False, index=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("conversation_id", sa.String(255)),
        sa.Column("turn_id", sa.Integer),
        sa.Column("by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    """Drop the labels (what was already learned stays in the index versions)."""
    op.drop_table("question_labels")
