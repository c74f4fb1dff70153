"""The easy-Japanese answer (やさしい日本語) of a desk entry version, and whether a LINE or Slack conversation
asked for furigana (readings in parentheses).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Existing versions have none (empty): the widget shows their usual answer."""
    op.add_column("entry_versions", sa.Column("answer_easy", sa.Text, nullable=False, server_default=""))
    op.add_column("conversations",
                  sa.Column("furigana", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop the easy answers (the city's files keep theirs in the やさしい日本語 column) and the furigana
    choice."""
    op.drop_column("conversations", "furigana")
    op.drop_column("entry_versions", "answer_easy")
