"""handled_updates: the update journal for crash-safe, exactly-once handling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_updates")),
    )
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handled_updates_handled_at"), ["handled_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("handled_updates")
