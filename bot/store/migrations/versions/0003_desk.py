"""The call-center desk: escalation lifecycle, outbox, accounts, audit log, managed FAQ entries.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
ESCALATION_COLUMNS = (
    sa.Column("audience", sa.String(16), nullable=False, server_default="resident"),
    sa.Column("department", sa.String(200), nullable=False, server_default=""),
    sa.Column("route", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", TZ, nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("claimed_at", TZ, nullable=True),
    sa.Column("answered_at", TZ, nullable=True),
    sa.Column("closed_at", TZ, nullable=True),
    sa.Column("reply_text", sa.Text, nullable=False, server_default=""),
    sa.Column("delivery", sa.String(16), nullable=False, server_default=""),
    sa.Column("drop_reason", sa.Text, nullable=False, server_default=""),
)


def upgrade() -> None:
    """New escalation columns and the desk's tables."""
    with op.batch_alter_table("escalations") as batch:
        for column in ESCALATION_COLUMNS:
            batch.add_column(column.copy())
        batch.create_index("ix_escalations_department", ["department"])
    _outbox()
    _accounts()
    _entries()


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("escalation_id", sa.String(64), nullable=True, index=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("last_error", sa.Text, nullable=False),
    )


def _accounts() -> None:
    op.create_table(
        "desk_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "desk_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("desk_users.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(160), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )


def _entries() -> None:
    op.create_table(
        "entry_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(128), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("paraphrases", sa.JSON, nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(400), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("escalation_id", sa.String(64), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("approver", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("approved_at", TZ, nullable=True),
        sa.UniqueConstraint("entry_id", "version"),
    )


def downgrade() -> None:
    """Drop the desk's tables and columns."""
    for table in ("entry_versions", "audit_log", "desk_sessions", "desk_users", "outbox"):
        op.drop_table(table)
    with op.batch_alter_table("escalations") as batch:
        batch.drop_index("ix_escalations_department")
        for column in ESCALATION_COLUMNS:
            batch.drop_column(column.name)
