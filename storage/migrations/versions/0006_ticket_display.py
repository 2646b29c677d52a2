"""tickets: what the card and the topic name show, refreshed in the background

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("display_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("display_shown", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("card_shown", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("topic_shown", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_tickets_display", ["display_shown", "display_version"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_display")
        batch_op.drop_column("topic_shown")
        batch_op.drop_column("card_shown")
        batch_op.drop_column("display_shown")
        batch_op.drop_column("display_version")
