"""The live index version in the database: every worker on every machine follows the newest row.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per activation, kept as the history."""
    op.create_table(
        "index_activations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("index_name", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
    )
    op.create_index("ix_index_activations_index_name", "index_activations", ["index_name"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("index_activations")
