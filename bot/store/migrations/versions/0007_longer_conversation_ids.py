"""Room for every channel's conversation ids: Slack's (team, person and thread) outgrew 64 characters.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (("conversations", "id"), ("turns", "conversation_id"), ("escalations", "conversation_id"))
ID_LENGTH = 255  # bot.store.values.ID_LENGTH when this was written; a migration keeps its own numbers


def upgrade() -> None:
    """Widen in place on PostgreSQL; SQLite never enforced the length, so there is nothing to change."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.String(ID_LENGTH), existing_type=sa.String(64))


def downgrade() -> None:
    """Back to 64 characters (fails while a longer id is stored, rather than cutting ids)."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in reversed(COLUMNS):
        op.alter_column(table, column, type_=sa.String(64), existing_type=sa.String(ID_LENGTH))
