"""inbox: every update stored before it is confirmed to Telegram, then handled from there

The update journal (handled_updates) becomes the inbox's handled rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.BigInteger(), nullable=False),
        sa.Column("whole_chat", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("handled_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    op.create_index("ix_inbox_waiting", "inbox", ["handled_at", "update_id"], unique=False)
    # Updates handled before the upgrade stay handled: Telegram may deliver them again.
    op.execute(
        "INSERT INTO inbox (update_id, chat_key, whole_chat, raw, received_at, handled_at) "
        "SELECT update_id, 0, false, '{}', handled_at, handled_at FROM handled_updates"
    )
    op.drop_table("handled_updates")


def downgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_updates")),
    )
    op.create_index(
        "ix_handled_updates_handled_at", "handled_updates", ["handled_at"], unique=False
    )
    op.execute(
        "INSERT INTO handled_updates (update_id, handled_at) "
        "SELECT update_id, handled_at FROM inbox WHERE handled_at IS NOT NULL"
    )
    op.drop_table("inbox")
