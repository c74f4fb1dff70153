"""Which way an agent's reply went (web, line, slack, email), so the desk can say it after the fact.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Existing replies went the way their question came: the channel, or nowhere when none was known."""
    op.add_column("escalations", sa.Column("reply_via", sa.String(16), nullable=False, server_default=""))
    op.execute("UPDATE escalations SET reply_via = channel WHERE reply_text <> '' AND delivery <> 'callback' "
               "AND delivery <> 'unreachable'")


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("reply_via")
