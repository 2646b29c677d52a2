"""tickets: the staff group a ticket is in (several groups, routed by rules), and when it moved

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tickets from before are placed in the default group at start-up (its id is config).
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("transferred_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_tickets_staff_thread", ["staff_chat_id", "thread_id"])
    # A ticket's outbox lane no longer names its group (a ticket may move between groups).
    op.execute(
        "UPDATE outbox SET lane = 'ticket:' || CAST(ticket_id AS VARCHAR(20)) "
        "WHERE ticket_id IS NOT NULL AND lane LIKE '%:%' AND lane NOT LIKE 'ticket:%'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET lane = CAST(chat_id AS VARCHAR(20)) || ':' "
        "|| CAST(ticket_id AS VARCHAR(20)) WHERE lane LIKE 'ticket:%'"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_staff_thread")
        batch_op.drop_column("transferred_at")
        batch_op.drop_column("staff_chat_id")
