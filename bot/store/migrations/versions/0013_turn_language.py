"""The language each turn spoke, kept with its offer of choices: a resident who asked in English and then
typed 「2」 was answered in Japanese, since a number tells no language.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Turns stored before were read as Japanese, as they were answered."""
    op.add_column("turns", sa.Column("language", sa.String(16), nullable=False, server_default="ja"))


def downgrade() -> None:
    """Drop the column again, in place: rebuilding `turns` on SQLite, with the foreign keys madoguchi's engine
    turns on, would delete every 👍/👎 (ON DELETE CASCADE) and unlink escalations from their turns."""
    with op.batch_alter_table("turns", recreate="never") as batch:
        batch.drop_column("language")
